//! Host tools the pipeline needs, and installing them on a fresh Debian or Ubuntu machine.

use std::path::Path;

use anyhow::{bail, Result};

use crate::cmd;

/// A program looked up on `PATH` and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    pub program: &'static str,
    pub package: &'static str,
}

pub const ARM_GCC: Tool = Tool { program: "arm-none-eabi-gcc", package: "gcc-arm-none-eabi" };
pub const QEMU: Tool = Tool { program: "qemu-system-arm", package: "qemu-system-arm" };
/// kobject-scan's tests compile their fixtures with a second compiler family…
pub const CLANG: Tool = Tool { program: "clang", package: "clang" };
/// …and for a big-endian target.
pub const PPC_GCC: Tool = Tool { program: "powerpc-linux-gnu-gcc", package: "gcc-powerpc-linux-gnu" };
/// The table benchmark compares against a gperf table, as Zephyr builds one.
pub const GPERF: Tool = Tool { program: "gperf", package: "gperf" };
pub const HOST_GCC: Tool = Tool { program: "gcc", package: "gcc" };

/// What building and booting the RTOS needs.
pub const IMAGE: &[Tool] = &[ARM_GCC, QEMU];
/// What the whole test suite needs.
pub const TESTS: &[Tool] = &[ARM_GCC, QEMU, CLANG, PPC_GCC, HOST_GCC];

/// Makes sure every tool is on `PATH`: installs the missing ones with apt-get when running as
/// root on Debian or Ubuntu, otherwise prints the exact command and fails.
pub fn ensure(tools: &[Tool]) -> Result<()> {
    let missing: Vec<Tool> = tools.iter().copied().filter(|t| !on_path(t.program)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    packages.dedup();
    let names: Vec<&str> = missing.iter().map(|t| t.program).collect();
    let install = format!("apt-get install -y {}", packages.join(" "));

    if !is_debian_like() {
        bail!(
            "missing tools: {}; install the packages that provide them ({}) with your system's package manager",
            names.join(", "),
            packages.join(", ")
        );
    }
    if !is_root() {
        bail!(
            "missing tools: {}; install them with:\n    sudo apt-get update && sudo {install}",
            names.join(", ")
        );
    }
    println!("==> installing {} (missing: {})", packages.join(" "), names.join(", "));
    cmd::run_inherited(cmd::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    cmd::run_inherited(
        cmd::new("apt-get").args(["install", "-y"]).args(&packages).env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let still: Vec<&str> = missing.iter().filter(|t| !on_path(t.program)).map(|t| t.program).collect();
    if !still.is_empty() {
        bail!("apt-get finished but these are still not on PATH: {}", still.join(", "));
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program))))
        .unwrap_or(false)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// The effective user id, from `/proc` so that no libc binding is needed.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

fn is_debian_like() -> bool {
    let Ok(release) = std::fs::read_to_string("/etc/os-release") else {
        return false;
    };
    release.lines().any(|line| {
        let Some((key, value)) = line.split_once('=') else {
            return false;
        };
        (key == "ID" || key == "ID_LIKE")
            && value.trim_matches('"').split_whitespace().any(|id| id == "debian" || id == "ubuntu")
    })
}
