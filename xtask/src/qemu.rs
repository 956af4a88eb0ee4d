//! Booting an image on QEMU's `mps2-an385` board with a timeout, forwarding and capturing the UART.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cmd;

/// How a guest run ended.
pub struct Outcome {
    /// The guest's exit code (semihosting `SYS_EXIT_EXTENDED`), or `None` if QEMU was killed
    /// at the timeout or died from a signal.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The UART output (QEMU's stdout) followed by QEMU's stderr (semihosting writes, errors).
    pub output: String,
}

/// Boots `elf`, echoing every UART line to our stdout as it arrives.
pub fn run(elf: &Path, timeout: Duration) -> Result<Outcome> {
    run_with_args(elf, &[], timeout)
}

/// [`run`], with `args` as the guest's semihosting command line (after the image's name).
pub fn run_with_args(elf: &Path, args: &[&str], timeout: Duration) -> Result<Outcome> {
    let mut semihosting = String::from("enable=on,target=native");
    if !args.is_empty() {
        semihosting.push_str(",arg=");
        semihosting.push_str(&elf.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()));
        for arg in args {
            semihosting.push_str(",arg=");
            semihosting.push_str(arg);
        }
    }
    let mut qemu = cmd::new("qemu-system-arm");
    qemu.args(["-M", "mps2-an385", "-display", "none", "-monitor", "none", "-serial", "stdio"])
        .args(["-semihosting-config", &semihosting])
        // One instruction per virtual nanosecond: tick counts are the same on every machine.
        .args(["-icount", "shift=0,sleep=off"])
        .arg("-kernel")
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = qemu.spawn().with_context(|| format!("cannot start `{}`", cmd::display(&qemu)))?;

    let stdout = child.stdout.take().context("qemu stdout")?;
    let mut stderr = child.stderr.take().context("qemu stderr")?;
    let (tx, rx) = mpsc::channel();
    let echo = thread::spawn(move || {
        let mut out = std::io::stdout();
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(mut line) = line else { break };
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let _ = writeln!(out, "{text}");
            let _ = tx.send(text);
        }
    });
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let (status, timed_out) = wait_with_timeout(&mut child, timeout)?;
    let _ = echo.join();
    let mut output: Vec<String> = rx.try_iter().collect();
    let stderr_text = errors.join().unwrap_or_default();
    if !stderr_text.is_empty() {
        eprint!("{stderr_text}");
        output.extend(stderr_text.lines().map(str::to_owned));
    }
    Ok(Outcome { exit_code: status, timed_out, output: output.join("\n") })
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<(Option<i32>, bool)> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status.code(), false));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((None, true));
        }
        thread::sleep(Duration::from_millis(10));
    }
}
