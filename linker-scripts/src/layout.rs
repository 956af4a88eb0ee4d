//! Lays out user memory for an MPU model: partition placement (shape choice, region budget,
//! packing), the user-stack rule applied to the stacks found, and the object table's
//! reservation. Knows nothing of ELF parsing or linker-script syntax.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::inputs::{InputSection, LinkInputs, PartitionInputs, StackInput};
use crate::mpu::{round_up, MpuModel, Shape};

/// Alignment of the object table's reserved sections (the table is made of words).
pub const TABLE_ALIGN: u64 = 4;

/// Exact sizes of the object table's reserved sections, provided by the object-table tool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableReservation {
    /// `.kobject_table.rodata` bytes (lookup code data, in flash).
    pub rodata: u64,
    /// `.kobject_table.data` bytes (per-object metadata, in RAM, loaded from flash).
    pub data: u64,
}

/// One partition placed inside `.app_smem`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlacedPartition {
    pub name: String,
    /// Offset from `__app_smem_start`.
    pub offset: u64,
    /// Bytes covered by the MPU (content plus padding).
    pub size: u64,
    /// Alignment the MPU needs for the start.
    pub align: u64,
    /// Sizes of the consecutive pieces, each programmed as its own MPU region.
    pub pieces: Vec<u64>,
    pub regions: u32,
    /// Upper bound of data plus bss, from the input sections.
    pub content: u64,
    /// Archives assigned whole to this partition.
    pub libraries: Vec<String>,
}

/// A user stack object as found in the inputs, checked against the stack rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedStack {
    pub symbol: String,
    pub origin: String,
    pub size: u64,
    pub align: u64,
}

/// The whole user-memory plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub mpu: &'static str,
    /// Partitions in address order.
    pub partitions: Vec<PlacedPartition>,
    /// Alignment of `.app_smem` (the largest partition alignment).
    pub smem_align: u64,
    /// Size of `.app_smem`, padding included.
    pub smem_size: u64,
    /// What Zephyr's rule (whole power-of-two regions in descending size order) would take.
    pub baseline_size: u64,
    pub regions_used: u32,
    pub region_budget: u32,
    pub stacks: Vec<PlannedStack>,
    pub stacks_align: u64,
    /// Bytes of `.user_stacks` when the linker sorts stacks by descending alignment.
    pub stacks_size: u64,
    /// Whether `.user_stacks` goes before `.app_smem` (whichever order pads less).
    pub stacks_first: bool,
    pub table: TableReservation,
}

impl Plan {
    pub fn content(&self) -> u64 {
        self.partitions.iter().map(|p| p.content).sum()
    }

    /// Bytes of `.app_smem` not holding partition content.
    pub fn padding(&self) -> u64 {
        self.smem_size.saturating_sub(self.content())
    }
}

/// Lays out everything found in `inputs`.
pub fn plan(
    inputs: &LinkInputs,
    model: MpuModel,
    region_budget: u32,
    table: TableReservation,
) -> Result<Plan> {
    let mut contents = Vec::new();
    for (name, partition) in &inputs.partitions {
        let content = content_bound(partition).ok_or_else(|| Error::Layout {
            subject: format!("partition `{name}`"),
            reason: "content size overflows".to_string(),
        })?;
        contents.push((name.as_str(), content, partition));
    }
    let sizes: Vec<u64> = contents.iter().map(|(_, content, _)| *content).collect();
    let packed = place(model, &sizes, region_budget).map_err(|index| Error::Layout {
        subject: format!("partition `{}`", contents.get(index).map_or("?", |(name, _, _)| *name)),
        reason: format!("too large for any {} region", model.name()),
    })?;
    let mut partitions: Vec<PlacedPartition> = packed
        .items
        .iter()
        .zip(&contents)
        .map(|((offset, shape), (name, content, inputs))| PlacedPartition {
            name: name.to_string(),
            offset: *offset,
            size: shape.size,
            align: shape.align,
            pieces: shape.pieces.clone(),
            regions: shape.regions,
            content: *content,
            libraries: inputs.libraries.iter().map(|l| l.archive.clone()).collect(),
        })
        .collect();
    partitions.sort_by_key(|p| p.offset);
    let stacks = plan_stacks(model, &inputs.stacks)?;
    let smem_align = partitions.iter().map(|p| p.align).max().unwrap_or(1);
    let stacks_align = stacks.iter().map(|s| s.align).max().unwrap_or(1);
    let stacks_size = sorted_stacks_size(&stacks).ok_or_else(|| Error::Layout {
        subject: "user stacks".to_string(),
        reason: "total size overflows".to_string(),
    })?;
    // Both sections start on the larger alignment; the second one pads up to its own.
    let smem_then_stacks = round_up(packed.size, stacks_align).map(|at| at + stacks_size);
    let stacks_then_smem = round_up(stacks_size, smem_align).map(|at| at + packed.size);
    Ok(Plan {
        mpu: model.name(),
        smem_align,
        smem_size: packed.size,
        baseline_size: packed.baseline_size,
        regions_used: partitions.iter().map(|p| p.regions).sum(),
        region_budget,
        stacks_align,
        stacks_size,
        stacks_first: stacks_then_smem < smem_then_stacks,
        partitions,
        stacks,
        table,
    })
}

/// Upper bound of a partition's data plus bss as the fragment links it: input-section
/// statements in order (partition data, each library's data, then the same for bss), each
/// statement starting at its largest alignment. Inside a `SORT_BY_ALIGNMENT` statement,
/// sections come in descending alignment, so rounding every size up to its own alignment
/// bounds the padding; COMMON symbols are unsorted, so each may need `align - 1` bytes more.
pub fn content_bound(partition: &PartitionInputs) -> Option<u64> {
    let (data_groups, bss_groups) = statement_groups(partition);
    let mut offset = 0u64;
    for (sections, sorted) in data_groups.into_iter().chain(bss_groups) {
        let Some(first_align) = sections.iter().map(|s| s.align).max() else {
            continue;
        };
        offset = round_up(offset, first_align.next_power_of_two())?;
        for section in sections {
            let align = section.align.next_power_of_two();
            let slack = if sorted { 0 } else { align - 1 };
            offset = offset.checked_add(round_up(section.size, align)?)?.checked_add(slack)?;
        }
    }
    Some(offset)
}

type Group<'a> = (Vec<&'a InputSection>, bool);

/// The input-section statements of a partition, data then bss, as (sections, sorted).
fn statement_groups(partition: &PartitionInputs) -> (Vec<Group<'_>>, Vec<Group<'_>>) {
    let mut data = vec![(partition.data.iter().collect(), true)];
    let mut bss = vec![(partition.bss.iter().collect(), true)];
    for library in &partition.libraries {
        data.push((library.data.iter().collect(), true));
        let (common, sections): (Vec<&InputSection>, Vec<&InputSection>) =
            library.bss.iter().partition(|s| s.name.starts_with("COMMON "));
        bss.push((sections, true));
        bss.push((common, false));
    }
    (data, bss)
}

fn plan_stacks(model: MpuModel, stacks: &[StackInput]) -> Result<Vec<PlannedStack>> {
    let mut planned = Vec::new();
    for stack in stacks {
        let subject = format!("user stack `{}` in {}", stack.symbol, stack.origin);
        let layout_error = |reason: String| Error::Layout { subject: subject.clone(), reason };
        // Relative to its section, the object must already sit on its MPU alignment; the
        // section's own alignment then carries over to the final address.
        let count = model
            .check_stack_array(stack.offset, stack.size, Some(stack.section_align))
            .map_err(|rule| layout_error(format!("size {:#x}: {rule}", stack.size)))?;
        let align = model.stack_align(stack.size / count);
        if stack.section_align < align {
            return Err(layout_error(format!(
                "its section is aligned to {:#x}, the stack rule needs {align:#x}",
                stack.section_align
            )));
        }
        planned.push(PlannedStack {
            symbol: stack.symbol.clone(),
            origin: stack.origin.clone(),
            size: stack.size,
            align,
        });
    }
    planned.sort_by(|a, b| (a.symbol.as_str(), &a.origin).cmp(&(b.symbol.as_str(), &b.origin)));
    Ok(planned)
}

/// `.user_stacks` as `SORT_BY_ALIGNMENT` links it: descending alignment.
fn sorted_stacks_size(stacks: &[PlannedStack]) -> Option<u64> {
    let mut sorted: Vec<&PlannedStack> = stacks.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.align));
    sorted.iter().try_fold(0u64, |end, s| round_up(end, s.align)?.checked_add(s.size))
}

/// Partition placement: for each input (same order), its offset and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packing {
    pub items: Vec<(u64, Shape)>,
    /// End of the last item: the size of the whole block.
    pub size: u64,
    /// Size of the block under plain descending-size order with whole regions.
    pub baseline_size: u64,
}

/// Places partitions of the given content sizes. Starts from each partition's cheapest
/// shape in regions, spends spare regions of the budget where they save the most bytes,
/// packs with gap filling, and never does worse than descending-size order (which is kept
/// when nothing beats it). The error is the index of a partition no region can hold.
pub fn place(model: MpuModel, contents: &[u64], region_budget: u32) -> Result<Packing, usize> {
    // Per partition: its cheapest shape in regions, and all its shapes.
    let mut options: Vec<(Shape, Vec<Shape>)> = Vec::new();
    for (index, content) in contents.iter().enumerate() {
        let shapes = model.shapes(*content);
        let cheapest = cheapest(&shapes).ok_or(index)?.clone();
        options.push((cheapest, shapes));
    }
    let baseline_shapes: Vec<Shape> = options
        .iter()
        .map(|(cheapest, _)| {
            let size = cheapest.size.max(cheapest.align);
            Shape { size, align: cheapest.align, pieces: vec![size], regions: cheapest.regions }
        })
        .collect();
    let mut baseline_order: Vec<usize> = (0..contents.len()).collect();
    baseline_order.sort_by_key(|&i| std::cmp::Reverse(baseline_shapes.get(i).map_or(0, |s| s.size)));
    let (baseline_offsets, baseline_size) = pack_in_order(&baseline_shapes, &baseline_order);

    let mut chosen: Vec<Shape> = options.iter().map(|(cheapest, _)| cheapest.clone()).collect();
    let (mut offsets, mut size) = pack_best(&chosen);
    let mut regions: u32 = chosen.iter().map(|s| s.regions).sum();
    // Upgrades: a shape spending more regions for fewer bytes, best saving first.
    let mut upgrades: Vec<(u64, usize, &Shape)> = Vec::new();
    for (index, (current, shapes)) in options.iter().enumerate() {
        for shape in shapes {
            if shape.regions > current.regions && shape.size < current.size {
                upgrades.push((current.size - shape.size, index, shape));
            }
        }
    }
    upgrades.sort_by_key(|(saving, index, _)| (std::cmp::Reverse(*saving), *index));
    for (_, index, shape) in upgrades {
        let Some(current) = chosen.get(index) else {
            continue;
        };
        let extra = shape.regions.saturating_sub(current.regions);
        if shape.size >= current.size || regions + extra > region_budget {
            continue;
        }
        let mut trial = chosen.clone();
        if let Some(slot) = trial.get_mut(index) {
            *slot = shape.clone();
        }
        let (trial_offsets, trial_size) = pack_best(&trial);
        if trial_size < size {
            chosen = trial;
            offsets = trial_offsets;
            size = trial_size;
            regions += extra;
        }
    }
    if size >= baseline_size {
        chosen = baseline_shapes;
        offsets = baseline_offsets;
        size = baseline_size;
    }
    Ok(Packing { items: offsets.into_iter().zip(chosen).collect(), size, baseline_size })
}

/// The smallest shape among those spending the fewest regions.
fn cheapest(shapes: &[Shape]) -> Option<&Shape> {
    let fewest = shapes.iter().map(|s| s.regions).min()?;
    shapes.iter().filter(|s| s.regions == fewest).min_by_key(|s| s.size)
}

/// Orders tried for gap-filling packing: all of them for a few partitions, otherwise
/// descending alignment then size, and descending size.
const EXHAUSTIVE_UP_TO: usize = 6;

fn pack_best(shapes: &[Shape]) -> (Vec<u64>, u64) {
    let n = shapes.len();
    let mut orders: Vec<Vec<usize>> = Vec::new();
    if n <= EXHAUSTIVE_UP_TO {
        permutations(&mut (0..n).collect(), 0, &mut orders);
    } else {
        let mut by_align: Vec<usize> = (0..n).collect();
        by_align
            .sort_by_key(|&i| shapes.get(i).map(|s| (std::cmp::Reverse(s.align), std::cmp::Reverse(s.size))));
        let mut by_size: Vec<usize> = (0..n).collect();
        by_size.sort_by_key(|&i| shapes.get(i).map(|s| std::cmp::Reverse(s.size)));
        orders.push(by_align);
        orders.push(by_size);
    }
    orders.iter().map(|order| pack_in_order(shapes, order)).min_by_key(|(_, size)| *size).unwrap_or_default()
}

fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k >= items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, out);
        items.swap(k, i);
    }
}

/// First fit: each shape goes into the lowest gap left by earlier alignment padding where it
/// fits aligned, else at the end. Returns offsets by shape index and the end.
fn pack_in_order(shapes: &[Shape], order: &[usize]) -> (Vec<u64>, u64) {
    let mut offsets = vec![0; shapes.len()];
    let mut gaps: Vec<(u64, u64)> = Vec::new();
    let mut end = 0u64;
    for &index in order {
        let Some(shape) = shapes.get(index) else {
            continue;
        };
        let align = shape.align.max(1);
        let fit = gaps.iter().enumerate().find_map(|(g, &(start, stop))| {
            let at = round_up(start, align)?;
            (at.checked_add(shape.size)? <= stop).then_some((g, at))
        });
        let at = if let Some((g, at)) = fit {
            let (start, stop) = gaps.remove(g);
            let after = at + shape.size;
            if after < stop {
                gaps.insert(g, (after, stop));
            }
            if start < at {
                gaps.insert(g, (start, at));
            }
            at
        } else {
            let at = round_up(end, align).unwrap_or(u64::MAX);
            if at > end {
                gaps.push((end, at));
            }
            end = at.saturating_add(shape.size);
            at
        };
        if let Some(slot) = offsets.get_mut(index) {
            *slot = at;
        }
    }
    (offsets, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v7() -> MpuModel {
        MpuModel::by_name("pmsav7").unwrap()
    }

    #[test]
    fn beats_descending_size_with_subregions_and_gaps() {
        // 5000 → 5 KiB of an 8 KiB window; the 2 KiB and 1 KiB partitions fill the 3 KiB left.
        let packing = place(v7(), &[5000, 2000, 1000], 0).unwrap();
        assert_eq!(packing.baseline_size, 8192 + 2048 + 1024);
        assert_eq!(packing.size, 8192);
    }

    #[test]
    fn splits_within_budget_only() {
        // 4100 bytes: 5 KiB in one region, 4 KiB + 32 in two.
        assert_eq!(place(v7(), &[4100], 1).unwrap().size, 5120);
        let split = place(v7(), &[4100], 2).unwrap();
        assert_eq!(split.size, 4128);
        assert_eq!(split.items[0].1.pieces, vec![4096, 32]);
    }

    #[test]
    fn keeps_descending_order_when_nothing_beats_it() {
        let packing = place(v7(), &[1024, 512, 32], 8).unwrap();
        assert_eq!((packing.size, packing.baseline_size), (1568, 1568));
        let offsets: Vec<u64> = packing.items.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, vec![0, 1024, 1536]);
    }

    #[test]
    fn content_bound_rounds_each_section() {
        let section =
            |size, align| InputSection { origin: "t.o".into(), name: ".app_data.p".into(), size, align };
        let partition = PartitionInputs {
            data: vec![section(5, 4), section(8, 8)],
            bss: vec![section(3, 1)],
            libraries: Vec::new(),
        };
        // 8 (align 8) + 8 (5 rounded to 4) + 3.
        assert_eq!(content_bound(&partition), Some(19));
    }

    #[test]
    fn misaligned_stacks_are_refused() {
        let stack =
            StackInput { origin: "t.o".into(), symbol: "s".into(), offset: 0, size: 1024, section_align: 8 };
        let err = plan_stacks(v7(), &[stack]).unwrap_err().to_string();
        assert!(err.contains("user stack `s` in t.o"), "{err}");
        assert!(err.contains("needs 0x400"), "{err}");
    }

    #[test]
    fn stacks_go_first_when_that_pads_less() {
        let mut inputs = LinkInputs::default();
        inputs.partitions.insert(
            "small".into(),
            PartitionInputs {
                data: vec![InputSection {
                    origin: "t.o".into(),
                    name: ".app_data.small".into(),
                    size: 100,
                    align: 4,
                }],
                ..PartitionInputs::default()
            },
        );
        inputs.stacks.push(StackInput {
            origin: "t.o".into(),
            symbol: "big_stack".into(),
            offset: 0,
            size: 2048,
            section_align: 2048,
        });
        let plan = plan(&inputs, v7(), 4, TableReservation::default()).unwrap();
        // 2048 + 128 beats 128 padded to 2048 + 2048.
        assert_eq!((plan.smem_size, plan.stacks_size), (128, 2048));
        assert!(plan.stacks_first);
        assert_eq!(plan.padding(), 28);
    }
}
