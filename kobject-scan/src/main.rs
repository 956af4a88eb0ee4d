//! kobject-scan CLI: `scan` prints the inventory, `explain` tells why a symbol is or is not an
//! object.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kobject_scan::{emit, Manifest};

#[derive(Parser)]
#[command(version, about = "Find every kernel object in an ELF image from its DWARF")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every kernel object (sorted by address) and every rejected candidate.
    Scan {
        /// Type manifest (TOML).
        #[arg(long = "types")]
        manifest: PathBuf,
        /// Linked ELF image with DWARF.
        image: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Explain why SYMBOL (a variable or a path such as `bank.sems[3]`) is or is not an object.
    Explain {
        #[arg(long = "types")]
        manifest: PathBuf,
        image: PathBuf,
        symbol: String,
    },
}

fn run(cli: Cli) -> kobject_scan::Result<String> {
    match cli.command {
        Command::Scan { manifest, image, json } => {
            let manifest = Manifest::from_file(&manifest)?;
            let inventory = kobject_scan::scan_file(&image, &manifest)?;
            Ok(if json { emit::json(&inventory) } else { emit::table(&inventory) })
        }
        Command::Explain { manifest, image, symbol } => {
            let manifest = Manifest::from_file(&manifest)?;
            let bytes = std::fs::read(&image)
                .map_err(|source| kobject_scan::Error::Io { path: image.clone(), source })?;
            let lines =
                kobject_scan::explain::explain(&bytes, &manifest, &symbol).map_err(|e| e.in_file(&image))?;
            Ok(lines.join("\n") + "\n")
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kobject-scan: error: {error}");
            ExitCode::FAILURE
        }
    }
}
