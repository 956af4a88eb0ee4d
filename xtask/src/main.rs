//! `cargo xtask`: builds, boots, tests and benchmarks retrofit and its example RTOS.
//!
//! Build automation in Rust (no Makefiles, no shell scripts): every command prints each stage
//! it runs and how long the stage took.

mod bench_kernel;
mod bench_table;
mod cmd;
mod qemu;
mod rtos;
mod test;
mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, boot, test and benchmark retrofit")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile and link the RTOS images (all of them unless --image is given).
    Build {
        #[arg(long, value_enum)]
        image: Option<rtos::Image>,
        /// How the object table gets into the image.
        #[arg(long, value_enum, default_value = "patch")]
        table: rtos::TableMode,
    },
    /// Build an image and boot it in QEMU, forwarding its UART.
    Run {
        #[arg(long, value_enum, default_value = "demo")]
        image: rtos::Image,
        /// Wall-time limit for the guest, in seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Every test: lint, the workspace's Rust tests and the in-emulator tests.
    Test,
    /// Run a benchmark and print its figures.
    Bench {
        #[arg(value_enum)]
        which: Bench,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Bench {
    /// kobject-scan over a generated 20,000-object image and the RTOS image.
    Scan,
    /// syscall-gen over a generated corpus of 2,000 headers.
    Syscalls,
    /// linker-scripts' partition packing per MPU model.
    Layout,
    /// Object-table generation for 100 to 100,000 keys, then lookups on the target in QEMU
    /// next to a gperf table for the same keys.
    Table,
    /// System calls, semaphores and context switches from user and kernel threads, on the
    /// target in QEMU.
    Kernel,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> Result<ExitCode> {
    let root = workspace_root();
    match command {
        Command::Build { image, table } => {
            tools::ensure(tools::IMAGE)?;
            let images = image.map_or_else(|| vec![rtos::Image::Demo, rtos::Image::Tests], |i| vec![i]);
            for image in images {
                let built =
                    stage(&format!("build {} image", image.name()), || rtos::build(&root, image, table))?;
                println!("    {} kernel objects in the table", built.objects);
                println!("    {}\n    {} (linker map)", built.elf.display(), built.map.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { image, timeout } => {
            tools::ensure(tools::IMAGE)?;
            let built = stage(&format!("build {} image", image.name()), || {
                rtos::build(&root, image, rtos::TableMode::Patch)
            })?;
            let outcome =
                stage("boot in QEMU mps2-an385", || qemu::run(&built.elf, Duration::from_secs(timeout)))?;
            match (outcome.timed_out, outcome.exit_code) {
                (true, _) => anyhow::bail!("the guest did not finish within {timeout} s"),
                (false, Some(0)) => Ok(ExitCode::SUCCESS),
                (false, code) => anyhow::bail!("the guest exited with status {code:?}"),
            }
        }
        Command::Test => {
            let tally = test::run_all(&root)?;
            for failure in &tally.failures {
                println!("FAILED: {failure}");
            }
            println!("{} passed, {} failed", tally.passed, tally.failed);
            Ok(if tally.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Bench { which: Bench::Kernel } => {
            tools::ensure(tools::IMAGE)?;
            stage("bench kernel operations on the target (QEMU -icount)", || bench_kernel::run(&root))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { which } => {
            let (package, bench) = match which {
                Bench::Scan => ("kobject-scan", "scan"),
                Bench::Syscalls => ("syscall-gen", "syscalls"),
                Bench::Layout => ("linker-scripts", "layout"),
                Bench::Table => ("kobject-scan", "table"),
                Bench::Kernel => unreachable!("handled above"),
            };
            tools::ensure(tools::IMAGE)?;
            let mut cargo = cmd::new("cargo");
            cargo.args(["bench", "-p", package, "--bench", bench]).current_dir(&root);
            if let Bench::Scan = which {
                let built = stage("build demo image", || {
                    rtos::build(&root, rtos::Image::Demo, rtos::TableMode::Patch)
                })?;
                cargo.env("RETROFIT_RTOS_ELF", &built.elf).env("RETROFIT_RTOS_TYPES", &built.manifest);
            }
            stage(&format!("bench {bench}"), || cmd::run_inherited(&mut cargo))?;
            if let Bench::Table = which {
                stage("bench table lookups on the target (QEMU -icount)", || bench_table::run(&root))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs one named stage, printing its start, end and duration.
pub fn stage<T>(name: &str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("==> {name}");
    let start = Instant::now();
    let result = body().with_context(|| format!("stage `{name}`"));
    let verdict = if result.is_ok() { "done" } else { "failed" };
    println!("<== {name}: {verdict} in {:.2} s", start.elapsed().as_secs_f64());
    result
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
