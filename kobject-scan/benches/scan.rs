//! Scan benchmark: generate C with 20,000 kernel objects of every shape over 200 units, compile
//! it with arm-none-eabi-gcc on all cores, scan the image, and report `.debug_info` bytes/s
//! (wall time with all cores, per CPU second, and wall time on one thread; median and minimum,
//! since other work on the machine only ever adds time), objects/s, peak memory (live heap with
//! the ELF buffer, and resident memory of a fresh process) and the speed ratio against a
//! pyelftools walk of the same image. Also scans the RTOS image named by `RETROFIT_RTOS_ELF`.

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
    /// Forwarded so a growing `Vec` is resized in place where the system allocator can, as in
    /// a program without this counter; the default would allocate, copy and free, adding time
    /// and counting old and new blocks live at once. Only the change in size is counted.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
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

/// The fixture manifest with room for the generated threads, written next to the image.
fn manifest(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifest.toml"))
            .expect("fixture manifest");
    let path = dir.join("manifest.toml");
    std::fs::write(&path, text.replace("max_threads = 8", "max_threads = 1000")).expect("write manifest");
    path
}

/// The RTOS's type manifest, generated by its build (`cargo xtask bench scan` names it in
/// `RETROFIT_RTOS_TYPES`).
fn rtos_manifest() -> PathBuf {
    std::env::var_os("RETROFIT_RTOS_TYPES").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/rtos/demo/gen/kobject_types.toml")
    })
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

/// Median and minimum of a set of durations.
#[derive(Clone, Copy)]
struct Spread {
    median: Duration,
    min: Duration,
}

impl Spread {
    fn of(mut samples: Vec<Duration>) -> Spread {
        samples.sort();
        Spread { median: samples[samples.len() / 2], min: samples[0] }
    }
}

struct Measurement {
    runs: usize,
    /// Wall time of a scan with all cores.
    wall: Spread,
    /// CPU time of all threads during a scan: the work, whatever else runs on the machine.
    cpu: Spread,
    /// Wall time of a scan on one thread.
    one_core: Spread,
    objects: usize,
    /// Peak live heap of one scan, the buffer holding the ELF included.
    peak_heap: usize,
    /// Peak resident memory a fresh process gains reading and scanning the image.
    peak_rss: usize,
    /// The scan in that fresh process: its one scan touches every page it uses for the first
    /// time, as a build's scan does.
    fresh: Duration,
}

/// Runs per configuration: at least this many, and for at least `MIN_MEASURE` in total.
const MIN_RUNS: usize = 25;
const MIN_MEASURE: Duration = Duration::from_secs(2);

/// CPU time (user + system) of all threads of this process so far.
fn process_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant Linux defines.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Scan `bytes` repeatedly in `pool`: (wall, CPU) per scan.
fn timed_scans(pool: &rayon::ThreadPool, bytes: &[u8], manifest: &Manifest) -> Vec<(Duration, Duration)> {
    pool.install(|| {
        kobject_scan::scan(bytes, manifest).expect("scan");
        let started = Instant::now();
        let mut samples = Vec::new();
        while samples.len() < MIN_RUNS || started.elapsed() < MIN_MEASURE {
            let cpu = process_cpu_time();
            let start = Instant::now();
            let inventory = kobject_scan::scan(bytes, manifest).expect("scan");
            let wall = start.elapsed();
            let cpu = process_cpu_time() - cpu;
            drop(inventory);
            samples.push((wall, cpu));
        }
        samples
    })
}

fn measure(image: &Path, manifest_path: &Path) -> Measurement {
    let manifest = Manifest::from_file(manifest_path).expect("manifest");
    let bytes = std::fs::read(image).expect("read image");
    let all = rayon::ThreadPoolBuilder::new().build().expect("thread pool");
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("one-thread pool");
    let parallel = timed_scans(&all, &bytes, &manifest);
    let single = timed_scans(&one, &bytes, &manifest);
    drop(bytes);
    // Heap: one scan from reading the file on, so the buffer holding the ELF counts.
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let bytes = std::fs::read(image).expect("read image");
    let objects = all.install(|| kobject_scan::scan(&bytes, &manifest)).expect("scan").objects.len();
    let peak_heap = PEAK.load(Ordering::Relaxed) - base;
    let (peak_rss, fresh) = fresh_process(image, manifest_path);
    Measurement {
        runs: parallel.len().min(single.len()),
        wall: Spread::of(parallel.iter().map(|s| s.0).collect()),
        cpu: Spread::of(parallel.iter().map(|s| s.1).collect()),
        one_core: Spread::of(single.iter().map(|s| s.0).collect()),
        objects,
        peak_heap,
        peak_rss,
        fresh,
    }
}

/// This benchmark, run again as a fresh process that only reads and scans `image`.
const RSS_CHILD: &str = "KOBJECT_SCAN_BENCH_RSS_CHILD";

/// Resident memory a fresh process gains from reading and scanning `image` (`/proc` VmHWM
/// after the scan minus VmRSS before it, the thread pool already started), and its scan time.
fn fresh_process(image: &Path, manifest: &Path) -> (usize, Duration) {
    let exe = std::env::current_exe().expect("benchmark executable");
    let output = Command::new(exe).env(RSS_CHILD, "1").arg(image).arg(manifest).output().expect("run child");
    assert!(output.status.success(), "RSS child failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>());
    match (fields.next(), fields.next()) {
        (Some(Ok(rss)), Some(Ok(nanos))) => (rss as usize, Duration::from_nanos(nanos)),
        _ => panic!("RSS child printed {text:?}"),
    }
}

/// A `/proc/self/status` field in bytes.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    let kb: usize = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("status value");
    kb * 1024
}

fn rss_child(image: &Path, manifest: &Path) {
    let manifest = Manifest::from_file(manifest).expect("manifest");
    rayon::join(|| (), || ());
    let before = status_bytes("VmRSS:");
    let bytes = std::fs::read(image).expect("read image");
    let start = Instant::now();
    let objects = kobject_scan::scan(&bytes, &manifest).expect("scan").objects.len();
    let scan_time = start.elapsed();
    let peak = status_bytes("VmHWM:");
    assert!(objects > 0 || image.exists());
    println!("{} {}", peak.saturating_sub(before), scan_time.as_nanos());
}

fn debug_info_size(image: &Path) -> u64 {
    let bytes = std::fs::read(image).expect("read image");
    let file = object::File::parse(&*bytes).expect("parse image");
    file.section_by_name(".debug_info").map_or(0, |s| s.size())
}

fn report(label: &str, image: &Path, m: &Measurement) {
    let info = debug_info_size(image) as f64;
    let elf = std::fs::metadata(image).expect("image metadata").len() as f64;
    let rate = |d: Duration| info / d.as_secs_f64() / 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let cores = rayon::current_num_threads();
    println!("{label}: {}", image.display());
    println!("  ELF {:.2} MB, .debug_info {:.2} MB, {} objects", elf / 1e6, info / 1e6, m.objects);
    println!("  {} scans of the image in memory each way; median (min):", m.runs);
    println!(
        "  {cores} threads: {:.2} ({:.2}) ms wall = {:.0} ({:.0}) MB/s; {:.2} ({:.2}) ms CPU = {:.0} ({:.0}) MB/s per CPU second",
        ms(m.wall.median),
        ms(m.wall.min),
        rate(m.wall.median),
        rate(m.wall.min),
        ms(m.cpu.median),
        ms(m.cpu.min),
        rate(m.cpu.median),
        rate(m.cpu.min),
    );
    println!(
        "  1 thread:  {:.2} ({:.2}) ms wall = {:.0} ({:.0}) MB/s on one core (target >= 300)",
        ms(m.one_core.median),
        ms(m.one_core.min),
        rate(m.one_core.median),
        rate(m.one_core.min),
    );
    println!(
        "  objects {:.0} ({:.0}) /s with {cores} threads, {:.0} ({:.0}) /s on one core",
        m.objects as f64 / m.wall.median.as_secs_f64(),
        m.objects as f64 / m.wall.min.as_secs_f64(),
        m.objects as f64 / m.one_core.median.as_secs_f64(),
        m.objects as f64 / m.one_core.min.as_secs_f64(),
    );
    println!(
        "  peak heap {:.2} MB including the ELF buffer = {:.2}x ELF size (target <= 2x)",
        m.peak_heap as f64 / 1e6,
        m.peak_heap as f64 / elf
    );
    println!(
        "  peak resident memory added by reading and scanning it in a fresh process {:.2} MB = {:.2}x ELF size",
        m.peak_rss as f64 / 1e6,
        m.peak_rss as f64 / elf
    );
    println!(
        "  that fresh process's one scan, {cores} threads, its memory touched for the first time: {:.2} ms = {:.0} MB/s",
        ms(m.fresh),
        rate(m.fresh)
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
    if std::env::var_os(RSS_CHILD).is_some() {
        let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
        return rss_child(&args[0], &args[1]);
    }
    // Repeated scans in one process free and allocate the same few megabytes each time; with
    // glibc's defaults the freed memory goes back to the system after some scans and not others
    // (depending on allocation sizes), and the next scan faults it in again, which moved the
    // median by a fifth between builds that scanned alike. Keeping freed memory makes the
    // repeated scans measure the scan; the fresh-process figure keeps the cost of first touch.
    // SAFETY: mallopt only sets allocator parameters; no allocation is in progress here.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kobject-scan-bench");
    let started = Instant::now();
    let image = build_image(&dir);
    println!("generated and compiled {UNITS} units in {:.1} s", started.elapsed().as_secs_f64());
    let m = measure(&image, &manifest(&dir));
    assert_eq!(m.objects, UNITS * OBJECTS_PER_UNIT, "the generator's object count");
    report("synthetic image", &image, &m);
    let python = pyelftools_seconds(&image);
    println!(
        "  pyelftools walk {:.2} s: kobject-scan is {:.0}x faster with {} threads, {:.0}x on one core (target >= 100x)",
        python,
        python / m.wall.median.as_secs_f64(),
        rayon::current_num_threads(),
        python / m.one_core.median.as_secs_f64()
    );
    if let Some(rtos) = std::env::var_os("RETROFIT_RTOS_ELF") {
        let rtos = PathBuf::from(rtos);
        let m = measure(&rtos, &rtos_manifest());
        report("RTOS image", &rtos, &m);
        let python = pyelftools_seconds(&rtos);
        println!(
            "  pyelftools walk {:.3} s: kobject-scan is {:.0}x faster with {} threads, {:.0}x on one core",
            python,
            python / m.wall.median.as_secs_f64(),
            rayon::current_num_threads(),
            python / m.one_core.median.as_secs_f64()
        );
    }
}
