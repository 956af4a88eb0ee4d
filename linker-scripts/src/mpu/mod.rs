//! MPU models as data: one module per architecture, one enum that names them.
//!
//! Every model answers the same three questions:
//! - [`MpuModel::shapes`]: in which ways can a partition holding `content` bytes be laid out
//!   (bytes occupied, alignment, pieces, regions spent);
//! - [`MpuModel::encode_piece`]: can `[start, start + size)` be programmed as one protected
//!   piece, and if not, which rule does it break (used by the post-link checker);
//! - the user-stack rule ([`MpuModel::stack_object_size`], [`MpuModel::check_stack`]): how
//!   big and how aligned a stack object with its guard must be.

mod mmu;
mod pmp;
mod pmsav7;
mod pmsav8;

pub use mmu::Mmu;
pub use pmp::Pmp;
pub use pmsav7::Pmsav7;
pub use pmsav8::Pmsav8;

use serde::Serialize;

/// One way of laying out a partition: `size` bytes at an address aligned to `align`,
/// covered by `pieces.len()` consecutive pieces (each programmed separately), spending
/// `regions` MPU regions (or PMP entries) in total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    pub size: u64,
    pub align: u64,
    pub pieces: Vec<u64>,
    pub regions: u32,
}

/// How a valid piece is programmed: the MPU regions it takes and the alignment that made it
/// valid (the region size for power-of-two regions, the granule otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    pub regions: u32,
    pub align: u64,
}

/// A memory-protection unit, described by its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MpuModel {
    /// ARMv7-M / ARMv6-M protected memory system architecture.
    Pmsav7(Pmsav7),
    /// ARMv8-M protected memory system architecture.
    Pmsav8(Pmsav8),
    /// RISC-V physical memory protection.
    Pmp(Pmp),
    /// A page-granular MMU.
    Mmu(Mmu),
}

impl MpuModel {
    /// Every known model with its standard parameters, by the names the CLI accepts.
    pub const ALL: [(&'static str, MpuModel); 4] = [
        ("pmsav7", MpuModel::Pmsav7(Pmsav7::ARMV7M)),
        ("pmsav8", MpuModel::Pmsav8(Pmsav8::ARMV8M)),
        ("pmp", MpuModel::Pmp(Pmp::RISCV16)),
        ("mmu", MpuModel::Mmu(Mmu::PAGES_4K)),
    ];

    pub fn by_name(name: &str) -> Option<MpuModel> {
        Self::ALL.iter().find(|(known, _)| *known == name).map(|(_, model)| *model)
    }

    pub fn name(&self) -> &'static str {
        match self {
            MpuModel::Pmsav7(_) => "PMSAv7",
            MpuModel::Pmsav8(_) => "PMSAv8",
            MpuModel::Pmp(_) => "PMP",
            MpuModel::Mmu(_) => "MMU",
        }
    }

    /// Hardware regions (entries) available in total; `None` when unlimited (page tables).
    pub fn region_count(&self) -> Option<u32> {
        match self {
            MpuModel::Pmsav7(m) => Some(m.regions),
            MpuModel::Pmsav8(m) => Some(m.regions),
            MpuModel::Pmp(m) => Some(m.entries),
            MpuModel::Mmu(_) => None,
        }
    }

    /// The layouts possible for a partition of `content` bytes, cheapest in regions first.
    /// Empty when the content is too large to be protected at all.
    pub fn shapes(&self, content: u64) -> Vec<Shape> {
        match self {
            MpuModel::Pmsav7(m) => m.shapes(content),
            MpuModel::Pmsav8(m) => m.shapes(content),
            MpuModel::Pmp(m) => m.shapes(content),
            MpuModel::Mmu(m) => m.shapes(content),
        }
    }

    /// Checks that `[start, start + size)` can be programmed as one piece; the error is the
    /// rule broken, in words.
    pub fn encode_piece(&self, start: u64, size: u64) -> Result<Encoding, String> {
        match self {
            MpuModel::Pmsav7(m) => m.encode_piece(start, size),
            MpuModel::Pmsav8(m) => m.encode_piece(start, size),
            MpuModel::Pmp(m) => m.encode_piece(start, size),
            MpuModel::Mmu(m) => m.encode_piece(start, size),
        }
    }

    /// Bytes of guard at the low end of every user stack object.
    pub fn stack_guard(&self) -> u64 {
        match self {
            MpuModel::Pmsav7(m) => m.stack_guard,
            MpuModel::Pmsav8(m) => m.granule,
            MpuModel::Pmp(m) => m.stack_guard,
            MpuModel::Mmu(m) => m.page,
        }
    }

    /// Size of the stack object (guard included) for a stack of `requested` usable bytes;
    /// `None` on overflow.
    pub fn stack_object_size(&self, requested: u64) -> Option<u64> {
        let guarded = requested.checked_add(self.stack_guard())?;
        match self {
            MpuModel::Pmsav7(m) => guarded.max(m.min_region).checked_next_power_of_two(),
            MpuModel::Pmsav8(m) => round_up(guarded, m.granule),
            MpuModel::Pmp(m) => round_up(guarded, m.stack_guard),
            MpuModel::Mmu(m) => round_up(guarded, m.page),
        }
    }

    /// Alignment of a stack object of `object_size` bytes.
    pub fn stack_align(&self, object_size: u64) -> u64 {
        match self {
            MpuModel::Pmsav7(_) => object_size,
            MpuModel::Pmsav8(m) => m.granule,
            MpuModel::Pmp(m) => m.stack_guard,
            MpuModel::Mmu(m) => m.page,
        }
    }

    /// Checks a stack object found at `addr` with `size` bytes against the stack rule.
    pub fn check_stack(&self, addr: u64, size: u64) -> Result<(), String> {
        let guard = self.stack_guard();
        let usable = size.checked_sub(guard).filter(|usable| *usable > 0);
        let expected = usable.and_then(|usable| self.stack_object_size(usable));
        if expected != Some(size) {
            return Err(match self {
                MpuModel::Pmsav7(_) => format!(
                    "a PMSAv7 stack object is a power of two holding a {guard}-byte guard \
                     and at least one usable byte"
                ),
                _ => format!(
                    "a {} stack object is a multiple of {} bytes holding a {guard}-byte guard \
                     and at least one usable byte",
                    self.name(),
                    self.stack_align(size)
                ),
            });
        }
        let align = self.stack_align(size);
        if addr % align != 0 {
            return Err(format!(
                "a {} stack object of {size:#x} bytes must be aligned to {align:#x}",
                self.name()
            ));
        }
        Ok(())
    }

    /// Checks a stack object that may be an array of equal stacks (`K_THREAD_STACK_ARRAY_DEFINE`):
    /// it passes when, for some element count up to [`MAX_STACK_ARRAY`], every element meets
    /// [`MpuModel::check_stack`] and needs no more alignment than `max_align` (when known).
    /// The symbol table does not say how many elements an array has, and any split into valid
    /// stacks gives the MPU valid regions. Returns the element count.
    pub fn check_stack_array(&self, addr: u64, size: u64, max_align: Option<u64>) -> Result<u64, String> {
        let single = self.check_stack(addr, size);
        for count in 1..=MAX_STACK_ARRAY.min(size) {
            if size % count != 0 {
                continue;
            }
            let element = size / count;
            let aligned = max_align.is_none_or(|max| self.stack_align(element) <= max);
            if aligned && (0..count).all(|i| self.check_stack(addr + i * element, element).is_ok()) {
                return Ok(count);
            }
        }
        single
            .map(|()| 1)
            .map_err(|rule| format!("{rule} (nor is it an array of up to {MAX_STACK_ARRAY} such stacks)"))
    }
}

/// The most elements a stack array may have for [`MpuModel::check_stack_array`].
pub const MAX_STACK_ARRAY: u64 = 64;

/// `value` rounded up to a multiple of the power of two `granule`; `None` on overflow.
pub(crate) fn round_up(value: u64, granule: u64) -> Option<u64> {
    let mask = granule.checked_sub(1)?;
    value.checked_add(mask).map(|v| v & !mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_found_by_name() {
        for (name, model) in MpuModel::ALL {
            assert_eq!(MpuModel::by_name(name), Some(model));
        }
        assert_eq!(MpuModel::by_name("pmsav6"), None);
    }

    #[test]
    fn pmsav7_stacks_are_power_of_two_with_guard() {
        let m = MpuModel::by_name("pmsav7").unwrap();
        assert_eq!(m.stack_object_size(1024), Some(2048));
        assert_eq!(m.stack_object_size(992), Some(1024));
        assert_eq!(m.stack_object_size(1), Some(64));
        assert!(m.check_stack(0x2000_0400, 1024).is_ok());
        let err = m.check_stack(0x2000_0200, 1024).unwrap_err();
        assert!(err.contains("aligned to 0x400"), "{err}");
        let err = m.check_stack(0x2000_0000, 1000).unwrap_err();
        assert!(err.contains("power of two"), "{err}");
        assert!(m.check_stack(0x2000_0000, 32).is_err());
        // Arrays of stacks: three 1 KiB stacks, each aligned to 1 KiB.
        assert_eq!(m.check_stack_array(0x2000_0400, 3 * 1024, None), Ok(3));
        assert_eq!(m.check_stack_array(0x2000_0400, 1024, None), Ok(1));
        let err = m.check_stack_array(0x2000_0020, 3 * 1024, None).unwrap_err();
        assert!(err.contains("nor is it an array"), "{err}");
        // Two 4 KiB stacks in a section aligned to 4 KiB: not one 8 KiB stack.
        assert_eq!(m.check_stack_array(0, 8192, Some(4096)), Ok(2));
    }

    #[test]
    fn granular_stacks_round_to_the_granule() {
        let v8 = MpuModel::by_name("pmsav8").unwrap();
        assert_eq!(v8.stack_object_size(1000), Some(1056));
        assert!(v8.check_stack(0x2000_0020, 1056).is_ok());
        assert!(v8.check_stack(0x2000_0010, 1056).is_err());
        let mmu = MpuModel::by_name("mmu").unwrap();
        assert_eq!(mmu.stack_object_size(4096), Some(8192));
        assert!(mmu.check_stack(0x1000, 8192).is_ok());
        let pmp = MpuModel::by_name("pmp").unwrap();
        assert_eq!(pmp.stack_object_size(100), Some(128));
        assert!(pmp.check_stack(0x8000_0010, 128).is_ok());
    }
}
