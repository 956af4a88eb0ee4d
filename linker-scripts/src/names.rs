//! The naming contract shared with the RTOS: input sections its macros create, output
//! sections the fragments define, and the symbols they export.

/// Initialised partition data: `K_APP_DMEM(part)` puts a global in `.app_data.<part>`.
pub const DATA_PREFIX: &str = ".app_data.";
/// Zero-initialised partition data: `K_APP_BMEM(part)` puts a global in `.app_bss.<part>`.
pub const BSS_PREFIX: &str = ".app_bss.";
/// User stack objects: `.user_stacks` or, better (sorted by alignment), `.user_stacks.<name>`.
pub const STACK_SECTION: &str = ".user_stacks";

/// Output section holding every partition (RAM, loaded from flash).
pub const SMEM_SECTION: &str = ".app_smem";
/// Output section holding every user stack (RAM, not loaded).
pub const STACKS_SECTION: &str = ".user_stacks";
/// The object table's reserved sections, input and output alike.
pub const TABLE_RODATA_SECTION: &str = ".kobject_table.rodata";
pub const TABLE_DATA_SECTION: &str = ".kobject_table.data";

pub const SMEM_START: &str = "__app_smem_start";
pub const SMEM_END: &str = "__app_smem_end";
pub const SMEM_SIZE: &str = "__app_smem_size";
pub const SMEM_LOAD: &str = "__app_smem_load";
pub const STACKS_START: &str = "__user_stacks_start";
pub const STACKS_END: &str = "__user_stacks_end";

/// Per-partition symbols: `__app_<part>_<field>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionSymbol {
    /// First byte (data first, then bss).
    Start,
    /// One past the last byte covered by the MPU.
    End,
    /// `End - Start`.
    Size,
    /// Where the second MPU piece starts; equals `End` for a one-piece partition.
    Split,
    BssStart,
    BssEnd,
    BssSize,
}

impl PartitionSymbol {
    pub const ALL: [PartitionSymbol; 7] = [
        PartitionSymbol::Start,
        PartitionSymbol::End,
        PartitionSymbol::Size,
        PartitionSymbol::Split,
        PartitionSymbol::BssStart,
        PartitionSymbol::BssEnd,
        PartitionSymbol::BssSize,
    ];

    pub fn suffix(self) -> &'static str {
        match self {
            PartitionSymbol::Start => "start",
            PartitionSymbol::End => "end",
            PartitionSymbol::Size => "size",
            PartitionSymbol::Split => "split",
            PartitionSymbol::BssStart => "bss_start",
            PartitionSymbol::BssEnd => "bss_end",
            PartitionSymbol::BssSize => "bss_size",
        }
    }

    pub fn name(self, partition: &str) -> String {
        format!("__app_{partition}_{}", self.suffix())
    }

    /// Splits `__app_<part>_<suffix>` into the partition and the field.
    pub fn parse(symbol: &str) -> Option<(&str, PartitionSymbol)> {
        let rest = symbol.strip_prefix("__app_")?;
        // Longest suffix first: `bss_start` before `start`.
        let mut fields = Self::ALL;
        fields.sort_by_key(|f| std::cmp::Reverse(f.suffix().len()));
        fields.into_iter().find_map(|field| {
            let part = rest.strip_suffix(field.suffix())?.strip_suffix('_')?;
            (!part.is_empty() && part != "smem").then_some((part, field))
        })
    }
}

/// `name` is `base` or `base.<anything>`.
pub fn is_named(name: &str, base: &str) -> bool {
    name.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_symbols_round_trip() {
        for field in PartitionSymbol::ALL {
            let name = field.name("my_part");
            assert_eq!(PartitionSymbol::parse(&name), Some(("my_part", field)));
        }
        assert_eq!(PartitionSymbol::parse("__app_x_bss_start"), Some(("x", PartitionSymbol::BssStart)));
        assert_eq!(PartitionSymbol::parse("__app_smem_start"), None);
        assert_eq!(PartitionSymbol::parse("__app__start"), None);
    }

    #[test]
    fn section_names_match_whole_components() {
        assert!(is_named(".data", ".data"));
        assert!(is_named(".data.foo", ".data"));
        assert!(!is_named(".database", ".data"));
    }
}
