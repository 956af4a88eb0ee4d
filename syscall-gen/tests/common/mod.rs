//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use syscall_gen::c_parse::{self, Parsed};
use syscall_gen::duplicates::{self, Declarations};
use syscall_gen::preprocess::Preprocessor;
use syscall_gen::source::SourceFile;
use syscall_gen::{Error, SourceError};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Preprocesses and parses header text as `name`.
pub fn parse_with(name: &str, text: &str, defines: &[&str]) -> Result<Parsed, Vec<SourceError>> {
    let dirs = vec![fixtures().join("include")];
    let defines: Vec<String> = defines.iter().map(|d| d.to_string()).collect();
    let mut pp = Preprocessor::new(&dirs, &defines).expect("valid defines");
    let input = match pp.run_source(SourceFile::new(Path::new(name), text.to_string())) {
        Ok(input) => input,
        Err(Error::Source(errors)) => return Err(errors),
        Err(e) => panic!("unexpected error: {e}"),
    };
    checked(&input)
}

/// Parses, then looks for names declared twice within the one file.
fn checked(input: &syscall_gen::preprocess::Preprocessed) -> Result<Parsed, Vec<SourceError>> {
    let parsed = c_parse::parse(input)?;
    let twice = duplicates::check([Declarations {
        source: &input.source,
        syscalls: &parsed.syscalls,
        kobjects: &parsed.kobjects,
    }]);
    if twice.is_empty() {
        Ok(parsed)
    } else {
        Err(twice)
    }
}

/// Preprocesses and parses a header file (its `#include`s resolve relative to it).
pub fn parse_file(path: &Path, defines: &[&str]) -> Result<Parsed, Vec<SourceError>> {
    let dirs = vec![fixtures().join("include")];
    let defines: Vec<String> = defines.iter().map(|d| d.to_string()).collect();
    let mut pp = Preprocessor::new(&dirs, &defines).expect("valid defines");
    match pp.run(path) {
        Ok(input) => checked(&input),
        Err(Error::Source(errors)) => Err(errors),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

pub fn parse(text: &str) -> Parsed {
    parse_with("test.h", text, &[]).unwrap_or_else(|e| panic!("refused:\n{}", render(&e)))
}

/// The one error `text` must produce.
pub fn refuse(text: &str) -> SourceError {
    match parse_with("test.h", text, &[]) {
        Ok(parsed) => panic!("accepted: {parsed:?}"),
        Err(mut errors) => {
            assert_eq!(errors.len(), 1, "{}", render(&errors));
            errors.remove(0)
        }
    }
}

pub fn render(errors: &[SourceError]) -> String {
    errors.iter().map(|e| e.rendered.clone()).collect::<Vec<_>>().join("\n")
}

/// Runs a required tool; a missing tool fails the test with a clear message.
pub fn run_tool(program: &str, args: &[&str]) -> std::process::Output {
    match Command::new(program).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("`{program}` is required by this test and could not be run: {e}"),
    }
}

/// The fixture headers through the Builder, with the given ABI.
pub fn fixture_builder(abi: syscall_gen::Abi) -> syscall_gen::Builder {
    let include = fixtures().join("include");
    syscall_gen::Builder::new()
        .abi(abi)
        .include_dir(&include)
        .header(include.join("rtos/kernel.h"))
        .header(include.join("drivers/uart.h"))
        .define("CONFIG_FROM_COMMAND_LINE")
        .rust_wrappers(true)
        .kernel_sections([".data", ".bss", ".noinit", ".kobj*"])
        .max_threads(32)
}
