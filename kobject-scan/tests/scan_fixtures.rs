//! The scanner against real compiler output: every object of the fixtures is found at the
//! address the ELF symbol table and an offsetof/sizeof probe say, nothing else is, and every
//! rejected candidate carries the right reason.

mod common;

use std::collections::BTreeMap;

use common::{Toolchain, Unit, ARM, CLANG, CLANG_ARM_MERGED, HOST_GCC, PPC};
use kobject_scan::{Inventory, Kind, Manifest, Reason};

fn manifest() -> Manifest {
    Manifest::from_file(&common::fixtures().join("manifest.toml")).expect("fixture manifest")
}

/// An object the fixtures define: its path, the symbol it lives in, C expressions for its
/// offset in that symbol and its size, and what it is.
struct Expected {
    symbol: String,
    base: &'static str,
    offset: String,
    size: String,
    type_name: &'static str,
    kind: Kind,
}

fn exp(
    symbol: impl Into<String>,
    base: &'static str,
    offset: impl Into<String>,
    size: &str,
    type_name: &'static str,
    kind: Kind,
) -> Expected {
    Expected { symbol: symbol.into(), base, offset: offset.into(), size: size.to_string(), type_name, kind }
}

const SEM: &str = "sizeof(struct k_sem)";
const THREAD: &str = "sizeof(struct k_thread)";
const STACK_ELEM: &str = "sizeof(struct k_thread_stack_element)";

fn expected_objects() -> Vec<Expected> {
    use Kind::*;
    let mut v = Vec::new();
    for s in [
        "sem_bss",
        "sem_data",
        "sem_file_static",
        "sem_volatile",
        "sem_atomic",
        "sem_kobj",
        "sem_declared_first",
        "sem_extern",
        "sem_common",
    ] {
        v.push(exp(s, s, "0", SEM, "k_sem", Object));
    }
    v.push(exp("fixture_fn::fn_static_sem", "fn_static_sem", "0", SEM, "k_sem", Object));
    v.push(exp("fixture_fn::fn_static_second", "fn_static_second", "0", SEM, "k_sem", Object));
    v.push(exp("fixture_fn_next::fn_next_static", "fn_next_static", "0", SEM, "k_sem", Object));
    for (base, n) in
        [("sem_volatile_array", 3), ("sem_const_array", 2), ("sem_cv_array", 2), ("sem_atomic_array", 2)]
    {
        for i in 0..n {
            v.push(exp(format!("{base}[{i}]"), base, format!("{i} * {SEM}"), SEM, "k_sem", Object));
        }
    }
    for i in 0..3 {
        for j in 0..2 {
            v.push(exp(
                format!("sem_pairs[{i}][{j}]"),
                "sem_pairs",
                format!("{} * {SEM}", i * 2 + j),
                SEM,
                "k_sem",
                Object,
            ));
        }
    }
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..2 {
                let flat = i * 6 + j * 2 + k;
                v.push(exp(
                    format!("sem_cube[{i}][{j}][{k}]"),
                    "sem_cube",
                    format!("{flat} * {SEM}"),
                    SEM,
                    "k_sem",
                    Object,
                ));
            }
        }
    }
    for (prefix, base, start) in
        [("bank", "bank", None), ("banks[0]", "banks", Some(0)), ("banks[1]", "banks", Some(1))]
    {
        let outer = start.map(|b| format!("{b} * sizeof(struct bank) + ")).unwrap_or_default();
        for i in 0..4 {
            v.push(exp(
                format!("{prefix}.sems[{i}]"),
                base,
                format!("{outer}offsetof(struct bank, sems[{i}])"),
                SEM,
                "k_sem",
                Object,
            ));
        }
        v.push(exp(
            format!("{prefix}.inner.m"),
            base,
            format!("{outer}offsetof(struct bank, inner.m)"),
            "sizeof(struct k_mutex)",
            "k_mutex",
            Object,
        ));
    }
    v.push(exp(
        "with_anon.anon_sem",
        "with_anon",
        "offsetof(struct with_anon, anon_sem)",
        SEM,
        "k_sem",
        Object,
    ));
    v.push(exp(
        "holds_union.after",
        "holds_union",
        "offsetof(struct holds_union, after)",
        SEM,
        "k_sem",
        Object,
    ));
    for t in ["thread_a", "thread_b", "shared_common"] {
        v.push(exp(t, t, "0", THREAD, "k_thread", Thread));
    }
    for i in 0..2 {
        v.push(exp(
            format!("threads[{i}]"),
            "threads",
            format!("{i} * {THREAD}"),
            THREAD,
            "k_thread",
            Thread,
        ));
    }
    v.push(exp(
        "tws.thread",
        "tws",
        "offsetof(struct thread_with_stack, thread)",
        THREAD,
        "k_thread",
        Thread,
    ));
    v.push(exp(
        "stack_one",
        "stack_one",
        "0",
        &format!("256 * {STACK_ELEM}"),
        "k_thread_stack_element",
        Stack,
    ));
    v.push(exp(
        "user_stack",
        "user_stack",
        "0",
        &format!("64 * {STACK_ELEM}"),
        "k_thread_stack_element",
        Stack,
    ));
    for i in 0..3 {
        v.push(exp(
            format!("stacks_two[{i}]"),
            "stacks_two",
            format!("{i} * 128 * {STACK_ELEM}"),
            &format!("128 * {STACK_ELEM}"),
            "k_thread_stack_element",
            Stack,
        ));
    }
    for i in 0..2 {
        v.push(exp(
            format!("stacks_typedef[{i}]"),
            "stacks_typedef",
            format!("{i} * sizeof(stack64_t)"),
            "sizeof(stack64_t)",
            "k_thread_stack_element",
            Stack,
        ));
    }
    v.push(exp(
        "tws.stack",
        "tws",
        "offsetof(struct thread_with_stack, stack)",
        "sizeof(((struct thread_with_stack *)0)->stack)",
        "k_thread_stack_element",
        Stack,
    ));
    v.push(exp("dev_uart", "dev_uart", "0", "sizeof(struct device)", "uart_driver_api", Device));
    v.push(exp("dev_gpio", "dev_gpio", "0", "sizeof(struct device)", "gpio_driver_api", Device));
    v
}

/// A rejected candidate: path, symbol, offset expression, and the reason expected.
fn expected_rejections(symbols: &common::Symbols) -> Vec<(String, &'static str, String, Reason)> {
    vec![
        (
            "dev_unknown".into(),
            "dev_unknown",
            "0".into(),
            Reason::UnknownApi { pointer: symbols.get("not_an_api").0 },
        ),
        ("dev_null".into(), "dev_null", "0".into(), Reason::NullApi),
        ("sem_user".into(), "sem_user", "0".into(), Reason::NotKernelSection { section: ".app_data".into() }),
        (
            "sem_in_stacks".into(),
            "sem_in_stacks",
            "0".into(),
            Reason::NotKernelSection { section: ".user_stacks".into() },
        ),
        ("flexible.sems".into(), "flexible", "offsetof(struct flexible, sems)".into(), Reason::UnknownBound),
        ("sem_union.s".into(), "sem_union", "0".into(), Reason::InUnion { union_path: "sem_union".into() }),
        (
            "holds_union.u.s".into(),
            "holds_union",
            "offsetof(struct holds_union, u.s)".into(),
            Reason::InUnion { union_path: "holds_union.u".into() },
        ),
        (
            "shared_common".into(),
            "shared_common",
            "0".into(),
            Reason::SharedAddress { kept: "shared_common".into() },
        ),
    ]
}

/// Build the main fixture image with `tc` and `flags`, scan it and compare with the truth.
fn check(name: &str, tc: &Toolchain, flags: &[&str], other_flags: &[&str]) -> Inventory {
    let dir = common::scratch(name);
    let units =
        [Unit { source: "objects.c", flags: &[] }, Unit { source: "objects_other.c", flags: other_flags }];
    let image = common::build(tc, &dir, &units, flags, &[], "fixture_entry");
    let symbols = common::Symbols::read(&image);
    let objects = expected_objects();
    let rejections = expected_rejections(&symbols);
    let exprs: Vec<String> = objects
        .iter()
        .flat_map(|o| [o.offset.clone(), o.size.clone()])
        .chain(rejections.iter().map(|r| r.2.clone()))
        .collect();
    let values = common::probe(tc, &dir, flags, &exprs);

    let inventory =
        kobject_scan::scan_file(&image, &manifest()).unwrap_or_else(|e| panic!("{name}: scan failed: {e}"));

    // Expected objects keyed by symbol path.
    let mut want = BTreeMap::new();
    for (i, o) in objects.iter().enumerate() {
        let (base, section) = symbols.get(o.base);
        want.insert(
            o.symbol.clone(),
            (base + values[2 * i], values[2 * i + 1], o.type_name, o.kind, section),
        );
    }
    let got: BTreeMap<_, _> = inventory
        .objects
        .iter()
        .map(|o| {
            let symbol = inventory.symbol(o).to_string();
            (
                symbol,
                (o.address, o.size, inventory.type_name(o), o.kind, inventory.section_name(o).to_string()),
            )
        })
        .collect();
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{name}: missing {missing:?}, unexpected {extra:?}");
    for (symbol, w) in &want {
        let g = &got[symbol];
        assert_eq!(
            (w.0, w.1, w.2, w.3, w.4.as_str()),
            (g.0, g.1, g.2, g.3, g.4.as_str()),
            "{name}: object {symbol}"
        );
    }

    // Thread indices follow addresses; stack data words are stack sizes.
    let mut threads: Vec<_> =
        want.iter().filter(|(_, w)| w.3 == Kind::Thread).map(|(s, w)| (w.0, s.clone())).collect();
    threads.sort();
    for (index, (_, symbol)) in threads.iter().enumerate() {
        let o = inventory.find(symbol).expect("thread");
        assert_eq!(o.data, index as u64, "{name}: thread index of {symbol}");
    }
    for o in inventory.objects.iter().filter(|o| o.kind == Kind::Stack) {
        assert_eq!(o.data, o.size, "{name}: stack data word of {}", inventory.symbol(o));
    }

    // Devices point at the API instances named by the symbol table.
    for (device, api) in [("dev_uart", "uart_api"), ("dev_gpio", "gpio_api")] {
        let o = inventory.find(device).expect("device");
        assert_eq!(o.api.map(|a| a.get()), Some(symbols.get(api).0), "{name}: API of {device}");
        assert_eq!(inventory.struct_name(o), "device");
    }

    // Rejections: exactly the expected ones, with the expected reasons and addresses.
    let mut got_rejected: Vec<_> =
        inventory.rejected.iter().map(|r| (r.symbol.clone(), r.address, r.reason.clone())).collect();
    got_rejected.sort_by(|a, b| a.0.cmp(&b.0));
    let offset_base = 2 * objects.len();
    let mut want_rejected: Vec<_> = rejections
        .iter()
        .enumerate()
        .map(|(i, (path, base, _, reason))| {
            (path.clone(), symbols.get(base).0 + values[offset_base + i], reason.clone())
        })
        .collect();
    want_rejected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got_rejected, want_rejected, "{name}: rejected candidates");
    assert!(
        inventory.notes.iter().any(|n| n.contains("2 objects start at") && n.contains("shared_common")),
        "{name}: note on the shared address: {:?}",
        inventory.notes
    );
    inventory
}

#[test]
fn arm_dwarf4_o0() {
    check("arm-d4-O0", &ARM, &["-gdwarf-4", "-O0"], &[]);
}

#[test]
fn arm_dwarf4_os() {
    check("arm-d4-Os", &ARM, &["-gdwarf-4", "-Os"], &[]);
}

#[test]
fn arm_dwarf5_o0() {
    check("arm-d5-O0", &ARM, &["-gdwarf-5", "-O0"], &[]);
}

#[test]
fn arm_dwarf5_os() {
    check("arm-d5-Os", &ARM, &["-gdwarf-5", "-Os"], &[]);
}

#[test]
fn arm_dwarf4_type_units_o0() {
    check("arm-d4-types-O0", &ARM, &["-gdwarf-4", "-O0", "-fdebug-types-section"], &[]);
}

#[test]
fn arm_dwarf4_type_units_os() {
    check("arm-d4-types-Os", &ARM, &["-gdwarf-4", "-Os", "-fdebug-types-section"], &[]);
}

#[test]
fn arm_dwarf5_type_units_o0() {
    check("arm-d5-types-O0", &ARM, &["-gdwarf-5", "-O0", "-fdebug-types-section"], &[]);
}

#[test]
fn arm_dwarf5_type_units_os() {
    check("arm-d5-types-Os", &ARM, &["-gdwarf-5", "-Os", "-fdebug-types-section"], &[]);
}

/// DWARF 2 (strict) in one unit and DWARF 5 in the other, in one image.
#[test]
fn arm_mixed_dwarf2_and_dwarf5() {
    check("arm-d2-d5", &ARM, &["-gdwarf-2", "-gstrict-dwarf", "-O0"], &["-gdwarf-5"]);
}

#[test]
fn arm_dwarf3_os() {
    check("arm-d3-Os", &ARM, &["-gdwarf-3", "-gstrict-dwarf", "-Os"], &[]);
}

#[test]
fn host_gcc_64bit() {
    check("gcc-O0", &HOST_GCC, &["-O0"], &[]);
}

#[test]
fn host_gcc_64bit_os_dwarf4() {
    check("gcc-Os-d4", &HOST_GCC, &["-Os", "-gdwarf-4"], &[]);
}

#[test]
fn clang_dwarf5_addrx() {
    check("clang-d5", &CLANG, &["-gdwarf-5", "-O0"], &[]);
}

#[test]
fn clang_dwarf4_os() {
    check("clang-d4-Os", &CLANG, &["-gdwarf-4", "-Os"], &[]);
}

/// Merged globals: `DW_OP_addrx; DW_OP_plus_uconst`.
#[test]
fn clang_arm_merged_globals() {
    check("clang-arm-merged", &CLANG_ARM_MERGED, &["-gdwarf-5", "-O2"], &[]);
}

#[test]
fn powerpc_big_endian_o0() {
    let inventory = check("ppc-O0", &PPC, &["-O0"], &[]);
    assert!(inventory.target.big_endian);
    assert_eq!(inventory.target.address_size, 4);
}

#[test]
fn powerpc_big_endian_os() {
    check("ppc-Os", &PPC, &["-Os"], &[]);
}
