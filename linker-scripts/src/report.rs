//! The memory-map summary: rows of regions with start, size, alignment, bytes used and
//! padding, plus totals; rendered as a human table or JSON. Built from a plan (before the
//! link) or from a checked image (after it).

use std::fmt::Write;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `partition`, `stack`, `gap` or `table`.
    pub kind: &'static str,
    pub name: String,
    /// Absolute address, or offset from `MemoryMap::origin` when that is set; `None` when
    /// not known before the link.
    pub start: Option<u64>,
    pub size: u64,
    pub align: u64,
    pub used: u64,
    pub padding: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub size: u64,
    pub used: u64,
    pub padding: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryMap {
    pub mpu: String,
    /// Symbol the starts are relative to; `None` for absolute addresses.
    pub origin: Option<String>,
    pub rows: Vec<Row>,
    pub totals: Totals,
    /// Partition bytes under descending-size order with whole regions, when known.
    pub baseline_partition_size: Option<u64>,
}

impl MemoryMap {
    pub fn new(mpu: &str, origin: Option<&str>, rows: Vec<Row>, baseline: Option<u64>) -> Self {
        let totals = rows.iter().fold(Totals::default(), |acc, row| Totals {
            size: acc.size.saturating_add(row.size),
            used: acc.used.saturating_add(row.used),
            padding: acc.padding.saturating_add(row.padding),
        });
        MemoryMap {
            mpu: mpu.to_string(),
            origin: origin.map(str::to_string),
            rows,
            totals,
            baseline_partition_size: baseline,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let start_title = match &self.origin {
            Some(origin) => format!("starts are offsets from {origin}"),
            None => "starts are addresses".to_string(),
        };
        let _ = writeln!(out, "Memory map ({}), {start_title}", self.mpu);
        let _ = writeln!(
            out,
            "{:<10} {:<24} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "kind", "region", "start", "size", "align", "used", "padding"
        );
        for row in &self.rows {
            let start = row.start.map_or_else(|| "-".to_string(), |start| format!("{start:#x}"));
            let _ = writeln!(
                out,
                "{:<10} {:<24} {:>10} {:>10} {:>10} {:>10} {:>10}",
                row.kind,
                row.name,
                start,
                format!("{:#x}", row.size),
                format!("{:#x}", row.align),
                format!("{:#x}", row.used),
                format!("{:#x}", row.padding)
            );
        }
        let _ = writeln!(
            out,
            "{:<10} {:<24} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "total",
            "",
            "",
            format!("{:#x}", self.totals.size),
            "",
            format!("{:#x}", self.totals.used),
            format!("{:#x}", self.totals.padding)
        );
        if let Some(baseline) = self.baseline_partition_size {
            let _ = writeln!(
                out,
                "partitions in descending-size order with whole regions would take {baseline:#x} \
                 bytes"
            );
        }
        out
    }
}

/// The memory map of a plan: partitions at their offsets in `.app_smem` (with the gaps
/// between them), stacks and table reservations without addresses.
pub fn plan_memory_map(plan: &crate::layout::Plan) -> MemoryMap {
    let mut rows = Vec::new();
    let mut end = 0u64;
    for p in &plan.partitions {
        if p.offset > end {
            rows.push(gap_row(end, p.offset));
        }
        rows.push(Row {
            kind: "partition",
            name: p.name.clone(),
            start: Some(p.offset),
            size: p.size,
            align: p.align,
            used: p.content.min(p.size),
            padding: p.size.saturating_sub(p.content),
        });
        end = end.max(p.offset.saturating_add(p.size));
    }
    if plan.smem_size > end {
        rows.push(gap_row(end, plan.smem_size));
    }
    for s in &plan.stacks {
        rows.push(Row {
            kind: "stack",
            name: s.symbol.clone(),
            start: None,
            size: s.size,
            align: s.align,
            used: s.size,
            padding: 0,
        });
    }
    for (name, size) in [
        (crate::names::TABLE_RODATA_SECTION, plan.table.rodata),
        (crate::names::TABLE_DATA_SECTION, plan.table.data),
    ] {
        rows.push(Row {
            kind: "table",
            name: name.to_string(),
            start: None,
            size,
            align: crate::layout::TABLE_ALIGN,
            used: size,
            padding: 0,
        });
    }
    MemoryMap::new(plan.mpu, Some(crate::names::SMEM_START), rows, Some(plan.baseline_size))
}

pub(crate) fn gap_row(from: u64, to: u64) -> Row {
    Row {
        kind: "gap",
        name: String::new(),
        start: Some(from),
        size: to - from,
        align: 1,
        used: 0,
        padding: to - from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_rendering() {
        let rows = vec![
            Row {
                kind: "partition",
                name: "a".into(),
                start: Some(0x2000_0000),
                size: 0x400,
                align: 0x400,
                used: 0x300,
                padding: 0x100,
            },
            Row {
                kind: "table",
                name: ".kobject_table.data".into(),
                start: None,
                size: 0x40,
                align: 4,
                used: 0x40,
                padding: 0,
            },
        ];
        let map = MemoryMap::new("PMSAv7", None, rows, Some(0x800));
        assert_eq!(map.totals.size, 0x440);
        assert_eq!(map.totals.padding, 0x100);
        let table = map.to_table();
        assert!(table.contains("0x20000000"), "{table}");
        assert!(table.contains("total"), "{table}");
        let json: serde_json::Value = serde_json::from_str(&map.to_json()).unwrap();
        assert_eq!(json["totals"]["used"], 0x340);
        assert_eq!(json["rows"][1]["start"], serde_json::Value::Null);
    }
}
