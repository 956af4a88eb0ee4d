//! Properties per MPU model: every generated layout obeys the model's rules, stays within
//! the region budget, and never takes more bytes than descending-size order.

use linker_scripts::layout::place;
use linker_scripts::MpuModel;
use proptest::prelude::*;

/// A base address aligned to every alignment the generated sizes can need.
const BASE: u64 = 0x2000_0000;

/// Descending-size order with whole regions, computed independently of the library.
fn baseline(model: &str, contents: &[u64]) -> u64 {
    let whole = |c: u64| -> u64 {
        match model {
            "pmsav7" => c.max(32).next_power_of_two(),
            "pmsav8" => c.max(1).div_ceil(32) * 32,
            "pmp" => c.max(8).next_power_of_two(),
            _ => c.max(1).div_ceil(4096) * 4096,
        }
    };
    let mut sizes: Vec<u64> = contents.iter().map(|c| whole(*c)).collect();
    sizes.sort_by(|a, b| b.cmp(a));
    let mut end = 0u64;
    for size in sizes {
        // Whole regions are aligned to their size (power-of-two models) or to the granule.
        let align = match model {
            "pmsav7" | "pmp" => size,
            "pmsav8" => 32,
            _ => 4096,
        };
        end = end.div_ceil(align) * align + size;
    }
    end
}

fn check_layout(name: &str, contents: &[u64], budget: u32) -> Result<(), TestCaseError> {
    let model = MpuModel::by_name(name).unwrap();
    let packing = place(model, contents, budget).unwrap();
    prop_assert_eq!(packing.baseline_size, baseline(name, contents));
    prop_assert!(packing.size <= packing.baseline_size);
    let mut spans = Vec::new();
    let mut regions = 0;
    let mut min_regions = 0;
    for ((offset, shape), content) in packing.items.iter().zip(contents) {
        prop_assert!(shape.size >= *content, "{:?} too small for {}", shape, content);
        prop_assert_eq!(offset % shape.align, 0);
        prop_assert!(offset + shape.size <= packing.size);
        prop_assert_eq!(shape.pieces.iter().sum::<u64>(), shape.size);
        let mut at = BASE + offset;
        for piece in &shape.pieces {
            let encoded = model.encode_piece(at, *piece);
            prop_assert!(encoded.is_ok(), "piece {:#x}+{:#x}: {:?}", at, piece, encoded);
            at += piece;
        }
        spans.push((*offset, offset + shape.size));
        regions += shape.regions;
        min_regions += model.shapes(*content).iter().map(|s| s.regions).min().unwrap();
    }
    prop_assert!(regions <= budget.max(min_regions));
    spans.sort();
    for pair in spans.windows(2) {
        prop_assert!(pair[0].1 <= pair[1].0, "overlap {:?}", pair);
    }
    Ok(())
}

fn contents() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0u64..300, 0u64..5_000, 0u64..70_000], 1..9)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn pmsav7_layouts_obey_the_rules(contents in contents(), budget in 0u32..9) {
        check_layout("pmsav7", &contents, budget)?;
    }

    #[test]
    fn pmsav8_layouts_obey_the_rules(contents in contents(), budget in 0u32..9) {
        check_layout("pmsav8", &contents, budget)?;
    }

    #[test]
    fn pmp_layouts_obey_the_rules(contents in contents(), budget in 0u32..17) {
        check_layout("pmp", &contents, budget)?;
    }

    #[test]
    fn mmu_layouts_obey_the_rules(contents in contents(), budget in 0u32..4) {
        check_layout("mmu", &contents, budget)?;
    }

    #[test]
    fn stack_objects_obey_the_stack_rule(requested in 1u64..200_000, slot in 0u64..64) {
        for (_, model) in MpuModel::ALL {
            let object = model.stack_object_size(requested).unwrap();
            let guard = model.stack_guard();
            prop_assert!(object - guard >= requested);
            let addr = BASE + slot * model.stack_align(object);
            prop_assert!(model.check_stack(addr, object).is_ok());
            prop_assert!(model.check_stack(addr + 4, object).is_err() || model.stack_align(object) <= 4);
        }
    }

    #[test]
    fn pmsav7_encoding_matches_the_hardware_rule(start in 0u64..0x10000, size in 1u64..0x8000) {
        // Independent statement of the rule: a whole power-of-two region aligned to its
        // size, or a run of whole subregions (>= 256-byte regions) inside one window.
        let model = MpuModel::by_name("pmsav7").unwrap();
        let end = start + size;
        let mut ok = size >= 32 && size.is_power_of_two() && start % size == 0;
        let mut region = 256u64;
        while !ok && region <= 0x20000 {
            let base = start / region * region;
            let sub = region / 8;
            ok = end <= base + region && start % sub == 0 && end % sub == 0;
            region *= 2;
        }
        prop_assert_eq!(model.encode_piece(start, size).is_ok(), ok);
    }
}
