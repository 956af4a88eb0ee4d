//! Running external programs with errors that say what was run and why it failed.

use std::process::{Command, Output, Stdio};

use anyhow::{bail, Context, Result};

/// A command for `program`, ready for arguments.
pub fn new(program: &str) -> Command {
    Command::new(program)
}

/// Runs `cmd` to completion with inherited stdout; fails with the command line and its stderr.
pub fn run(cmd: &mut Command) -> Result<()> {
    let output = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot start `{}`", display(cmd)))?;
    check(cmd, &output)
}

/// Runs `cmd` with inherited stdio and fails if it exits non-zero.
pub fn run_inherited(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("cannot start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

fn check(cmd: &Command, output: &Output) -> Result<()> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    bail!("`{}` failed ({})\n{}", display(cmd), output.status, stderr.trim_end())
}

/// The command line as a user would type it.
pub fn display(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}
