//! The checker rejects hand-made bad layouts, naming the partition, its address and size,
//! and the rule broken.

mod common;

use std::path::{Path, PathBuf};

use common::{compile, fixture, link};
use linker_scripts::check::check;
use linker_scripts::image::Image;
use linker_scripts::inputs::read_link_inputs;
use linker_scripts::layout::{plan, TableReservation};
use linker_scripts::Board;

const MEMORY: &str = "MEMORY { FLASH (rx) : ORIGIN = 0, LENGTH = 4M \
                      RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M }\nENTRY(_start)\n";

/// A partition statement for `beta` padded to `size` bytes.
fn beta(size: &str) -> String {
    format!(
        "__app_beta_start = .; *(.app_data.beta) __app_beta_bss_start = .; *(.app_bss.beta) \
         __app_beta_bss_end = .; . = __app_beta_start + {size}; __app_beta_end = .;"
    )
}

const STACKS: &str = ".user_stacks (NOLOAD) : { *(SORT_BY_ALIGNMENT(.user_stacks*)) } > RAM\n";
const KERNEL: &str = ".data : { *(.data*) } > RAM AT > FLASH\n\
                      .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM\n";

/// Links bad.c (plus `extra` fixtures) with `sections` and returns the checker's messages.
fn violations(sections: &str, extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = vec![compile(&fixture("bad.c"), dir.path())];
    inputs.extend(extra.iter().map(|name| compile(&fixture(name), dir.path())));
    let elf = link_with(dir.path(), sections, &inputs);
    let image = Image::read(&elf).unwrap();
    check(&image, &Board::MPS2_AN385).iter().map(ToString::to_string).collect()
}

fn link_with(dir: &Path, sections: &str, inputs: &[PathBuf]) -> PathBuf {
    let script = dir.join("bad.ld");
    std::fs::write(&script, format!("{MEMORY}SECTIONS\n{{\n.text : {{ *(.text*) }} > FLASH\n{sections}}}\n"))
        .unwrap();
    let elf = dir.join("bad.elf");
    link(&script, dir, inputs, &elf);
    elf
}

fn assert_one(violations: &[String], expected: &str) {
    assert!(violations.iter().any(|v| v.contains(expected)), "expected `{expected}` among {violations:#?}");
}

#[test]
fn a_good_hand_made_layout_passes() {
    let sections =
        format!(".app_smem : ALIGN(0x800) {{ {} }} > RAM AT > FLASH\n{STACKS}{KERNEL}", beta("0x800"));
    assert_eq!(violations(&sections, &[]), Vec::<String>::new());
}

#[test]
fn rejects_a_misaligned_partition() {
    let sections = format!("{KERNEL}.app_smem : ALIGN(4) {{ {} }} > RAM AT > FLASH\n{STACKS}", beta("0x800"));
    let found = violations(&sections, &[]);
    assert_one(
        &found,
        "partition `beta` at 0x20000104, size 0x800: the smallest PMSAv7 region holding it is \
         0x1000 bytes at 0x20000000; start and end must fall on its 0x200-byte subregion \
         boundaries",
    );
}

#[test]
fn rejects_a_size_that_is_no_region() {
    let sections =
        format!(".app_smem : ALIGN(0x800) {{ {} }} > RAM AT > FLASH\n{STACKS}{KERNEL}", beta("0x7e0"));
    assert_one(
        &violations(&sections, &[]),
        "partition `beta` at 0x20000000, size 0x7e0: the smallest PMSAv7 region holding it is \
         0x800 bytes",
    );
}

#[test]
fn rejects_kernel_data_inside_a_partition() {
    // The partition claims 0x800 bytes but only 0x7d0 are reserved: .data follows inside.
    let sections = format!(
        ".app_smem : ALIGN(0x800) {{ __app_beta_start = .; *(.app_data.beta) \
         __app_beta_bss_start = .; *(.app_bss.beta) __app_beta_bss_end = .; }} > RAM AT > FLASH\n\
         __app_beta_end = __app_beta_start + 0x800;\n{KERNEL}{STACKS}"
    );
    assert_one(
        &violations(&sections, &[]),
        "partition `beta` at 0x20000000, size 0x800: kernel section `.data` (0x200007d0+0x4) \
         lies inside it",
    );
}

#[test]
fn rejects_overlapping_partitions() {
    let sections = format!(
        ".app_smem : ALIGN(0x800) {{ {} }} > RAM AT > FLASH\n\
         __app_other_start = __app_beta_start + 0x400;\n\
         __app_other_end = __app_other_start + 0x400;\n{STACKS}{KERNEL}",
        beta("0x800")
    );
    assert_one(
        &violations(&sections, &[]),
        "partition `beta` at 0x20000000, size 0x800: overlaps partition `other` at 0x20000400, \
         size 0x400",
    );
}

#[test]
fn rejects_kernel_objects_in_user_memory_outside_partitions() {
    let sections = format!(
        ".app_smem : ALIGN(0x800) {{ {} *(.data*) }} > RAM AT > FLASH\n{STACKS}\
         .bss (NOLOAD) : {{ *(.bss*) }} > RAM\n",
        beta("0x800")
    );
    assert_one(
        &violations(&sections, &[]),
        "object `kernel_ticks` at 0x20000800, size 0x4: lies in .app_smem but in no partition",
    );
}

#[test]
fn rejects_an_orphan_partition_section() {
    let sections = format!("{KERNEL}{STACKS}");
    assert_one(&violations(&sections, &[]), "partition `beta` is not in the layout (orphan section)");
}

#[test]
fn rejects_a_table_before_kernel_data() {
    let table = ".kobject_table.data : { KEEP(*(.kobject_table.data)) } > RAM AT > FLASH\n";
    let sections = format!(
        ".app_smem : ALIGN(0x800) {{ {} }} > RAM AT > FLASH\n{STACKS}\
         .data : {{ *(.data*) }} > RAM AT > FLASH\n{table}.bss (NOLOAD) : {{ *(.bss*) }} > RAM\n",
        beta("0x800")
    );
    let found = violations(&sections, &["table.c"]);
    assert_one(&found, "section `.kobject_table.data` at 0x20001004, size 0x80: `.bss`");
    assert_one(&found, "the object table must follow all kernel data");
}

#[test]
fn rejects_a_stack_that_breaks_the_rule_before_and_after_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let bad_stack = compile(&fixture("bad_stack.c"), dir.path());
    let found = read_link_inputs(std::slice::from_ref(&bad_stack), &[]).unwrap();
    let err = plan(&found, Board::MPS2_AN385.mpu, 4, TableReservation::default()).unwrap_err().to_string();
    assert!(err.starts_with("user stack `bad_stack` in "), "{err}");
    assert!(
        err.ends_with(
            "bad_stack.o: size 0x3e8: a PMSAv7 stack object is a power of two holding a 32-byte guard \
             and at least one usable byte (nor is it an array of up to 64 such stacks)"
        ),
        "{err}"
    );

    let sections =
        format!(".app_smem : ALIGN(0x800) {{ {} }} > RAM AT > FLASH\n{STACKS}{KERNEL}", beta("0x800"));
    let found = violations(&sections, &["bad_stack.c"]);
    assert_one(
        &found,
        "user stack `bad_stack` at 0x20001000, size 0x3e8: a PMSAv7 stack object is a power of two",
    );
}
