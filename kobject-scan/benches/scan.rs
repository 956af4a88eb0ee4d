//! Scan benchmark: generate C with 20,000 kernel objects of every shape over 200 units, compile
//! it with arm-none-eabi-gcc on all cores, scan the image, and report `.debug_info` bytes/s,
//! objects/s, peak memory and the speed ratio against a pyelftools walk of the same image.
//! Also scans the RTOS image named by `RETROFIT_RTOS_ELF` when set.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kobject_scan::Manifest;
use object::{Object, ObjectSection};

/// Counts live heap bytes and their peak, for the memory figure.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const UNITS: usize = 200;
const OBJECTS_PER_UNIT: usize = 100;

/// One translation unit with exactly `OBJECTS_PER_UNIT` kernel objects, some rejected
/// candidates, and ordinary variables and functions around them.
fn unit_source(u: usize) -> String {
    let mut c = String::from("#include \"fixture_types.h\"\n\n");
    let _ = writeln!(
        c,
        "static int poll_in_{u}(const void *d, unsigned char *ch) {{ (void)d; *ch = 0; return {u}; }}"
    );
    let _ = writeln!(c, "static void poll_out_{u}(const void *d, unsigned char ch) {{ (void)d; (void)ch; }}");
    let _ = writeln!(c, "const struct uart_driver_api api_{u} = {{ poll_in_{u}, poll_out_{u} }};");
    // 20 plain objects, 20 in an array, 12 in a 3-D array, 10 in typedef'd arrays.
    for j in 0..20 {
        let _ = writeln!(c, "struct k_sem sem_{u}_{j};");
    }
    let _ = writeln!(c, "struct k_sem sems_{u}[20];");
    let _ = writeln!(c, "volatile struct k_sem cube_{u}[2][3][2];");
    let _ = writeln!(c, "sem_pair_t pairs_{u}[5];");
    // 10 objects in nested structs, 5 behind anonymous members.
    let _ = writeln!(c, "struct bank bank_{u}[2];");
    let _ = writeln!(c, "struct with_anon anon_{u}[5];");
    // 5 threads, 10 stacks, 5 devices.
    let _ = writeln!(c, "struct k_thread threads_{u}[5];");
    let _ = writeln!(c, "struct k_thread_stack_element stacks_{u}[5][256];");
    let _ = writeln!(c, "stack64_t small_stacks_{u}[5];");
    for j in 0..5 {
        let _ = writeln!(c, "struct device dev_{u}_{j} = {{ .name = \"d{u}_{j}\", .api = &api_{u} }};");
    }
    // Rejected: a union member.
    let _ = writeln!(c, "union sem_or_int union_{u};");
    // Ordinary data and code around the objects.
    for j in 0..40 {
        let _ = writeln!(c, "int counter_{u}_{j} = {j};");
    }
    let _ = writeln!(
        c,
        "struct plain_{u} {{ int a; long b; char name[16]; struct plain_{u} *next; unsigned flags : 3; }};"
    );
    let _ = writeln!(c, "struct plain_{u} plain_{u}[4];");
    // 3 function statics; locals are not objects.
    let _ = writeln!(c, "struct k_sem *get_{u}(int i);\nstruct k_sem *get_{u}(int i)\n{{");
    let _ = writeln!(
        c,
        "\tstatic struct k_sem s0, s1, s2;\n\tstruct k_sem local;\n\tvolatile struct k_sem *l = &local;"
    );
    let _ = writeln!(c, "\tl->count = (unsigned)i;\n\tplain_{u}[i & 3].a += counter_{u}_0;\n\treturn i == 0 ? &s0 : i == 1 ? &s1 : i == 2 ? &s2 : &union_{u}.s;\n}}");
    for j in 0..10 {
        let _ = writeln!(c, "int work_{u}_{j}(int x, int y);\nint work_{u}_{j}(int x, int y)\n{{\n\tint acc = x;\n\tfor (int k = 0; k < y; k++) {{\n\t\tint t = k * {j};\n\t\tacc += t ^ counter_{u}_{j};\n\t}}\n\treturn acc;\n}}");
    }
    c
}

fn manifest() -> Manifest {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifest.toml"))
            .expect("fixture manifest");
    Manifest::parse(&text.replace("max_threads = 8", "max_threads = 1000")).expect("manifest")
}

/// The RTOS's type manifest (`examples/rtos/kobjects.toml`); `RETROFIT_RTOS_TYPES` may name
/// another.
fn rtos_manifest() -> Manifest {
    let path = std::env::var_os("RETROFIT_RTOS_TYPES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/rtos/kobjects.toml"));
    Manifest::from_file(&path).unwrap_or_else(|e| panic!("RTOS manifest: {e}"))
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(output.status.success(), "{command:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

/// Write the sources (only when changed) and compile them on every core.
fn build_image(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("bench directory");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut sources = Vec::new();
    for u in 0..UNITS {
        let path = dir.join(format!("unit_{u:03}.c"));
        let text = unit_source(u);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("write unit");
        }
        sources.push(path);
    }
    let main = dir.join("main.c");
    std::fs::write(&main, "void bench_entry(void);\nvoid bench_entry(void)\n{\n\tfor (;;) {\n\t}\n}\n")
        .expect("main.c");
    sources.push(main);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(source) = sources.get(i) else { break };
                let object = source.with_extension("o");
                let fresh = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
                if fresh(&object).is_some() && fresh(&object) >= fresh(source) {
                    continue;
                }
                run(Command::new("arm-none-eabi-gcc")
                    .args(["-mcpu=cortex-m3", "-mthumb", "-std=gnu11", "-Wall", "-Wextra", "-Werror"])
                    .args(["-ffreestanding", "-g", "-gdwarf-5", "-O0", "-c", "-I"])
                    .arg(&fixtures)
                    .arg(source)
                    .arg("-o")
                    .arg(object));
            });
        }
    });
    let image = dir.join("bench.elf");
    run(Command::new("arm-none-eabi-gcc")
        .args(["-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-static", "-Wl,-e,bench_entry"])
        .args(sources.iter().map(|s| s.with_extension("o")))
        .arg("-o")
        .arg(&image));
    image
}

struct Measurement {
    time: Duration,
    /// CPU time (all threads) per scan: unlike wall time, not inflated by other load.
    cpu: Duration,
    objects: usize,
    peak: usize,
}

const RUNS: u32 = 15;

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 ticks/s).
fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

/// Median time of several scans of the bytes in memory, and the peak heap of one scan with the
/// file read included (the buffer holding the ELF counts against the memory target).
fn measure(image: &Path, manifest: &Manifest) -> Measurement {
    let bytes = std::fs::read(image).expect("read image");
    kobject_scan::scan(&bytes, manifest).expect("scan");
    let cpu_before = process_cpu_time();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let inventory = kobject_scan::scan(&bytes, manifest).expect("scan");
            let elapsed = start.elapsed();
            drop(inventory);
            elapsed
        })
        .collect();
    let cpu = (process_cpu_time() - cpu_before) / RUNS;
    times.sort();
    drop(bytes);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let bytes = std::fs::read(image).expect("read image");
    let objects = kobject_scan::scan(&bytes, manifest).expect("scan").objects.len();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    Measurement { time: times[times.len() / 2], cpu, objects, peak }
}

fn debug_info_size(image: &Path) -> u64 {
    let bytes = std::fs::read(image).expect("read image");
    let file = object::File::parse(&*bytes).expect("parse image");
    file.section_by_name(".debug_info").map_or(0, |s| s.size())
}

fn report(label: &str, image: &Path, m: &Measurement) {
    let info = debug_info_size(image);
    let elf = std::fs::metadata(image).expect("image metadata").len();
    let secs = m.time.as_secs_f64();
    println!("{label}: {}", image.display());
    println!(
        "  ELF {:.2} MB, .debug_info {:.2} MB, {} objects",
        elf as f64 / 1e6,
        info as f64 / 1e6,
        m.objects
    );
    println!(
        "  scan {:.2} ms wall (median of {RUNS} scans of the image in memory), {:.2} ms CPU (mean, all threads)",
        secs * 1e3,
        m.cpu.as_secs_f64() * 1e3
    );
    println!(
        "  .debug_info {:.0} MB/s wall, {:.0} MB/s per CPU second (target >= 300)",
        info as f64 / secs / 1e6,
        info as f64 / m.cpu.as_secs_f64() / 1e6
    );
    println!("  objects {:.0} /s", m.objects as f64 / secs);
    println!(
        "  peak heap {:.2} MB including the ELF buffer = {:.2}x ELF size (target <= 2x)",
        m.peak as f64 / 1e6,
        m.peak as f64 / elf as f64
    );
}

/// Seconds a pyelftools walk takes, installing pyelftools if it is missing.
fn pyelftools_seconds(image: &Path) -> f64 {
    let has = Command::new("python3").args(["-c", "import elftools"]).status().is_ok_and(|s| s.success());
    if !has {
        println!("installing pyelftools (python3 -m pip install pyelftools)");
        run(Command::new("python3").args(["-m", "pip", "install", "--quiet", "pyelftools"]));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pyelftools_walk.py");
    let output = Command::new("python3").arg(script).arg(image).output().expect("run python3");
    assert!(output.status.success(), "pyelftools walk failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().next().and_then(|s| s.parse().ok()).expect("pyelftools timing")
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kobject-scan-bench");
    let started = Instant::now();
    let image = build_image(&dir);
    println!("generated and compiled {UNITS} units in {:.1} s", started.elapsed().as_secs_f64());
    let manifest = manifest();
    let m = measure(&image, &manifest);
    assert_eq!(m.objects, UNITS * OBJECTS_PER_UNIT, "the generator's object count");
    report("synthetic image", &image, &m);
    let python = pyelftools_seconds(&image);
    println!(
        "  pyelftools walk {:.2} s: kobject-scan is {:.0}x faster (target >= 100x)",
        python,
        python / m.time.as_secs_f64()
    );
    if let Some(rtos) = std::env::var_os("RETROFIT_RTOS_ELF") {
        let rtos = PathBuf::from(rtos);
        let m = measure(&rtos, &rtos_manifest());
        report("RTOS image", &rtos, &m);
        let python = pyelftools_seconds(&rtos);
        println!(
            "  pyelftools walk {:.3} s: kobject-scan is {:.0}x faster",
            python,
            python / m.time.as_secs_f64()
        );
    }
}
