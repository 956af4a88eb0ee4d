//! The post-link checker: finds partitions (by their `__app_<part>_*` symbols), user stacks
//! (data objects in `.user_stacks`) and the object table's sections in a linked image, and
//! checks them against the board's MPU model and memory map.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::board::{Board, MemoryKind};
use crate::image::{Image, ImageSection};
use crate::layout::TABLE_ALIGN;
use crate::names::{
    is_named, PartitionSymbol, BSS_PREFIX, DATA_PREFIX, SMEM_SECTION, STACKS_SECTION, TABLE_DATA_SECTION,
    TABLE_RODATA_SECTION,
};
use crate::report::{gap_row, MemoryMap, Row};

/// A rule broken: what (partition, stack, section), where, and which rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub subject: String,
    pub start: u64,
    pub size: u64,
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {:#010x}, size {:#x}: {}", self.subject, self.start, self.size, self.rule)
    }
}

/// A partition as linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedPartition {
    pub name: String,
    pub start: u64,
    pub end: u64,
    pub split: u64,
    /// End of its content (data and bss).
    pub content_end: u64,
}

/// A user stack object as linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedStack {
    pub name: String,
    pub start: u64,
    pub size: u64,
}

/// User memory found in an image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserMemory {
    pub partitions: Vec<LinkedPartition>,
    pub stacks: Vec<LinkedStack>,
    pub table: Vec<ImageSection>,
}

/// Finds user memory in the image; partitions whose symbols are incomplete or inconsistent
/// are reported as violations instead.
pub fn find_user_memory(image: &Image) -> (UserMemory, Vec<Violation>) {
    let mut violations = Vec::new();
    let mut fields: BTreeMap<&str, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for symbol in &image.symbols {
        if let Some((part, field)) = PartitionSymbol::parse(&symbol.name) {
            fields.entry(part).or_default().insert(field.suffix(), symbol.addr);
        }
    }
    let mut memory = UserMemory::default();
    for (name, values) in fields {
        let get = |field: PartitionSymbol| values.get(field.suffix()).copied();
        let (Some(start), Some(end)) = (get(PartitionSymbol::Start), get(PartitionSymbol::End)) else {
            violations.push(Violation {
                subject: format!("partition `{name}`"),
                start: get(PartitionSymbol::Start).unwrap_or(0),
                size: 0,
                rule: format!(
                    "both {} and {} must be defined",
                    PartitionSymbol::Start.name(name),
                    PartitionSymbol::End.name(name)
                ),
            });
            continue;
        };
        let split = get(PartitionSymbol::Split).unwrap_or(end);
        let content_end = get(PartitionSymbol::BssEnd).unwrap_or(end);
        if !(start <= split && split <= end) {
            violations.push(Violation {
                subject: format!("partition `{name}`"),
                start,
                size: end.saturating_sub(start),
                rule: format!("its split point {split:#x} is not between start and end"),
            });
            continue;
        }
        memory.partitions.push(LinkedPartition { name: name.to_string(), start, end, split, content_end });
    }
    memory.partitions.sort_by_key(|p| (p.start, p.end));
    memory.stacks = image
        .symbols
        .iter()
        .filter(|s| s.is_object && s.section.as_deref().is_some_and(is_stack_output))
        .map(|s| LinkedStack { name: s.name.clone(), start: s.addr, size: s.size })
        .collect();
    memory.stacks.sort_by_key(|s| (s.start, s.size));
    memory.table = [TABLE_RODATA_SECTION, TABLE_DATA_SECTION]
        .iter()
        .filter_map(|name| image.section(name).cloned())
        .collect();
    (memory, violations)
}

fn is_stack_output(section: &str) -> bool {
    is_named(section, STACKS_SECTION)
}

fn is_user_section(section: &str) -> bool {
    section == SMEM_SECTION || is_stack_output(section)
}

/// Checks an image; an empty list means it is sound.
pub fn check(image: &Image, board: &Board) -> Vec<Violation> {
    let (memory, mut violations) = find_user_memory(image);
    let model = board.mpu;
    let ram = board.memory(MemoryKind::Ram);

    // A user range: (subject, start, end).
    let mut ranges: Vec<(String, u64, u64)> = Vec::new();
    for p in &memory.partitions {
        let subject = format!("partition `{}`", p.name);
        let size = p.end - p.start;
        let violation = |rule: String| Violation { subject: subject.clone(), start: p.start, size, rule };
        let pieces = [(p.start, p.split), (p.split, p.end)];
        for (index, (from, to)) in pieces.into_iter().enumerate() {
            if from == to && !(index == 0 && p.split == p.end) {
                continue;
            }
            if let Err(rule) = model.encode_piece(from, to - from) {
                let which = if p.split == p.end {
                    String::new()
                } else {
                    format!("piece {} ({from:#x}+{:#x}): ", index + 1, to - from)
                };
                violations.push(violation(format!("{which}{rule}")));
            }
        }
        if p.content_end > p.end || p.content_end < p.start {
            violations
                .push(violation(format!("its content ends at {:#x}, outside the MPU region", p.content_end)));
        }
        if let Some(ram) = ram {
            if !(ram.contains(p.start) && ram.contains(p.end.saturating_sub(1).max(p.start))) {
                violations.push(violation(format!("lies outside the board's {}", ram.name)));
            }
        }
        ranges.push((subject, p.start, p.end));
    }
    for s in &memory.stacks {
        let subject = format!("user stack `{}`", s.name);
        if let Err(rule) = model.check_stack_array(s.start, s.size, None) {
            violations.push(Violation { subject: subject.clone(), start: s.start, size: s.size, rule });
        }
        ranges.push((subject, s.start, s.start.saturating_add(s.size)));
    }

    // Nothing overlaps.
    for (i, (a, a_start, a_end)) in ranges.iter().enumerate() {
        for (b, b_start, b_end) in ranges.iter().skip(i + 1) {
            if a_start < b_end && b_start < a_end {
                violations.push(Violation {
                    subject: a.clone(),
                    start: *a_start,
                    size: a_end - a_start,
                    rule: format!("overlaps {b} at {b_start:#010x}, size {:#x}", b_end - b_start),
                });
            }
        }
    }

    // No kernel section or object inside user memory.
    for section in image.sections.iter().filter(|s| s.alloc && s.size > 0) {
        if is_user_section(&section.name) {
            continue;
        }
        for (subject, start, end) in &ranges {
            if section.addr < *end && *start < section.end() {
                violations.push(Violation {
                    subject: subject.clone(),
                    start: *start,
                    size: end - start,
                    rule: format!(
                        "kernel section `{}` ({:#x}+{:#x}) lies inside it",
                        section.name, section.addr, section.size
                    ),
                });
            }
        }
    }
    for symbol in image.symbols.iter().filter(|s| s.is_object) {
        let Some(section) = symbol.section.as_deref() else {
            continue;
        };
        if section == SMEM_SECTION {
            let inside = memory.partitions.iter().any(|p| p.start <= symbol.addr && symbol.addr < p.end);
            if !inside {
                violations.push(Violation {
                    subject: format!("object `{}`", symbol.name),
                    start: symbol.addr,
                    size: symbol.size,
                    rule: format!("lies in {SMEM_SECTION} but in no partition"),
                });
            }
        }
    }

    // Partition sections the layout did not place keep their names as orphans.
    for section in image.sections.iter().filter(|s| s.alloc) {
        let orphan = section.name.strip_prefix(DATA_PREFIX).or_else(|| section.name.strip_prefix(BSS_PREFIX));
        if let Some(part) = orphan {
            violations.push(Violation {
                subject: format!("section `{}`", section.name),
                start: section.addr,
                size: section.size,
                rule: format!(
                    "partition `{part}` is not in the layout (orphan section): run linker-scripts \
                     layout with this input"
                ),
            });
        }
    }

    // The object table's sections follow every other section of their memory.
    for table in &memory.table {
        let memory_of = |addr| board.memory_at(addr).map(|m| m.name);
        let here = memory_of(table.addr);
        for section in image.sections.iter().filter(|s| s.alloc && s.size > 0) {
            if section.name == TABLE_DATA_SECTION || section.name == TABLE_RODATA_SECTION {
                continue;
            }
            if memory_of(section.addr) == here && section.end() > table.addr {
                violations.push(Violation {
                    subject: format!("section `{}`", table.name),
                    start: table.addr,
                    size: table.size,
                    rule: format!(
                        "`{}` ({:#x}+{:#x}) ends after it; the object table must follow all \
                         kernel data",
                        section.name, section.addr, section.size
                    ),
                });
            }
        }
    }
    violations
}

/// The memory map of a linked image.
pub fn image_memory_map(image: &Image, board: &Board) -> MemoryMap {
    let (memory, _) = find_user_memory(image);
    let model = board.mpu;
    let mut rows = Vec::new();
    let mut previous_end: Option<u64> = None;
    for p in &memory.partitions {
        if let Some(end) = previous_end.filter(|end| *end < p.start) {
            rows.push(gap_row(end, p.start));
        }
        let size = p.end - p.start;
        let used = p.content_end.clamp(p.start, p.end) - p.start;
        rows.push(Row {
            kind: "partition",
            name: p.name.clone(),
            start: Some(p.start),
            size,
            align: model.encode_piece(p.start, first_piece_end(p) - p.start).map_or(1, |e| e.align),
            used,
            padding: size - used,
        });
        previous_end = Some(p.end);
    }
    for s in &memory.stacks {
        if let Some(end) = previous_end.filter(|end| *end < s.start) {
            rows.push(gap_row(end, s.start));
        }
        rows.push(Row {
            kind: "stack",
            name: s.name.clone(),
            start: Some(s.start),
            size: s.size,
            align: model.stack_align(s.size),
            used: s.size,
            padding: 0,
        });
        previous_end = Some(s.start.saturating_add(s.size));
    }
    for table in &memory.table {
        rows.push(Row {
            kind: "table",
            name: table.name.clone(),
            start: Some(table.addr),
            size: table.size,
            align: TABLE_ALIGN,
            used: table.size,
            padding: 0,
        });
    }
    MemoryMap::new(model.name(), None, rows, None)
}

fn first_piece_end(p: &LinkedPartition) -> u64 {
    if p.split > p.start {
        p.split
    } else {
        p.end
    }
}
