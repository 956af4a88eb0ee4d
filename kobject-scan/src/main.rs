//! kobject-scan CLI: `scan` prints the inventory, `explain` tells why a symbol is or is not an
//! object; `header`, `reserve`, `table`, `patch`, `verify`, `inspect` and `diff` build, write
//! and read the object table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kobject_scan::table::{self, emit_c, emit_rust, inspect};
use kobject_scan::{emit, Manifest};

type CliResult = Result<String, Box<dyn std::error::Error>>;

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
    /// Write `kobject_table.h` and `kobject_types.c` (they depend on the manifest alone).
    Header {
        #[arg(long = "types")]
        manifest: PathBuf,
        /// Output directory.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Write a placeholder table of exactly the size COUNT objects (STACKS of them stacks)
    /// need, to link before scanning.
    Reserve {
        #[arg(long = "types")]
        manifest: PathBuf,
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 0)]
        stacks: usize,
        /// Bytes per address on the target.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(4..=8))]
        address_size: u8,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Scan IMAGE and write its object table as source, for relink mode.
    Table {
        #[arg(long = "types")]
        manifest: PathBuf,
        image: PathBuf,
        #[arg(long, value_enum, default_value = "c")]
        lang: Lang,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Scan IN, write its object table into IN's reserved sections, verify, and save as OUT.
    Patch {
        #[arg(long = "types")]
        manifest: PathBuf,
        input: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Rescan IMAGE and compare every object with the table inside it.
    Verify {
        #[arg(long = "types")]
        manifest: PathBuf,
        image: PathBuf,
    },
    /// Print the object table inside IMAGE (read from its symbols; no DWARF needed).
    Inspect {
        image: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Objects added, removed, moved or changed between the tables of two images.
    Diff {
        before: PathBuf,
        after: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    C,
    Rust,
}

fn read(path: &Path) -> Result<Vec<u8>, kobject_scan::Error> {
    std::fs::read(path).map_err(|source| kobject_scan::Error::Io { path: path.to_path_buf(), source })
}

fn write(path: &Path, content: &[u8]) -> Result<(), kobject_scan::Error> {
    table::write_if_changed(path, content)
        .map(|_| ())
        .map_err(|source| kobject_scan::Error::Io { path: path.to_path_buf(), source })
}

fn in_file(path: &Path) -> impl Fn(table::Error) -> Box<dyn std::error::Error> + '_ {
    move |e| format!("{}: {e}", path.display()).into()
}

fn run(cli: Cli) -> CliResult {
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
        Command::Header { manifest, out } => {
            let manifest = Manifest::from_file(&manifest)?;
            std::fs::create_dir_all(&out)
                .map_err(|source| kobject_scan::Error::Io { path: out.clone(), source })?;
            for (name, text) in table::manifest_files(&manifest)? {
                write(&out.join(name), text.as_bytes())?;
            }
            Ok(String::new())
        }
        Command::Reserve { manifest, count, stacks, address_size, out } => {
            if address_size != 4 && address_size != 8 {
                return Err(format!("--address-size {address_size}: addresses are 4 or 8 bytes").into());
            }
            let manifest = Manifest::from_file(&manifest)?;
            let layout = table::Layout {
                pointer_bytes: address_size,
                big_endian: false,
                perm_bytes: manifest.kernel.max_threads.div_ceil(8),
                type_count: table::inventory::c_types(&manifest)?.len() as u32 + 1,
            };
            write(&out, emit_c::write_placeholder(count, stacks, &layout).as_bytes())?;
            Ok(String::new())
        }
        Command::Table { manifest, image, lang, out } => {
            let manifest = Manifest::from_file(&manifest)?;
            let inventory = kobject_scan::scan_file(&image, &manifest)?;
            let built = table::build(&inventory, &manifest).map_err(in_file(&image))?;
            let text = match lang {
                Lang::C => emit_c::write_table(&built.table, &built.types),
                Lang::Rust => emit_rust::write_table(&built.table, &built.types)?,
            };
            write(&out, text.as_bytes())?;
            Ok(format!("{} objects\n", built.table.slots.len()))
        }
        Command::Patch { manifest, input, out } => {
            let manifest = Manifest::from_file(&manifest)?;
            let (patched, built) = table::patch_image(&read(&input)?, &manifest).map_err(in_file(&input))?;
            write(&out, &patched)?;
            Ok(format!(
                "{}: {} objects, table written and verified\n",
                out.display(),
                built.table.slots.len()
            ))
        }
        Command::Verify { manifest, image } => {
            let manifest = Manifest::from_file(&manifest)?;
            let built = table::verify_image(&read(&image)?, &manifest).map_err(in_file(&image))?;
            Ok(format!("{}: {} objects, table matches the image\n", image.display(), built.table.slots.len()))
        }
        Command::Inspect { image, json } => {
            let seen = inspect::inspect(&read(&image)?).map_err(|e| format!("{}: {e}", image.display()))?;
            Ok(if json {
                serde_json::to_string_pretty(&seen)? + "\n"
            } else {
                inspect::format_rows(&seen.rows, seen.table.layout.pointer_bytes)
            })
        }
        Command::Diff { before, after, json } => {
            let rows = |path: &Path| -> Result<Vec<inspect::TableRow>, Box<dyn std::error::Error>> {
                Ok(inspect::inspect(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?.rows)
            };
            let diff = inspect::diff(&rows(&before)?, &rows(&after)?);
            Ok(if json { serde_json::to_string_pretty(&diff)? + "\n" } else { inspect::format_diff(&diff) })
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
