//! `cargo xtask bench table`, on the target: instructions per object lookup and table bytes,
//! our minimal perfect hash next to a gperf table for the same keys, built the way Zephyr
//! builds its own (binary address keys, then rewritten to compare pointers).
//!
//! Both lookups run in one bare-metal image on QEMU with `-icount shift=0` (one instruction per
//! virtual nanosecond; SysTick at 25 MHz ticks once per 40 instructions), over every key (hits)
//! and every key + 1 (misses: objects are aligned), many rounds; a call to an empty function in
//! the same loop is measured too and subtracted.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use kobject_scan::table::{emit_c, CType, Layout, ObjectTable, TableObject};

use crate::{cmd, qemu, rtos, tools};

const ROUNDS: usize = 50;
/// SysTick counts once per this many instructions under `-icount shift=0` on mps2-an385.
const INSTRUCTIONS_PER_TICK: f64 = 40.0;

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(&[tools::ARM_GCC, tools::QEMU, tools::GPERF])?;
    let built = rtos::build(root, rtos::Image::Tests, rtos::TableMode::Patch)?;
    let manifest = kobject_scan::Manifest::from_file(&built.manifest)?;
    let image = std::fs::read(&built.elf)?;
    let rtos_keys: Vec<u64> =
        kobject_scan::scan(&image, &manifest)?.objects.iter().map(|o| o.address).collect();
    let synthetic: Vec<u64> = (0..1000).map(|i| 0x2000_0000 + i * 24).collect();

    println!(
        "{:<40} {:>6} {:>12} {:>12} {:>12} {:>12}",
        "keys", "count", "hit (insn)", "miss (insn)", "bytes", "code bytes"
    );
    for (name, keys) in [("RTOS test image", rtos_keys), ("synthetic, stride 24", synthetic)] {
        let dir = root.join("target/bench-table").join(name.replace([' ', ','], "-"));
        std::fs::create_dir_all(&dir)?;
        let result = measure(&dir, &keys)?;
        for (label, m) in [("ours", &result.ours), ("gperf (Zephyr-style)", &result.gperf)] {
            println!(
                "{:<40} {:>6} {:>12.1} {:>12.1} {:>12} {:>12}",
                format!("{name}: {label}"),
                keys.len(),
                m.hit,
                m.miss,
                m.bytes,
                m.code
            );
        }
        println!(
            "{:<40} {:>6} {:>11.0}% {:>11.0}% {:>11.0}% {:>11.0}%   (ours / gperf; targets: 50%, 50%, 60%)",
            format!("{name}: ratio"),
            "",
            100.0 * result.ours.hit / result.gperf.hit,
            100.0 * result.ours.miss / result.gperf.miss,
            100.0 * result.ours.bytes as f64 / result.gperf.bytes as f64,
            100.0 * result.ours.code as f64 / result.gperf.code as f64,
        );
    }
    Ok(())
}

struct Figures {
    hit: f64,
    miss: f64,
    /// Table bytes, ROM and RAM, with the same per-object metadata.
    bytes: usize,
    /// Lookup code bytes.
    code: u64,
}

struct Comparison {
    ours: Figures,
    gperf: Figures,
}

fn measure(dir: &Path, keys: &[u64]) -> Result<Comparison> {
    let objects: Vec<TableObject> = keys
        .iter()
        .enumerate()
        .map(|(i, &address)| TableObject { address, type_id: 1, flags: 0, data: i as u32 })
        .collect();
    // Zephyr's default of 2 permission bytes would favour nobody: both tables get 4.
    let layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4 };
    let table = ObjectTable::build(&objects, layout)?;
    let types = [CType { enumerator: "K_OBJ_BENCH".into(), name: "bench".into() }];
    std::fs::write(dir.join("kobject_table.h"), emit_c::write_header(&types, layout.perm_bytes))?;
    std::fs::write(dir.join("kobject_types.c"), emit_c::write_type_names(&types))?;
    std::fs::write(dir.join("kobject_table.c"), emit_c::write_table(&table, &types))?;
    let asso_bytes = write_gperf(dir, keys)?;
    std::fs::write(dir.join("bench.c"), harness(keys))?;

    let elf = dir.join("bench.elf");
    let mut cc = cmd::new("arm-none-eabi-gcc");
    cc.args(["-mcpu=cortex-m3", "-mthumb", "-std=c11", "-O2", "-ffreestanding", "-nostdlib"])
        .arg("-fno-tree-loop-distribute-patterns")
        .args(["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers"])
        .arg("-I")
        .arg(dir)
        .arg("-T")
        .arg(dir.join("bench.ld"))
        .args(["bench.c", "kobject_table.c", "kobject_types.c", "gperf.c", "-lgcc", "-o"])
        .arg(&elf)
        .current_dir(dir);
    std::fs::write(dir.join("bench.ld"), LINK_SCRIPT)?;
    cmd::run(&mut cc)?;

    let outcome = qemu::run(&elf, Duration::from_secs(120))?;
    if outcome.exit_code != Some(0) {
        bail!("the table benchmark image failed ({:?}):\n{}", outcome.exit_code, outcome.output);
    }
    let value = |name: &str| -> Result<f64> {
        let line = outcome.output.lines().find_map(|l| l.strip_prefix(&format!("{name} ")));
        let ticks: f64 = line.with_context(|| format!("no `{name}` in the output"))?.trim().parse()?;
        Ok(ticks * INSTRUCTIONS_PER_TICK / (ROUNDS * keys.len()) as f64)
    };
    let (base_hit, base_miss) = (value("none_hit")?, value("none_miss")?);
    let symbols = symbol_sizes(&elf)?;
    let size_of = |name: &str| symbols.iter().find(|(n, _)| n == name).map_or(0, |(_, s)| *s);

    let gperf_entry = 4 + 4 + 1 + 1 + 4 + 2; // name, perms, type, flags, data, padding
    let gperf_slots = size_of("wordlist") as usize / gperf_entry;
    Ok(Comparison {
        ours: Figures {
            hit: value("ours_hit")? - base_hit,
            miss: value("ours_miss")? - base_miss,
            bytes: layout.rom_size(keys.len()) + layout.ram_size(keys.len()),
            code: size_of("bench_ours"),
        },
        gperf: Figures {
            hit: value("gperf_hit")? - base_hit,
            miss: value("gperf_miss")? - base_miss,
            bytes: gperf_slots * gperf_entry + asso_bytes + size_of("lengthtable") as usize,
            code: size_of("bench_gperf") + size_of("gperf_find") + size_of("hash"),
        },
    })
}

/// Runs gperf on the keys as 4-byte strings and rewrites its output to compare pointers, as
/// Zephyr's build does. Returns the size of gperf's association table.
fn write_gperf(dir: &Path, keys: &[u64]) -> Result<usize> {
    let mut input = String::from(
        "%compare-lengths\n%define lookup-function-name gperf_find\n%language=ANSI-C\n%global-table\n\
         %struct-type\n%{\n#include <stdint.h>\n#include <string.h>\n%}\n\
         struct entry { const char *name; uint8_t perms[4]; uint8_t type; uint8_t flags; uint32_t data; };\n%%\n",
    );
    for (i, key) in keys.iter().enumerate() {
        let bytes: String = (*key as u32).to_le_bytes().iter().map(|b| format!("\\x{b:02x}")).collect();
        let _ = writeln!(input, "\"{bytes}\", {{0}}, 1, 0, {i}");
    }
    input.push_str("%%\n");
    std::fs::write(dir.join("gperf.gperf"), input)?;
    let output = std::process::Command::new("gperf").arg("gperf.gperf").current_dir(dir).output()?;
    if !output.status.success() {
        bail!("gperf failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let generated = String::from_utf8(output.stdout)?;
    let asso_bytes = if generated.contains("static unsigned short asso_values") { 512 } else { 256 };
    let mut c = String::new();
    for line in generated.lines() {
        let trimmed = line.trim_start();
        let rewritten = if let Some(rest) = trimmed.strip_prefix("{\"").filter(|r| r.contains("{0}, 1, 0, "))
        {
            // `{"<key bytes>", {0}, 1, 0, <i>},` → the key as a pointer.
            let index: usize = rest
                .rsplit(", ")
                .next()
                .and_then(|s| s.trim_end_matches(['}', ',']).parse().ok())
                .context("unexpected gperf wordlist line")?;
            format!("    {{(const char *){:#x}u, {{0}}, 1, 0, {index}}},", keys[index])
        } else {
            line.replace("{\"\"}", "{0}")
                .replace("(unsigned char)str[", "(unsigned char)((uintptr_t)str >> 8 * ")
                .replace("if (*str == *s && !memcmp (str + 1, s + 1, len - 1))", "if (str == s)")
        };
        c.push_str(&rewritten);
        c.push('\n');
    }
    // `str[N]` became `((uintptr_t)str >> 8 * N]`: close the parenthesis.
    let c = fix_shifts(&c);
    std::fs::write(dir.join("gperf.c"), c)?;
    Ok(asso_bytes)
}

/// Turns `>> 8 * N]` (from the `str[N]` rewrite) into `>> 8 * N)`.
fn fix_shifts(c: &str) -> String {
    let mut out = String::with_capacity(c.len());
    let mut rest = c;
    while let Some(at) = rest.find(">> 8 * ") {
        let (head, tail) = rest.split_at(at + ">> 8 * ".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&tail[..digits]);
        rest = &tail[digits..];
        if let Some(after) = rest.strip_prefix(']') {
            out.push(')');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn harness(keys: &[u64]) -> String {
    let list: Vec<String> = keys.iter().map(|k| format!("{k:#x}u")).collect();
    format!(
        r#"/* Generated by cargo xtask bench table. */
#include <stddef.h>
#include <stdint.h>
#include "kobject_table.h"

struct entry;
const struct entry *gperf_find(const char *str, size_t len);

#define COUNT {count}
#define ROUNDS {ROUNDS}
static const uintptr_t keys[COUNT] = {{ {keys} }};

__attribute__((noinline)) const void *bench_none(const void *p) {{ __asm__ volatile(""); return p; }}
__attribute__((noinline)) const void *bench_ours(const void *p) {{ return k_object_find(p); }}
__attribute__((noinline)) const void *bench_gperf(const void *p) {{ return gperf_find((const char *)p, sizeof(void *)); }}

#define SYST_CSR (*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR (*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR (*(volatile uint32_t *)0xe000e018u)

static int semihost(int op, const void *arg)
{{
	register int r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}}

static void report(const char *name, uint32_t value)
{{
	char line[48], digits[12];
	size_t n = 0, d = 0;
	while (*name)
		line[n++] = *name++;
	line[n++] = ' ';
	do {{ digits[d++] = (char)('0' + value % 10); value /= 10; }} while (value);
	while (d) line[n++] = digits[--d];
	line[n++] = '\n';
	line[n] = 0;
	semihost(0x04, line);
}}

static uint32_t run(const void *(*find)(const void *), uintptr_t offset, int *wrong, int expect_hit)
{{
	uint32_t start = SYST_CVR;
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < COUNT; i++)
			if ((find((const void *)(keys[i] + offset)) != 0) != expect_hit)
				(*wrong)++;
	return (start - SYST_CVR) & 0xffffffu;
}}

void reset(void)
{{
	int wrong = 0, ignored = 0;
	SYST_RVR = 0xffffffu;
	SYST_CVR = 0;
	SYST_CSR = 5; /* enabled, processor clock, no interrupt */
	report("none_hit", run(bench_none, 0, &ignored, 1));
	report("none_miss", run(bench_none, 1, &ignored, 1));
	report("ours_hit", run(bench_ours, 0, &wrong, 1));
	report("ours_miss", run(bench_ours, 1, &wrong, 0));
	report("gperf_hit", run(bench_gperf, 0, &wrong, 1));
	report("gperf_miss", run(bench_gperf, 1, &wrong, 0));
	const uint32_t block[2] = {{0x20026, (uint32_t)wrong}};
	semihost(0x20, block);
	for (;;) {{
	}}
}}

extern uint32_t stack_top;
__attribute__((section(".vectors"), used)) const void *const vectors[2] = {{&stack_top, (void *)reset}};
"#,
        count = keys.len(),
        keys = list.join(", "),
    )
}

const LINK_SCRIPT: &str = "MEMORY {\n    FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M\n    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M\n}\n\
ENTRY(reset)\n/* gperf's tables are writable data: kept in flash, since nothing writes them here. */\nSECTIONS {\n    .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH\n\
    .kobject_table.rodata : ALIGN(8) { KEEP(*(.kobject_table.rodata)) KEEP(*(SORT_BY_NAME(.kobject_table.rodata.*))) } > FLASH\n\
    .data : { *(.data*) } > FLASH\n    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM\n\
    .kobject_table.data (NOLOAD) : ALIGN(8) { KEEP(*(.kobject_table.data)) } > RAM\n\
    stack_top = ORIGIN(RAM) + LENGTH(RAM);\n}\n";

fn symbol_sizes(elf: &Path) -> Result<Vec<(String, u64)>> {
    use object::{Object as _, ObjectSymbol as _};
    let bytes = std::fs::read(elf)?;
    let file = object::File::parse(&*bytes)?;
    Ok(file.symbols().filter_map(|s| Some((s.name().ok()?.to_owned(), s.size()))).collect())
}
