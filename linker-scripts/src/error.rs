//! Errors: each names the place at fault (file, archive member, section, partition) and the
//! reason.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Bad link input or image: `place` is the file, member, section or symbol.
    #[error("{place}: {reason}")]
    Input { place: String, reason: String },
    /// A partition or stack that cannot be laid out.
    #[error("{subject}: {reason}")]
    Layout { subject: String, reason: String },
}

impl Error {
    pub(crate) fn input(place: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Input { place: place.into(), reason: reason.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
