//! MPU-correct layout of user memory partitions, user thread stacks and the kernel-object
//! table's reserved sections, and a checker for the linked image.
//!
//! Data flow: [`inputs`] reads the link inputs → [`layout`] plans with an [`mpu`] model and a
//! [`board`] → [`emit`] writes linker-script fragments; after the link, [`image`] reads the
//! ELF → [`check`] applies the rules; [`report`] renders memory maps of either.
//!
//! # Contract with the RTOS
//!
//! **Partition globals.** `K_APP_DMEM(part)` puts an initialised global in section
//! `.app_data.<part>`, `K_APP_BMEM(part)` a zero-initialised one in `.app_bss.<part>`
//! (`<part>` is a C identifier):
//! ```c
//! #define K_APP_DMEM(part) __attribute__((section(".app_data." #part)))
//! #define K_APP_BMEM(part) __attribute__((section(".app_bss." #part)))
//! ```
//! The tool finds these sections in the link inputs themselves (objects and members of
//! static archives), so prebuilt libraries count. `--library libfoo.a=part` assigns every
//! `.data*`, `.bss*` section and COMMON symbol of an archive to a partition.
//!
//! **User stacks.** A user stack object lives in `.user_stacks.<name>` (one section per stack,
//! so the linker can sort them by alignment) and is sized and aligned by the MPU's stack rule;
//! the guard is the lowest `GUARD` bytes of the object (stacks grow down):
//! - PMSAv7: `GUARD` = 32; object = next power of two ≥ size + 32; aligned to the object size.
//!   The thread's region covers the whole object; a higher-numbered 32-byte no-access region
//!   over the guard catches overflows in privileged mode too.
//! - PMSAv8: `GUARD` = 32; object = size rounded up to 32, plus 32; aligned to 32.
//! - PMP: `GUARD` = 16; object = size rounded up to 16, plus 16; aligned to 16.
//! - MMU: `GUARD` = one 4 KiB page, object = size rounded up to pages, plus a page.
//!
//! The same PMSAv7 rule in C (constant expressions, usable in array bounds and `aligned`),
//! compiled and checked against [`mpu::MpuModel::stack_object_size`] by the tests
//! (`tests/fixtures/user_memory.h`):
//! ```c
//! #define Z_SMEAR1(x) ((x) | ((x) >> 1))
//! #define Z_SMEAR2(x) (Z_SMEAR1(x) | (Z_SMEAR1(x) >> 2))
//! #define Z_SMEAR4(x) (Z_SMEAR2(x) | (Z_SMEAR2(x) >> 4))
//! #define Z_SMEAR8(x) (Z_SMEAR4(x) | (Z_SMEAR4(x) >> 8))
//! #define Z_SMEAR16(x) (Z_SMEAR8(x) | (Z_SMEAR8(x) >> 16))
//! #define Z_POW2_CEIL(x) (Z_SMEAR16((x) - 1) + 1)
//! #define K_STACK_GUARD 32
//! #define K_THREAD_STACK_LEN(size) Z_POW2_CEIL((size) + K_STACK_GUARD)
//! #define K_THREAD_STACK_DEFINE(sym, size) \
//!     struct k_thread_stack_element sym[K_THREAD_STACK_LEN(size)] \
//!     __attribute__((section(".user_stacks." #sym), aligned(K_THREAD_STACK_LEN(size))))
//! ```
//! `layout` refuses input stacks that break the rule, `check` refuses linked ones.
//!
//! **Object table.** The object-table tool links its table (or a zero placeholder of the same
//! size) as input sections `.kobject_table.rodata` and `.kobject_table.data`; the fragment
//! pads each to the exact reserved size given to `layout` (`--table-rodata`, `--table-data`)
//! and asserts the content fits.
//!
//! # Generated files (`layout --out-dir DIR`)
//! - `memory.ld`: the board's `MEMORY` block (regions `FLASH` and `RAM`).
//! - `user-memory.ld`: output sections `.app_smem` (every partition; in RAM, loaded from
//!   flash) and `.user_stacks` (NOLOAD), larger alignment first.
//! - `kobject-table.ld`: output sections `.kobject_table.rodata` (flash) and
//!   `.kobject_table.data` (RAM, loaded from flash).
//! - `memory-map.json`: the plan's memory map.
//!
//! A linker script uses them like this:
//! ```text
//! INCLUDE memory.ld
//! SECTIONS
//! {
//!     .text : { ... } > FLASH
//!     .rodata : { ... } > FLASH
//!     INCLUDE user-memory.ld       /* before the kernel's .data/.bss, first in RAM */
//!     .data : { ... } > RAM AT > FLASH
//!     .bss (NOLOAD) : { ... } > RAM
//!     .noinit (NOLOAD) : { ... } > RAM
//!     INCLUDE kobject-table.ld     /* after every kernel data section */
//! }
//! ```
//! (link with `-L DIR` so the INCLUDEs are found.)
//!
//! # Symbols defined
//! - `__app_smem_start`, `__app_smem_end`, `__app_smem_size`, `__app_smem_load`: the RTOS
//!   copies `__app_smem_size` bytes from `__app_smem_load` to `__app_smem_start` at boot
//!   (this also zeroes every partition's bss).
//! - per partition `P`: `__app_P_start`, `__app_P_end`, `__app_P_size` (the bytes the MPU
//!   covers), `__app_P_split` (start of its second MPU piece; `== __app_P_end` for one
//!   piece), `__app_P_bss_start`, `__app_P_bss_end`, `__app_P_bss_size`.
//! - `__user_stacks_start`, `__user_stacks_end`.
//! - `__kobject_table_rodata_{start,end,size}`, `__kobject_table_data_{start,end,size,load}`.
//!
//! **Programming a piece on PMSAv7** (`[a, b)` = `[start, split)` or `[split, end)`): take
//! the smallest power of two `R ≥ b - a` whose `R`-aligned window holds `[a, b)`; if
//! `b - a == R` use the whole region, else enable only the subregions (`R/8` bytes each)
//! from `a` to `b`. [`mpu::MpuModel::encode_piece`] applies exactly this rule.
//!
//! # What `check` reads
//! The symbols above, the data objects in `.user_stacks`, and the section headers: every
//! piece and stack meets the MPU model, nothing overlaps, no kernel section lies inside a
//! partition or stack, no object in `.app_smem` lies outside the partitions, no orphan
//! `.app_data.*`/`.app_bss.*` section, and the table sections come after every other section
//! of their memory.

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
