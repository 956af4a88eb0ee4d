//! `cargo xtask bench table`, on the target: instructions per object lookup and table bytes,
//! our minimal perfect hash next to a gperf table for the same keys, built the way Zephyr
//! builds its own (binary address keys, then rewritten to compare pointers); and the time of
//! the RTOS build's table pipeline in patch mode against relink mode.
//!
//! Our lookup is measured as each mode ships it: relink mode's `k_object_find` (the table C
//! linked in) and patch mode's (the placeholder linked in, then the table's bytes and the
//! lookup's two key-dependent values patched into the image): the same generated Thumb-2 code
//! with the table's parameters as constants, so they should count the same. Both run
//! in bare-metal images on QEMU with `-icount shift=0` (one instruction per virtual nanosecond;
//! SysTick at 25 MHz ticks once per 40 instructions), over every key (hits), every key + 1
//! (misses: objects are aligned) and the next aligned address that is not a key (aligned
//! misses), many rounds; a call to an empty function in the same loop is measured too and
//! subtracted. Each lookup is called directly through a function pointer; gperf's through the
//! wrapper Zephyr also has, which passes the key length.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use kobject_scan::table::{emit_c, patch, CType, Contents, Layout, ObjectTable, TableObject};

use crate::{cmd, qemu, rtos, tools};

const ROUNDS: usize = 50;
/// SysTick counts once per this many instructions under `-icount shift=0` on mps2-an385.
const INSTRUCTIONS_PER_TICK: f64 = 40.0;
/// Builds of each mode whose fastest table pipeline is reported.
const PIPELINE_RUNS: usize = 9;

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(&[tools::ARM_GCC, tools::QEMU, tools::GPERF])?;
    let built = rtos::build(root, rtos::Image::Tests, rtos::TableMode::Patch)?;
    let manifest = kobject_scan::Manifest::from_file(&built.manifest)?;
    let image = std::fs::read(&built.elf)?;
    let rtos_keys: Vec<u64> =
        kobject_scan::scan(&image, &manifest)?.objects.iter().map(|o| o.address).collect();
    let synthetic: Vec<u64> = (0..1000).map(|i| 0x2000_0000 + i * 24).collect();

    println!(
        "{:<44} {:>6} {:>11} {:>11} {:>11} {:>8} {:>6}",
        "keys: lookup", "count", "hit (insn)", "miss (insn)", "aligned miss", "bytes", "code"
    );
    for (name, keys) in [("RTOS test image", rtos_keys), ("synthetic, stride 24", synthetic)] {
        let dir = root.join("target/bench-table").join(name.replace([' ', ','], "-"));
        std::fs::create_dir_all(&dir)?;
        let result = measure(&dir, &keys)?;
        for (label, m) in [
            ("ours, relink mode", &result.relink),
            ("ours, patch mode", &result.patch),
            ("gperf (Zephyr-style)", &result.gperf),
        ] {
            println!(
                "{:<44} {:>6} {:>11.1} {:>11.1} {:>11.1} {:>8} {:>6}",
                format!("{name}: {label}"),
                keys.len(),
                m.hit,
                m.miss,
                m.aligned_miss,
                m.bytes,
                m.code
            );
        }
        for (label, m) in [("relink", &result.relink), ("patch", &result.patch)] {
            let g = &result.gperf;
            println!(
                "{:<44} {:>6} {:>10.0}% {:>10.0}% {:>10.0}% {:>7.0}% {:>5.0}%   (targets: 50%, 50%, 50%, 60%)",
                format!("{name}: {label} / gperf"),
                "",
                100.0 * m.hit / g.hit,
                100.0 * m.miss / g.miss,
                100.0 * m.aligned_miss / g.aligned_miss,
                100.0 * m.bytes as f64 / g.bytes as f64,
                100.0 * m.code as f64 / g.code as f64,
            );
        }
    }
    pipeline_times(root)
}

/// The table pipeline of the RTOS test image (first link to verified image) in both modes,
/// fastest of a few warm builds each.
fn pipeline_times(root: &Path) -> Result<()> {
    let fastest = |mode| -> Result<Duration> {
        rtos::build(root, rtos::Image::Tests, mode)?;
        let mut best = Duration::MAX;
        for _ in 0..PIPELINE_RUNS {
            best = best.min(rtos::build(root, rtos::Image::Tests, mode)?.table_pipeline);
        }
        Ok(best)
    };
    let patch = fastest(rtos::TableMode::Patch)?;
    let relink = fastest(rtos::TableMode::Relink)?;
    println!(
        "table pipeline, RTOS test image (first link to verified image): patch {:.1} ms, relink {:.1} ms; \
         patch / relink = {:.2}",
        patch.as_secs_f64() * 1e3,
        relink.as_secs_f64() * 1e3,
        patch.as_secs_f64() / relink.as_secs_f64()
    );
    Ok(())
}

struct Figures {
    hit: f64,
    miss: f64,
    aligned_miss: f64,
    /// Table bytes, ROM and RAM, with the same per-object metadata.
    bytes: usize,
    /// Lookup code bytes.
    code: u64,
}

struct Comparison {
    relink: Figures,
    patch: Figures,
    gperf: Figures,
}

/// Per-lookup instruction counts of one image: ours and gperf's.
struct Counts {
    ours: [f64; 3],
    gperf: [f64; 3],
    symbols: Vec<(String, u64)>,
}

fn measure(dir: &Path, keys: &[u64]) -> Result<Comparison> {
    let objects: Vec<TableObject> = keys
        .iter()
        .enumerate()
        .map(|(i, &address)| TableObject { address, type_id: 1, flags: 0, data: i as u16 })
        .collect();
    // Zephyr's default of 2 permission bytes would favour nobody: both tables get 4.
    let layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: 2 };
    let table = ObjectTable::build(Contents::objects(objects, &layout), layout)?;
    let types = [CType { enumerator: "K_OBJ_BENCH".into(), name: "bench".into(), stack: false }];
    std::fs::write(dir.join("kobject_table.h"), emit_c::write_header(&types, layout.perm_bytes))?;
    std::fs::write(dir.join("kobject_types.c"), emit_c::write_type_names(&types))?;
    std::fs::write(dir.join("relink.c"), emit_c::write_table(&table, &types))?;
    std::fs::write(dir.join("placeholder.c"), emit_c::write_placeholder(keys.len(), 0, &layout))?;
    let asso_bytes = write_gperf(dir, keys)?;
    let aligned_misses = aligned_misses(keys);
    std::fs::write(dir.join("bench.c"), harness(keys, &aligned_misses))?;
    std::fs::write(dir.join("bench.ld"), LINK_SCRIPT)?;

    let relink = run_image(dir, "relink", keys.len())?;
    let reserved = std::fs::read(link_image(dir, "placeholder")?)?;
    let patched = dir.join("patched.elf");
    std::fs::write(&patched, patch::patch(&reserved, &table)?)?;
    let patch = counts(&patched, keys.len())?;

    let table_bytes = layout.rom_size(keys.len(), 0) + layout.ram_size(keys.len());
    let ours = |c: &Counts| Figures {
        hit: c.ours[0],
        miss: c.ours[1],
        aligned_miss: c.ours[2],
        bytes: table_bytes,
        code: size_of(&c.symbols, "k_object_find"),
    };
    let gperf_entry = 4 + 4 + 1 + 1 + 4 + 2; // name, perms, type, flags, data, padding
    let gperf_slots = size_of(&relink.symbols, "wordlist") as usize / gperf_entry;
    let gperf = Figures {
        hit: relink.gperf[0],
        miss: relink.gperf[1],
        aligned_miss: relink.gperf[2],
        bytes: gperf_slots * gperf_entry + asso_bytes + size_of(&relink.symbols, "lengthtable") as usize,
        code: ["bench_gperf", "gperf_find", "hash"].iter().map(|s| size_of(&relink.symbols, s)).sum(),
    };
    Ok(Comparison { relink: ours(&relink), patch: ours(&patch), gperf })
}

/// For each key, the next address after it, at the keys' alignment, that is not a key.
fn aligned_misses(keys: &[u64]) -> Vec<u64> {
    let step = 1u64 << keys.iter().fold(0, |acc, k| acc | k).trailing_zeros().min(12);
    let set: std::collections::BTreeSet<u64> = keys.iter().copied().collect();
    keys.iter().map(|&k| (1..).map(|i| k + i * step).find(|a| !set.contains(a)).unwrap_or(k + step)).collect()
}

/// Links the harness with `table` (`relink` or `placeholder`) as the object table.
fn link_image(dir: &Path, table: &str) -> Result<std::path::PathBuf> {
    let elf = dir.join(format!("{table}.elf"));
    let mut cc = cmd::new("arm-none-eabi-gcc");
    cc.args(["-mcpu=cortex-m3", "-mthumb", "-std=c11", "-O2", "-ffreestanding", "-nostdlib"])
        .arg("-fno-tree-loop-distribute-patterns")
        .args(["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers"])
        .arg("-I")
        .arg(dir)
        .arg("-T")
        .arg(dir.join("bench.ld"))
        .args(["bench.c", &format!("{table}.c"), "kobject_types.c", "gperf.c", "-lgcc", "-o"])
        .arg(&elf)
        .current_dir(dir);
    cmd::run(&mut cc)?;
    Ok(elf)
}

fn run_image(dir: &Path, table: &str, keys: usize) -> Result<Counts> {
    counts(&link_image(dir, table)?, keys)
}

fn counts(elf: &Path, keys: usize) -> Result<Counts> {
    let outcome = qemu::run(elf, Duration::from_secs(120))?;
    if outcome.exit_code != Some(0) {
        bail!(
            "the table benchmark image {} failed ({:?}):\n{}",
            elf.display(),
            outcome.exit_code,
            outcome.output
        );
    }
    let value = |name: &str| -> Result<f64> {
        let line = outcome.output.lines().find_map(|l| l.strip_prefix(&format!("{name} ")));
        let ticks: f64 = line.with_context(|| format!("no `{name}` in the output"))?.trim().parse()?;
        Ok(ticks * INSTRUCTIONS_PER_TICK / (ROUNDS * keys) as f64)
    };
    let per = |lookup: &str| -> Result<[f64; 3]> {
        let mut out = [0.0; 3];
        for (i, kind) in ["hit", "miss", "amiss"].iter().enumerate() {
            out[i] = value(&format!("{lookup}_{kind}"))? - value(&format!("none_{kind}"))?;
        }
        Ok(out)
    };
    Ok(Counts { ours: per("ours")?, gperf: per("gperf")?, symbols: symbol_sizes(elf)? })
}

fn size_of(symbols: &[(String, u64)], name: &str) -> u64 {
    symbols.iter().find(|(n, _)| n == name).map_or(0, |(_, s)| *s)
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

fn harness(keys: &[u64], aligned_misses: &[u64]) -> String {
    let list = |values: &[u64]| values.iter().map(|k| format!("{k:#x}u")).collect::<Vec<_>>().join(", ");
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
static const uintptr_t aligned_misses[COUNT] = {{ {misses} }};

__attribute__((noinline)) const void *bench_none(const void *p) {{ __asm__ volatile(""); return p; }}
__attribute__((noinline)) const void *bench_gperf(const void *p) {{ return gperf_find((const char *)p, sizeof(void *)); }}

/* Volatile, so that the compiler knows nothing about the functions it calls. */
static const void *(*volatile none_fn)(const void *) = bench_none;
static const void *(*volatile gperf_fn)(const void *) = bench_gperf;
static const struct k_object_entry *(*volatile ours_fn)(const void *) = k_object_find;

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

/* The three loops must be the same code around the call: not inlined, and no argument
 * known to the compiler (hence the volatile expectations below). */
#define DEFINE_RUN(name, fn_var) \
	__attribute__((noinline)) static uint32_t run_##name(const uintptr_t *probes, uintptr_t offset, int *wrong, int expect_hit) \
	{{ \
		__typeof__(fn_var) find = fn_var; \
		uint32_t start = SYST_CVR; \
		for (int r = 0; r < ROUNDS; r++) \
			for (int i = 0; i < COUNT; i++) \
				if ((find((const void *)(probes[i] + offset)) != 0) != expect_hit) \
					(*wrong)++; \
		return (start - SYST_CVR) & 0xffffffu; \
	}}

DEFINE_RUN(none, none_fn)
DEFINE_RUN(ours, ours_fn)
DEFINE_RUN(gperf, gperf_fn)

static volatile int hit = 1, miss = 0;

void reset(void)
{{
	int wrong = 0, ignored = 0;
	SYST_RVR = 0xffffffu;
	SYST_CVR = 0;
	SYST_CSR = 5; /* enabled, processor clock, no interrupt */
	report("none_hit", run_none(keys, 0, &ignored, hit));
	report("none_miss", run_none(keys, 1, &ignored, hit));
	report("none_amiss", run_none(aligned_misses, 0, &ignored, hit));
	report("ours_hit", run_ours(keys, 0, &wrong, hit));
	report("ours_miss", run_ours(keys, 1, &wrong, miss));
	report("ours_amiss", run_ours(aligned_misses, 0, &wrong, miss));
	report("gperf_hit", run_gperf(keys, 0, &wrong, hit));
	report("gperf_miss", run_gperf(keys, 1, &wrong, miss));
	report("gperf_amiss", run_gperf(aligned_misses, 0, &wrong, miss));
	const uint32_t block[2] = {{0x20026, (uint32_t)wrong}};
	semihost(0x20, block);
	for (;;) {{
	}}
}}

extern uint32_t stack_top;
__attribute__((section(".vectors"), used)) const void *const vectors[2] = {{&stack_top, (void *)reset}};
"#,
        count = keys.len(),
        keys = list(keys),
        misses = list(aligned_misses),
    )
}

const LINK_SCRIPT: &str = "MEMORY {\n    FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M\n    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M\n}\n\
ENTRY(reset)\n/* gperf's tables are writable data: kept in flash, since nothing writes them here. */\nSECTIONS {\n    .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH\n\
    .kobject_table.rodata : ALIGN(8) { KEEP(*(.kobject_table.rodata)) KEEP(*(SORT_BY_NAME(.kobject_table.rodata.*))) } > FLASH\n\
    .data : { *(.data*) } > FLASH\n    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM\n\
    .kobject_table.data (NOLOAD) : ALIGN(8) { KEEP(*(.kobject_table.data)) KEEP(*(SORT_BY_NAME(.kobject_table.data.*))) } > RAM\n\
    stack_top = ORIGIN(RAM) + LENGTH(RAM);\n}\n";

fn symbol_sizes(elf: &Path) -> Result<Vec<(String, u64)>> {
    use object::{Object as _, ObjectSymbol as _};
    let bytes = std::fs::read(elf)?;
    let file = object::File::parse(&*bytes)?;
    Ok(file.symbols().filter_map(|s| Some((s.name().ok()?.to_owned(), s.size()))).collect())
}
