//! `cargo bench -p syscall-gen --bench syscalls`: a generated corpus of 2,000 headers with
//! 10,000 prototypes; times parse + generate + write (target: under 100 ms), then checks that a
//! second run with nothing changed rewrites no file. Wall time, and the process's CPU time
//! (user + system, all threads): on a shared machine the wall time depends on the other load.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use syscall_gen::{Abi, Builder};

const HEADERS: usize = 2_000;
const PER_HEADER: usize = 5;
const RUNS: usize = 10;
/// First runs into empty output directories after the very first one (which also starts the
/// thread pool and grows the heap).
const FIRST_RUNS: usize = 3;

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

/// User + system time of the whole process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Wall and CPU time of one run, and the number of files it wrote.
fn time(builder: &Builder, out: &Path) -> (Duration, Duration, usize) {
    let (start, cpu) = (Instant::now(), cpu_time());
    let (_, report) = builder.run().unwrap_or_else(|e| panic!("{e}"));
    let (elapsed, cpu) = (start.elapsed(), cpu_time() - cpu);
    assert!(out.is_dir());
    (elapsed, cpu, report.written.len())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Minimum and median of wall and CPU times.
fn summary(mut times: Vec<(Duration, Duration)>) -> String {
    let median = times.len() / 2;
    times.sort_by_key(|t| t.0);
    let wall = (times[0].0, times[median].0);
    times.sort_by_key(|t| t.1);
    let cpu = (times[0].1, times[median].1);
    format!(
        "min {:.1} ms, median {:.1} ms (CPU: min {:.1} ms, median {:.1} ms)",
        ms(wall.0),
        ms(wall.1),
        ms(cpu.0),
        ms(cpu.1)
    )
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

    let (cold, cold_cpu, written) = time(&builder, &out);
    let generated = builder.generate().unwrap();
    let prototypes: usize = generated.headers.iter().map(|h| h.syscalls.len()).sum();
    println!(
        "corpus: {HEADERS} headers, {prototypes} prototypes after #if, {} output files",
        generated.files.len()
    );
    println!("first run (writes {written} files): {:.1} ms (CPU {:.1} ms)", ms(cold), ms(cold_cpu));
    let fresh: Vec<(Duration, Duration)> = (0..FIRST_RUNS)
        .map(|i| {
            let out = dir.path().join(format!("fresh{i}"));
            let (elapsed, cpu, written) = time(&builder.clone().out_dir(&out), &out);
            assert_eq!(written, generated.files.len());
            (elapsed, cpu)
        })
        .collect();
    println!("  again into {FIRST_RUNS} empty output directories: {}", summary(fresh));

    let warm: Vec<(Duration, Duration)> = (0..RUNS)
        .map(|_| {
            let (elapsed, cpu, written) = time(&builder, &out);
            assert_eq!(written, 0, "a run with nothing changed rewrote files");
            (elapsed, cpu)
        })
        .collect();
    let warm_median = {
        let mut wall: Vec<Duration> = warm.iter().map(|t| t.0).collect();
        wall.sort();
        wall[RUNS / 2]
    };
    println!("unchanged runs (parse + generate + compare, 0 files written): {}", summary(warm));
    let in_memory: Vec<(Duration, Duration)> = (0..RUNS)
        .map(|_| {
            let (start, cpu) = (Instant::now(), cpu_time());
            builder.generate().unwrap();
            (start.elapsed(), cpu_time() - cpu)
        })
        .collect();
    println!("  of which parse + generate in memory: {}", summary(in_memory));
    let verdict = if warm_median < Duration::from_millis(100) { "met" } else { "MISSED" };
    println!("target < 100 ms: {verdict}");

    let rust = builder.clone().rust_wrappers(true);
    let start = Instant::now();
    rust.generate().unwrap();
    println!("with Rust wrappers (quote + prettyplease): {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
}
