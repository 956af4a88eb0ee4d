//! The included RTOS's images: which sources, which flags, how they are linked.
//!
//! Everything `arm-none-eabi-gcc` is told lives here, so a reader sees the whole build of the
//! C side in one place (no Makefiles).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
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
}

impl Image {
    pub fn name(self) -> &'static str {
        match self {
            Image::Demo => "demo",
            Image::Tests => "tests",
        }
    }
}

/// The outputs of one image build.
pub struct Built {
    pub elf: PathBuf,
    pub map: PathBuf,
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

/// Directories whose sources every image contains.
const SHARED_SOURCE_DIRS: &[&str] = &["arch/arm", "kernel", "drivers", "lib"];

/// Compiles and links `image` into `target/rtos/<image>/`.
pub fn build(root: &Path, image: Image) -> Result<Built> {
    let rtos = root.join("examples/rtos");
    let out = root.join("target/rtos").join(image.name());
    let obj_dir = out.join("obj");
    std::fs::create_dir_all(&obj_dir).with_context(|| format!("creating {}", obj_dir.display()))?;

    let mut sources = Vec::new();
    for dir in SHARED_SOURCE_DIRS.iter().copied().chain([image_dir(image)]) {
        collect_sources(&rtos.join(dir), &mut sources)?;
    }
    if sources.is_empty() {
        bail!("no C or assembler sources under {}", rtos.display());
    }

    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let rel = src.strip_prefix(&rtos).unwrap_or(src);
            obj_dir.join(rel.to_string_lossy().replace(['/', '\\'], "__") + ".o")
        })
        .collect();
    compile_all(&sources, &objects, &rtos.join("include"))?;

    let fragments = out.join("ld");
    write_fragments(&objects, TableReservation::default(), &fragments)?;

    let elf = out.join(format!("rtos-{}.elf", image.name()));
    let map = out.join(format!("rtos-{}.map", image.name()));
    link(&rtos.join("link.ld"), &fragments, &objects, &elf, &map)?;
    check_layout(&elf)?;
    Ok(Built { elf, map })
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

fn link(script: &Path, fragments: &Path, objects: &[PathBuf], elf: &Path, map: &Path) -> Result<()> {
    let mut link = cmd::new(CC);
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
fn compile_all(sources: &[PathBuf], objects: &[PathBuf], include: &Path) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let compile_next = || -> Result<()> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(src) = sources.get(i) else {
                return Ok(());
            };
            let mut c = cmd::new(CC);
            c.args(CFLAGS).arg("-I").arg(include).arg("-c").arg(src).arg("-o").arg(&objects[i]);
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
