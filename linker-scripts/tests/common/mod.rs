//! Compiles and links the C fixtures with the real cross toolchain.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Runs a tool, failing the test with its output when it is missing or fails.
pub fn run(tool: &str, args: &[&str], dir: &Path) -> String {
    let output = Command::new(tool).args(args).current_dir(dir).output().unwrap_or_else(|err| {
        panic!("`{tool}` is needed by this test and could not be run ({err}); install gcc-arm-none-eabi")
    });
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "`{tool} {}` failed:\n{stderr}", args.join(" "));
    stderr
}

/// Compiles a fixture (or any C file) for Cortex-M3 into `dir`, returning the object path.
pub fn compile(source: &Path, dir: &Path) -> PathBuf {
    let stem = source.file_stem().unwrap().to_string_lossy();
    let object = dir.join(format!("{stem}.o"));
    run(
        "arm-none-eabi-gcc",
        &[
            "-mcpu=cortex-m3",
            "-mthumb",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            FIXTURES,
            "-c",
            source.to_str().unwrap(),
            "-o",
            object.to_str().unwrap(),
        ],
        dir,
    );
    object
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

/// Links `inputs` with `script`, looking for INCLUDEd fragments in `include_dir`.
pub fn link(script: &Path, include_dir: &Path, inputs: &[PathBuf], out: &Path) {
    let mut args = vec!["-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-nostartfiles", "-Wl,--fatal-warnings"];
    let lib_dir = format!("-L{}", include_dir.display());
    let script_arg = format!("-T{}", script.display());
    args.push(&lib_dir);
    args.push(&script_arg);
    args.extend(inputs.iter().map(|i| i.to_str().unwrap()));
    args.extend(["-o", out.to_str().unwrap()]);
    run("arm-none-eabi-gcc", &args, include_dir);
}
