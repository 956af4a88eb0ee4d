#![doc = include_str!("../README.md")]

pub mod board;
pub mod check;
pub mod emit;
pub mod error;
pub mod image;
pub mod inputs;
pub mod layout;
pub mod mpu;
pub mod names;
pub mod report;

use std::path::{Path, PathBuf};

pub use board::Board;
pub use error::{Error, Result};
pub use inputs::LibraryAssignment;
pub use layout::{Plan, TableReservation};
pub use mpu::MpuModel;

/// Builder for `build.rs` use: configure, [`Generator::generate`], then
/// [`Generated::write`] to `OUT_DIR`.
#[derive(Clone, Debug)]
pub struct Generator {
    board: Board,
    inputs: Vec<PathBuf>,
    libraries: Vec<LibraryAssignment>,
    region_budget: Option<u32>,
    table: TableReservation,
    regions: emit::Regions,
}

impl Generator {
    pub fn new(board: Board) -> Generator {
        let name_of = |kind| board.memory(kind).map_or_else(String::new, |m| m.name.to_string());
        Generator {
            regions: emit::Regions {
                flash: name_of(board::MemoryKind::Flash),
                ram: name_of(board::MemoryKind::Ram),
            },
            board,
            inputs: Vec::new(),
            libraries: Vec::new(),
            region_budget: None,
            table: TableReservation::default(),
        }
    }

    /// A link input: relocatable object or static archive.
    pub fn input(mut self, path: impl Into<PathBuf>) -> Generator {
        self.inputs.push(path.into());
        self
    }

    pub fn library(mut self, library: LibraryAssignment) -> Generator {
        self.libraries.push(library);
        self
    }

    /// MPU regions a domain may spend on partitions (default: the board's).
    pub fn region_budget(mut self, regions: u32) -> Generator {
        self.region_budget = Some(regions);
        self
    }

    pub fn table(mut self, table: TableReservation) -> Generator {
        self.table = table;
        self
    }

    /// Names of the `MEMORY` regions the fragments use (default: the board's).
    pub fn regions(mut self, flash: &str, ram: &str) -> Generator {
        self.regions = emit::Regions { flash: flash.to_string(), ram: ram.to_string() };
        self
    }

    /// The files every input path was read from, for `cargo:rerun-if-changed`.
    pub fn inputs(&self) -> &[PathBuf] {
        &self.inputs
    }

    pub fn generate(&self) -> Result<Generated> {
        let found = inputs::read_link_inputs(&self.inputs, &self.libraries)?;
        let budget = self.region_budget.unwrap_or(self.board.partition_regions);
        let plan = layout::plan(&found, self.board.mpu, budget, self.table)?;
        let map = report::plan_memory_map(&plan);
        let files = vec![
            ("memory.ld".to_string(), emit::memory_script(&self.board)),
            ("user-memory.ld".to_string(), emit::user_memory_script(&plan, &self.regions)),
            ("kobject-table.ld".to_string(), emit::table_script(&self.table, &self.regions)),
            ("memory-map.json".to_string(), map.to_json()),
        ];
        Ok(Generated { plan, map, files })
    }
}

/// The plan, its memory map, and the files to write.
#[derive(Clone, Debug)]
pub struct Generated {
    pub plan: Plan,
    pub map: report::MemoryMap,
    /// (file name, content)
    pub files: Vec<(String, String)>,
}

impl Generated {
    /// Writes every file into `dir`, skipping those whose content is unchanged; returns the
    /// paths written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut written = Vec::new();
        for (name, content) in &self.files {
            let path = dir.join(name);
            if std::fs::read(&path).ok().as_deref() == Some(content.as_bytes()) {
                continue;
            }
            std::fs::write(&path, content).map_err(io(&path))?;
            written.push(path);
        }
        Ok(written)
    }
}
