//! syscall-gen: the system-call layer of a C RTOS, generated from its headers.
//!
//! # Input
//! * C headers declaring `__syscall <ret> <name>(<params>);` (the RTOS defines `__syscall` as
//!   `static inline`), or `__syscall __nonblocking …` for a call that never waits (the RTOS
//!   defines `__nonblocking` as nothing), and annotating kernel-object types with
//!   `__kobject(kind[, api_member]) struct tag { … };`. They are read by a lexer and a
//!   declarator parser ([`c_parse`]), not regexes: comments, line breaks, qualifiers,
//!   multi-level pointers, tagged types, typedef names, function-pointer parameters and all
//!   keyword arithmetic types are understood. Refused with a diagnostic (file, line, column,
//!   the source line underlined): array and unnamed parameters, variadics and `va_list`,
//!   `()` parameter lists, a name declared twice (across all inputs), two inputs whose
//!   outputs would collide.
//! * Conditionals ([`preprocess`]): `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` are
//!   evaluated by the tool with the given `-D` defines plus object-like `#define`s met on the
//!   way, including those of headers reached by `#include` through the header's own directory
//!   or the `-I` directories (others, like `<stdint.h>`, are skipped). Undefined identifiers
//!   are 0; function-like macros in conditions and an active `#error` are errors.
//! * Rust files with `#[syscall]` (or `#[syscall(nonblocking)]`) items in `extern "C"` blocks
//!   ([`rust_input`]), same model, same IDs.
//!
//! # Output (in the output directory)
//! * `syscall_list.h`: `K_SYSCALL_<NAME>` IDs (sorted names, or kept by an ID lock file, see
//!   [`ids`]), `K_SYSCALL_BAD`, `K_SYSCALL_LIMIT`.
//! * `syscall_abi.h`: the ABI ([`Abi`]): word macros, handler type, one trap per count of
//!   register words (a call loads only the registers it uses), packing helpers,
//!   and the hooks the kernel provides:
//!   `int z_syscall_in_user_context(void)`, `int z_syscall_user_readable(const void *, size_t)`,
//!   `void z_syscall_fault(unsigned int reason)`.
//! * `syscall_dispatch.c`: `k_syscall_table`, `k_syscall_names` (for fault reports), the bad-ID handler, a weak alias to
//!   `z_syscall_not_configured` for every stub, and
//!   `uintptr_t z_syscall_dispatch(a0…a5, id, uintptr_t *ret_hi)`, which the kernel's trap
//!   handler calls with the caller's argument registers; it returns the low result word and
//!   stores the high one (both go back to the caller in r0/r1 on ARMv7-M). When some call is
//!   `__nonblocking`, also `k_syscall_nonblocking_table`: that call's stub under its ID and
//!   the kernel's `z_syscall_defer` under every other, so that a trap handler can run calls
//!   that never wait at once (one table load) and send the rest to its general path.
//! * Per input `syscalls/<path>.h` (wrappers, `#include`d at the end of the header: trap from
//!   user mode, `z_impl_<name>` from kernel mode; `-DK_SYSCALL_USER_ONLY` /
//!   `-DK_SYSCALL_KERNEL_ONLY` drop the run-time check) and `syscalls/<path>_mrsh.c` (stubs
//!   `z_mrsh_<name>` calling the hand-written `z_vrfy_<name>`). `<path>` is the input's path
//!   relative to its include directory. Compile a header's stubs with its implementation; a
//!   header whose stubs are not linked answers "not configured".
//! * `kobject_types.toml`: the type manifest kobject-scan reads: `[[type]]` entries from the
//!   annotations, sorted by tag; `[kernel]` from [`Builder::kernel_sections`],
//!   [`Builder::kernel_stack_sections`] and [`Builder::max_threads`] (kobject-scan requires
//!   `sections`).
//! * Optionally `syscalls.rs`: Rust user-space wrappers ([`emit_rust`]).
//!
//! Packing is decided by the C compiler's `sizeof`, never by type names: arguments are copied
//! byte-wise into words, 64-bit values take two words on 32-bit targets, results up to two
//! words return in two registers, and a `_Static_assert` refuses anything wider. Calls with
//! more words than argument registers pass the rest by address; the stub checks that memory
//! with `z_syscall_user_readable` and copies it once into kernel memory before any use.
//! Every stub path returns a value and sets the high result word.
//!
//! # Use
//! [`Builder`] from `build.rs` (prints `cargo:rerun-if-changed`, writes only changed files),
//! or the `syscall-gen` CLI with the same options (`--help`). Outputs are deterministic.

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
