//! `linker-scripts layout | check | report`: see the library docs for the contract.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use linker_scripts::{check, image::Image, report, Board, Generator, LibraryAssignment};
use linker_scripts::{MpuModel, TableReservation};

#[derive(Parser)]
#[command(version, about = "MPU-correct user memory layout and post-link checks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Target {
    /// Board memory map and MPU.
    #[arg(long, default_value = "mps2-an385", value_parser = parse_board)]
    board: Board,
    /// Override the board's MPU model (pmsav7, pmsav8, pmp, mmu).
    #[arg(long, value_parser = parse_mpu)]
    mpu: Option<MpuModel>,
}

impl Target {
    fn board(&self) -> Board {
        Board { mpu: self.mpu.unwrap_or(self.board.mpu), ..self.board }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Find partitions and stacks in the link inputs, lay them out, write the fragments.
    Layout {
        #[command(flatten)]
        target: Target,
        /// Directory for memory.ld, user-memory.ld, kobject-table.ld, memory-map.json.
        #[arg(long)]
        out_dir: PathBuf,
        /// Assign a whole static archive to a partition: ARCHIVE=PARTITION.
        #[arg(long = "library")]
        libraries: Vec<LibraryAssignment>,
        /// MPU regions a domain may spend on partitions (default: the board's).
        #[arg(long)]
        region_budget: Option<u32>,
        /// Bytes reserved for .kobject_table.rodata.
        #[arg(long, default_value_t = 0)]
        table_rodata: u64,
        /// Bytes reserved for .kobject_table.data.
        #[arg(long, default_value_t = 0)]
        table_data: u64,
        /// Format of the memory map printed on stdout.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Relocatable objects and static archives, as given to the linker.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Check a linked image; exits with 1 and lists every rule broken.
    Check {
        #[command(flatten)]
        target: Target,
        image: PathBuf,
    },
    /// Print the memory map of a linked image.
    Report {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        image: PathBuf,
    },
}

fn parse_board(name: &str) -> Result<Board, String> {
    Board::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = Board::ALL.iter().map(|b| b.name).collect();
        format!("unknown board `{name}` (known: {})", known.join(", "))
    })
}

fn parse_mpu(name: &str) -> Result<MpuModel, String> {
    MpuModel::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = MpuModel::ALL.iter().map(|(n, _)| *n).collect();
        format!("unknown MPU model `{name}` (known: {})", known.join(", "))
    })
}

fn render(map: &report::MemoryMap, format: Format) -> String {
    match format {
        Format::Table => map.to_table(),
        Format::Json => map.to_json(),
    }
}

fn run(cli: Cli) -> Result<bool, linker_scripts::Error> {
    match cli.command {
        Command::Layout {
            target,
            out_dir,
            libraries,
            region_budget,
            table_rodata,
            table_data,
            format,
            inputs,
        } => {
            let mut generator = Generator::new(target.board())
                .table(TableReservation { rodata: table_rodata, data: table_data });
            for input in inputs {
                generator = generator.input(input);
            }
            for library in libraries {
                generator = generator.library(library);
            }
            if let Some(budget) = region_budget {
                generator = generator.region_budget(budget);
            }
            let generated = generator.generate()?;
            generated.write(&out_dir)?;
            print!("{}", render(&generated.map, format));
            Ok(true)
        }
        Command::Check { target, image } => {
            let violations = check::check(&Image::read(&image)?, &target.board());
            for violation in &violations {
                eprintln!("{}: {violation}", image.display());
            }
            Ok(violations.is_empty())
        }
        Command::Report { target, format, image } => {
            let map = check::image_memory_map(&Image::read(&image)?, &target.board());
            print!("{}", render(&map, format));
            Ok(true)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
