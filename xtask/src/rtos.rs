//! The included RTOS's images: which sources, which flags, how they are linked.
//!
//! Everything `arm-none-eabi-gcc` is told lives here, so a reader sees the whole build of the
//! C side in one place (no Makefiles).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kobject_scan::table::{self, emit_c, Layout};
use kobject_scan::Manifest;
use linker_scripts::{Board, TableReservation};

use crate::cmd;

/// The board every image is built for; its memory map and MPU drive the linker fragments.
const BOARD: Board = Board::MPS2_AN385;

/// A bootable image of the RTOS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Image {
    /// The demo `cargo xtask run` boots.
    Demo,
    /// The in-emulator test suite; its exit status is the number of failed cases.
    Tests,
    /// The kernel benchmark `cargo xtask bench kernel` runs.
    Bench,
    /// System calls with kernel bugs: each scenario must stop the system.
    Fatal,
}

impl Image {
    pub fn name(self) -> &'static str {
        match self {
            Image::Demo => "demo",
            Image::Tests => "tests",
            Image::Bench => "bench",
            Image::Fatal => "fatal",
        }
    }
}

/// How the object table gets into the final image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TableMode {
    /// Write the encoded table into the reserved sections of the linked image.
    #[default]
    Patch,
    /// Compile the table as C and link again.
    Relink,
}

/// The outputs of one image build.
pub struct Built {
    pub elf: PathBuf,
    pub map: PathBuf,
    /// The type manifest generated from the RTOS headers.
    pub manifest: PathBuf,
    /// Kernel objects in the image's table.
    pub objects: usize,
    /// From the first link to the verified image (the table pipeline, not the compilation).
    pub table_pipeline: Duration,
}

const CC: &str = "arm-none-eabi-gcc";

/// Code generation for the Cortex-M3 of `mps2-an385`; no libc, warnings are errors.
const CFLAGS: &[&str] = &[
    "-mcpu=cortex-m3",
    "-mthumb",
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-O2",
    "-g",
    "-ffreestanding",
    "-fno-common",
    "-ffunction-sections",
    "-fdata-sections",
    // The C library functions are ours (lib/string.c): keep GCC from turning their loops
    // into calls to themselves.
    "-fno-tree-loop-distribute-patterns",
];

/// Threads that can hold object permissions (and run in user mode): the size of every
/// object's permission mask.
const MAX_THREADS: u32 = 32;

/// Directories whose sources every image contains.
const SHARED_SOURCE_DIRS: &[&str] = &["arch/arm", "kernel", "drivers", "lib"];

/// Compiles `image` and links it in two passes around the object table, into
/// `target/rtos/<image>/` (`<image>-relink/` in relink mode):
///
/// 1. compile the sources and the manifest's generated files (`kobject_table.h`, type names);
/// 2. link with a table reservation for the object count of the last build (0 at first) and
///    scan it; if the count changed, link again with the exact reservation (nothing moves:
///    the table lies after every kernel object);
/// 3. fill the table: patch its bytes and the two key-dependent values of the generated
///    `k_object_find` in, or compile it as C and link once more, with the table's ROM part
///    pinned where the reservation was (the lookup has the placeholder's size, so nothing
///    should move; the pin makes sure);
/// 4. verify the table against a rescan of the final image, and check the memory layout.
pub fn build(root: &Path, image: Image, mode: TableMode) -> Result<Built> {
    let rtos = root.join("examples/rtos");
    let out = root.join("target/rtos").join(match mode {
        TableMode::Patch => image.name().to_owned(),
        TableMode::Relink => format!("{}-relink", image.name()),
    });
    let gen = out.join("gen");
    let obj_dir = out.join("obj");
    for dir in [&gen, &obj_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let syscalls = generate_syscalls(&rtos, image, &gen)?;
    let manifest = Manifest::from_file(&syscalls.manifest)?;
    for (name, text) in table::manifest_files(&manifest)? {
        write_if_changed(&gen.join(name), text.as_bytes())?;
    }

    let mut sources = Vec::new();
    for dir in SHARED_SOURCE_DIRS.iter().copied().chain([image_dir(image)]) {
        collect_sources(&rtos.join(dir), &mut sources)?;
    }
    if sources.is_empty() {
        bail!("no C or assembler sources under {}", rtos.display());
    }
    sources.push(gen.join("kobject_types.c"));
    sources.extend(syscalls.sources);
    let mut objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let rel = src.strip_prefix(&rtos).or_else(|_| src.strip_prefix(&out)).unwrap_or(src);
            obj_dir.join(rel.to_string_lossy().replace(['/', '\\'], "__") + ".o")
        })
        .collect();
    let includes = [rtos.join("include"), rtos.join(image_dir(image)), gen.clone()];
    compile_all(&sources, &objects, &includes)?;

    // The table source is the last link input; each pass swaps it.
    let table_c = gen.join("kobject_table.c");
    let table_o = obj_dir.join("kobject_table.o");
    objects.push(table_o.clone());
    let fragments = out.join("ld");
    let script = rtos.join("link.ld");
    let elf = out.join(format!("rtos-{}.elf", image.name()));
    let map = out.join(format!("rtos-{}.map", image.name()));
    let count_file = out.join("kobject-count");
    // Cortex-M3: 32-bit little-endian addresses.
    let layout = Layout {
        pointer_bytes: 4,
        big_endian: false,
        perm_bytes: manifest.kernel.max_threads.div_ceil(8),
        type_count: table::inventory::c_types(&manifest)?.len() as u32 + 1,
    };

    // `rom_at`: where the table's ROM part must go, if not where the linker script puts it.
    let link_with_table = |source: &str, counts: Counts, rom_at: Option<u64>| -> Result<Vec<u8>> {
        write_if_changed(&table_c, source.as_bytes())?;
        compile_all(std::slice::from_ref(&table_c), std::slice::from_ref(&table_o), &includes)?;
        let reservation = TableReservation {
            rodata: layout.rom_size(counts.objects, counts.stacks) as u64,
            data: layout.ram_size(counts.objects) as u64,
        };
        write_fragments(&objects, reservation, &fragments)?;
        link(&script, &fragments, &objects, &elf, &map, rom_at)?;
        std::fs::read(&elf).with_context(|| format!("reading {}", elf.display()))
    };
    let placeholder = |counts: Counts| emit_c::write_placeholder(counts.objects, counts.stacks, &layout);

    let started = Instant::now();
    let guess = Counts::read(&count_file);
    let mut linked = link_with_table(&placeholder(guess), guess, None)?;
    let inventory = kobject_scan::scan(&linked, &manifest).map_err(|e| e.in_file(&elf))?;
    let counts = Counts {
        objects: inventory.objects.len(),
        stacks: inventory.objects.iter().filter(|o| o.kind == kobject_scan::Kind::Stack).count(),
    };
    if counts != guess {
        linked = link_with_table(&placeholder(counts), counts, None)?;
    }
    write_if_changed(&count_file, counts.to_string().as_bytes())?;

    // The pass-1 scan is the scan of the image the table goes into (patch mode) or of one with
    // the same kernel memory (relink mode); the final scan verifies the table and that no
    // object moved.
    let built = table::build(&inventory, &manifest)?;
    let final_image = match mode {
        TableMode::Patch => table::patch::patch(&linked, &built.table)?,
        TableMode::Relink => {
            let source = emit_c::write_table(&built.table, &built.types);
            let rom_at = table::patch::locate(&linked)?.rom_address;
            link_with_table(&source, counts, Some(rom_at))?
        }
    };
    let rescan = kobject_scan::scan(&final_image, &manifest).map_err(|e| e.in_file(&elf))?;
    table::verify_scanned(&final_image, &rescan, &manifest).with_context(|| elf.display().to_string())?;
    let table_pipeline = started.elapsed();
    if inventory.objects.iter().map(|o| o.address).ne(rescan.objects.iter().map(|o| o.address)) {
        bail!("{}: kernel objects moved between the first and the final link", elf.display());
    }
    write_if_changed(&elf, &final_image)?;
    check_layout(&elf)?;
    Ok(Built { elf, map, manifest: syscalls.manifest, objects: counts.objects, table_pipeline })
}

/// The counts a table reservation is sized for, remembered between builds in `kobject-count`
/// so that a rebuild with unchanged counts links once before scanning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    objects: usize,
    stacks: usize,
}

impl Counts {
    fn read(path: &Path) -> Counts {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut numbers = text.split_whitespace().map(|n| n.parse().unwrap_or(0));
        Counts { objects: numbers.next().unwrap_or(0), stacks: numbers.next().unwrap_or(0) }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.objects, self.stacks)
    }
}

/// What syscall-gen produced for an image.
struct Syscalls {
    /// The kernel-object type manifest, from the `__kobject` annotations.
    manifest: PathBuf,
    /// The dispatcher and every header's marshalling stubs, to compile with the kernel.
    sources: Vec<PathBuf>,
}

/// Headers of the kernel and of the image's application that declare system calls or kernel
/// object types.
fn syscall_headers(rtos: &Path, image: Image) -> Result<Vec<PathBuf>> {
    let mut headers = Vec::new();
    for dir in [rtos.join("include"), rtos.join(image_dir(image))] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        found.retain(|p| p.extension().is_some_and(|e| e == "h"));
        found.sort();
        headers.extend(found);
    }
    Ok(headers)
}

/// Runs syscall-gen over the headers: system-call IDs, dispatcher, wrappers, stubs and the
/// type manifest kobject-scan reads, into `gen` (written only when changed).
fn generate_syscalls(rtos: &Path, image: Image, gen: &Path) -> Result<Syscalls> {
    let builder = syscall_headers(rtos, image)?
        .into_iter()
        .fold(syscall_gen::Builder::new(), |b, h| b.header(h))
        .abi(syscall_gen::Abi::ARMV7M)
        .include_dir(rtos.join("include"))
        .include_dir(rtos.join(image_dir(image)))
        .out_dir(gen)
        // Kernel memory (link.ld): .data (with the device table), .bss and .noinit (kernel
        // stacks). Thread stacks any thread may use live in user memory, MPU-aligned: kernel
        // objects too, but nothing else may live there.
        .kernel_sections([".data", ".bss", ".noinit"])
        .kernel_stack_sections([".user_stacks"])
        .max_threads(MAX_THREADS);
    let (generated, _) = builder.run().map_err(|e| anyhow::anyhow!("syscall-gen: {e}"))?;
    let sources =
        generated.files.iter().filter(|f| f.path.ends_with(".c")).map(|f| gen.join(&f.path)).collect();
    Ok(Syscalls { manifest: gen.join("kobject_types.toml"), sources })
}

fn write_if_changed(path: &Path, content: &[u8]) -> Result<()> {
    table::write_if_changed(path, content).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Lays out user memory and the object table's reservation for the link inputs, writing the
/// linker-script fragments `link.ld` includes.
fn write_fragments(objects: &[PathBuf], table: TableReservation, dir: &Path) -> Result<()> {
    let generator =
        objects.iter().fold(linker_scripts::Generator::new(BOARD), |g, o| g.input(o)).table(table);
    let generated = generator.generate().context("laying out user memory")?;
    generated.write(dir).with_context(|| format!("writing linker fragments to {}", dir.display()))?;
    Ok(())
}

fn link(
    script: &Path,
    fragments: &Path,
    objects: &[PathBuf],
    elf: &Path,
    map: &Path,
    table_rom_at: Option<u64>,
) -> Result<()> {
    let mut link = cmd::new(CC);
    if let Some(address) = table_rom_at {
        link.arg(format!("-Wl,--section-start={}={address:#x}", emit_c::ROM_SECTION));
    }
    link.args(CFLAGS)
        .args(["-nostdlib", "-Wl,--gc-sections", "-L"])
        .arg(fragments)
        .arg("-T")
        .arg(script)
        .arg(format!("-Wl,-Map={}", map.display()))
        .args(objects)
        .arg("-lgcc")
        .arg("-o")
        .arg(elf);
    cmd::run(&mut link)
}

/// Every partition, user stack and table section of the linked image meets the MPU's rules.
fn check_layout(elf: &Path) -> Result<()> {
    let image = linker_scripts::image::Image::read(elf)?;
    let violations = linker_scripts::check::check(&image, &BOARD);
    if !violations.is_empty() {
        let lines: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        bail!("{} breaks the memory layout rules:\n{}", elf.display(), lines.join("\n"));
    }
    Ok(())
}

/// Compiles `sources[i]` into `objects[i]`, one compiler process per core at a time.
fn compile_all(sources: &[PathBuf], objects: &[PathBuf], includes: &[PathBuf]) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let compile_next = || -> Result<()> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(src) = sources.get(i) else {
                return Ok(());
            };
            let mut c = cmd::new(CC);
            c.args(CFLAGS);
            for dir in includes {
                c.arg("-I").arg(dir);
            }
            c.arg("-c").arg(src).arg("-o").arg(&objects[i]);
            cmd::run(&mut c)?;
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(compile_next)).collect();
        // The scope joins any worker left when the first error returns early.
        handles.into_iter().try_for_each(|handle| handle.join().expect("a compiler worker thread panicked"))
    })
}

fn image_dir(image: Image) -> &'static str {
    match image {
        Image::Demo => "apps/demo",
        Image::Tests => "apps/tests",
        Image::Bench => "apps/bench",
        Image::Fatal => "apps/fatal",
    }
}

/// Appends every `.c` and `.S` file below `dir`, sorted so that builds are reproducible.
fn collect_sources(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_sources(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "S")) {
            out.push(path);
        }
    }
    Ok(())
}
