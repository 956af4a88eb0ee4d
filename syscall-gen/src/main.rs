//! `syscall-gen` CLI: the Builder's options as flags.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use syscall_gen::{Abi, Builder};

/// Generates the system-call layer (C and Rust) and the kernel-object type manifest.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// C headers with `__syscall` prototypes and `__kobject` annotations.
    headers: Vec<PathBuf>,
    /// Rust files with `#[syscall]` items in `extern "C"` blocks.
    #[arg(long = "rust-input")]
    rust_inputs: Vec<PathBuf>,
    /// Include directory: `#include` lookup for `#if` evaluation, and output keys.
    #[arg(short = 'I')]
    include_dirs: Vec<PathBuf>,
    /// Macro for `#if` evaluation: NAME or NAME=VALUE.
    #[arg(short = 'D')]
    defines: Vec<String>,
    /// Trap ABI: armv7m or host.
    #[arg(long, default_value = "armv7m", value_parser = parse_abi)]
    abi: Abi,
    /// Output directory.
    #[arg(short, long)]
    out_dir: PathBuf,
    /// ID lock file keeping IDs stable across builds.
    #[arg(long)]
    id_lock: Option<PathBuf>,
    /// Also write the Rust wrappers (syscalls.rs).
    #[arg(long)]
    rust: bool,
    /// `[kernel] sections` of the type manifest (repeatable).
    #[arg(long = "kernel-section")]
    kernel_sections: Vec<String>,
    /// `[kernel] stack_sections` of the type manifest (repeatable).
    #[arg(long = "kernel-stack-section")]
    kernel_stack_sections: Vec<String>,
    /// `[kernel] max_threads` of the type manifest.
    #[arg(long)]
    max_threads: Option<u32>,
}

fn parse_abi(name: &str) -> Result<Abi, String> {
    Abi::by_name(name).ok_or_else(|| {
        let names: Vec<_> = Abi::ALL.iter().map(|a| a.name).collect();
        format!("unknown ABI `{name}`; known: {}", names.join(", "))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = Builder::new().abi(cli.abi).out_dir(cli.out_dir).rust_wrappers(cli.rust);
    builder = cli.headers.into_iter().fold(builder, Builder::header);
    builder = cli.rust_inputs.into_iter().fold(builder, Builder::rust_input);
    builder = cli.include_dirs.into_iter().fold(builder, Builder::include_dir);
    builder = cli.defines.into_iter().fold(builder, Builder::define);
    if let Some(lock) = cli.id_lock {
        builder = builder.id_lock(lock);
    }
    if !cli.kernel_sections.is_empty() {
        builder = builder.kernel_sections(cli.kernel_sections);
    }
    if !cli.kernel_stack_sections.is_empty() {
        builder = builder.kernel_stack_sections(cli.kernel_stack_sections);
    }
    if let Some(max) = cli.max_threads {
        builder = builder.max_threads(max);
    }
    match builder.run() {
        Ok((_, report)) => {
            eprintln!("syscall-gen: {} written, {} unchanged", report.written.len(), report.unchanged);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
