//! syscall-gen: the system-call layer of a C RTOS, generated from its headers.
//!
//! Reads `__syscall <ret> <name>(<params>);` prototypes from C headers (a real declarator
//! parser over lexed, conditionally preprocessed C — see [`preprocess`] for how `#if` is
//! evaluated) or `#[syscall]` items in Rust `extern "C"` blocks ([`rust_input`]), plus
//! `__kobject(kind[, api_member]) struct tag { … };` annotations. It writes:
//!
//! * `syscall_list.h`: `K_SYSCALL_<NAME>` IDs, `K_SYSCALL_BAD`, `K_SYSCALL_LIMIT`;
//! * `syscall_abi.h`: word macros, handler type, kernel hooks, the trap of the chosen ABI;
//! * `syscall_dispatch.c`: the table, bad-ID and weak "not configured" handlers, dispatcher;
//! * per header `syscalls/<path>.h` (wrappers) and `syscalls/<path>_mrsh.c` (stubs calling
//!   `z_vrfy_<name>`), named by the header's path relative to its include directory;
//! * `kobject_types.toml`: the type manifest kobject-scan reads;
//! * optionally `syscalls.rs`: Rust user-space wrappers.
//!
//! Use [`Builder`] from `build.rs`, or the `syscall-gen` CLI with the same options.

pub mod abi;
mod builder;
pub mod c_parse;
pub mod duplicates;
pub mod emit_c;
pub mod emit_manifest;
pub mod emit_rust;
pub mod ids;
pub mod lexer;
pub mod model;
pub mod preprocess;
pub mod rust_input;
pub mod source;

use std::path::PathBuf;

pub use abi::Abi;
pub use builder::{Builder, Generated, OutputFile, WriteReport};
pub use source::SourceError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refusals and syntax errors, each at a place in an input file.
    #[error("{}", render(.0))]
    Source(Vec<SourceError>),
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("ID lock file {path}: {message}", path = .path.display())]
    Lock { path: PathBuf, message: String },
    #[error("{first} and {second} would both generate {output}: give an include directory (-I) that keys them by distinct paths", first = .first.display(), second = .second.display())]
    OutputCollision { first: PathBuf, second: PathBuf, output: String },
    #[error("{0}")]
    Config(String),
}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        Error::Source(vec![e])
    }
}

fn render(errors: &[SourceError]) -> String {
    errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n\n")
}
