//! `cargo bench -p syscall-gen --bench syscalls`: a generated corpus of 2,000 headers with
//! 10,000 prototypes; times parse + generate + write (target: under 100 ms), then checks that a
//! second run with nothing changed rewrites no file.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use syscall_gen::{Abi, Builder};

const HEADERS: usize = 2_000;
const PER_HEADER: usize = 5;
const RUNS: usize = 10;

/// One header: comments, conditionals, kernel objects and prototypes of varied shapes.
fn header(i: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/* Generated benchmark header {i}. */\n#ifndef H{i}\n#define H{i}\n#include <stdint.h>\n"
    );
    let _ = writeln!(
        out,
        "__kobject(object) struct obj{i} {{\n\tuint32_t state; /* __syscall int fake(void); */\n}};\n"
    );
    for j in 0..PER_HEADER {
        let name = format!("call_{i}_{j}");
        let proto = match j {
            0 => format!("__syscall int {name}(struct obj{i} *obj, k_timeout_t timeout);"),
            1 => format!("__syscall uint64_t\n{name}(const void *buf, size_t len, /* flags */ unsigned long long flags);"),
            2 => format!("__syscall void {name}(void (*cb)(struct obj{i} *o, int r), void *user);"),
            3 => format!("#if CONFIG_FEATURE_{k} || !defined(CONFIG_OFF)\n__syscall const char *const *{name}(uint32_t a, int64_t b, uint8_t c, uint16_t d, int e, int f, int g);\n#endif", k = i % 7),
            _ => format!("// {name}: a plain call\n__syscall long {name}(void);"),
        };
        let _ = writeln!(out, "{proto}\n");
    }
    out.push_str("#endif\n");
    out
}

fn time(builder: &Builder, out: &Path) -> (Duration, usize) {
    let start = Instant::now();
    let (_, report) = builder.run().unwrap_or_else(|e| panic!("{e}"));
    let elapsed = start.elapsed();
    assert!(out.is_dir());
    (elapsed, report.written.len())
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let include = dir.path().join("include");
    let mut builder = Builder::new().abi(Abi::ARMV7M).include_dir(&include).define("CONFIG_FEATURE_3=1");
    for i in 0..HEADERS {
        let path = include.join(format!("sub{}/h{i}.h", i % 20));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, header(i)).unwrap();
        builder = builder.header(path);
    }
    let out = dir.path().join("out");
    let builder = builder.out_dir(&out);

    let (cold, written) = time(&builder, &out);
    let generated = builder.generate().unwrap();
    let prototypes: usize = generated.headers.iter().map(|h| h.syscalls.len()).sum();
    println!(
        "corpus: {HEADERS} headers, {prototypes} prototypes after #if, {} output files",
        generated.files.len()
    );
    println!("first run (writes {written} files): {:.1} ms", cold.as_secs_f64() * 1e3);

    let mut warm: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let (elapsed, written) = time(&builder, &out);
            assert_eq!(written, 0, "a run with nothing changed rewrote files");
            elapsed
        })
        .collect();
    warm.sort();
    println!(
        "unchanged runs (parse + generate + compare, 0 files written): min {:.1} ms, median {:.1} ms",
        warm[0].as_secs_f64() * 1e3,
        warm[RUNS / 2].as_secs_f64() * 1e3
    );
    let mut in_memory: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            builder.generate().unwrap();
            start.elapsed()
        })
        .collect();
    in_memory.sort();
    println!(
        "  of which parse + generate in memory: median {:.1} ms",
        in_memory[RUNS / 2].as_secs_f64() * 1e3
    );
    let verdict = if warm[RUNS / 2] < Duration::from_millis(100) { "met" } else { "MISSED" };
    println!("target < 100 ms: {verdict}");

    let rust = builder.clone().rust_wrappers(true);
    let start = Instant::now();
    rust.generate().unwrap();
    println!("with Rust wrappers (quote + prettyplease): {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
}
