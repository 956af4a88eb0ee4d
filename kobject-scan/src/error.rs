//! Errors: each names where the problem is (file, section, unit and DIE offset) and what it is.

use std::path::PathBuf;

/// Where in the DWARF a problem was found. Offsets are section offsets, printed in hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DieLocation {
    /// `.debug_info` or `.debug_types`.
    pub section: &'static str,
    /// Offset of the unit header in `section`.
    pub unit: u64,
    /// Offset of the DIE in `section`, when the problem concerns one DIE.
    pub die: Option<u64>,
}

impl std::fmt::Display for DieLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} unit at {:#x}", self.section, self.unit)?;
        if let Some(die) = self.die {
            write!(f, ", DIE at {die:#x}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    InFile { path: PathBuf, source: Box<Error> },
    #[error("not a readable ELF image: {0}")]
    Elf(#[from] object::read::Error),
    #[error("not an ELF image (found another object file format)")]
    NotElf,
    #[error("section {section}: {message}")]
    Section { section: String, message: String },
    #[error("no DWARF: the image has no .debug_info section (compile with -g)")]
    NoDwarf,
    #[error("{section}: unreadable unit header at {offset:#x}: {source}")]
    UnitHeader { section: &'static str, offset: u64, source: gimli::Error },
    #[error("{at}: {source}")]
    Dwarf { at: DieLocation, source: gimli::Error },
    #[error("{at}: {message}")]
    Unsupported { at: DieLocation, message: String },
    #[error("{count} threads found but the manifest allows at most {max} (kernel.max_threads): {list}")]
    TooManyThreads { count: usize, max: u32, list: String },
    #[error("more than {limit} kernel-object candidates; refusing to enumerate further (at {at})")]
    TooManyCandidates { limit: usize, at: DieLocation },
    /// A broken invariant of the scanner itself: reported rather than trusted, as a wrong
    /// inventory would be a wrong object table.
    #[error("internal error (please report): {0}")]
    Internal(&'static str),
}

impl Error {
    /// Attach the file the error came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        Error::InFile { path: path.into(), source: Box::new(self) }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Results of the DWARF readers: their errors boxed, so that a result is two words wide
/// and returned in registers through the hot, deeply nested reading code.
pub type Boxed<T> = std::result::Result<T, Box<Error>>;

impl From<Box<Error>> for Error {
    fn from(boxed: Box<Error>) -> Error {
        *boxed
    }
}
