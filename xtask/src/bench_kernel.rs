//! `cargo xtask bench kernel`: instructions per system call, semaphore operation and context
//! switch, from user threads and from kernel threads, measured by the bench image itself
//! under QEMU with `-icount shift=0` (see `examples/rtos/apps/bench/main.c`).

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::{qemu, rtos};

/// One operation's costs in instructions.
struct Row {
    name: String,
    user: f64,
    kernel: f64,
    /// From a kernel thread with user mode compiled out of the wrappers.
    kernel_only: Option<f64>,
}

pub fn run(root: &Path) -> Result<()> {
    let built = rtos::build(root, rtos::Image::Bench, rtos::TableMode::Patch)?;
    let outcome = qemu::run(&built.elf, Duration::from_secs(60))?;
    if outcome.exit_code != Some(0) {
        bail!("the bench image failed (exit status {:?})", outcome.exit_code);
    }
    let rows = parse(&outcome.output)?;
    println!("\ninstructions per operation (QEMU -icount shift=0, N vs 2N iterations)");
    println!(
        "{:<16} {:>10} {:>10} {:>14} {:>12} {:>14}",
        "operation", "user", "kernel", "kernel, no UM", "user/kernel", "kernel-mode tax"
    );
    for row in &rows {
        let tax = row.kernel_only.map_or_else(|| "-".to_owned(), |base| format!("{:.1}", row.kernel - base));
        println!(
            "{:<16} {:>10.1} {:>10.1} {:>14} {:>11.2}x {:>14}",
            row.name,
            row.user,
            row.kernel,
            row.kernel_only.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}")),
            row.user / row.kernel,
            tax
        );
    }
    println!("targets: a user-mode k_sem_give in at most 100 instructions; at most 5 instructions of");
    println!("user-mode tax on a call from a kernel thread (kernel - kernel with user mode compiled out)");
    Ok(())
}

/// Reads the image's `BENCH <name> <user> <kernel> <kernel-only>` lines (hundredths).
fn parse(output: &str) -> Result<Vec<Row>> {
    let hundredths = |field: &str| -> Result<Option<f64>> {
        let value: i64 = field.parse().with_context(|| format!("bad BENCH field `{field}`"))?;
        Ok((value >= 0).then(|| value as f64 / 100.0))
    };
    let mut rows = Vec::new();
    for line in output.lines().filter_map(|l| l.strip_prefix("BENCH ")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, user, kernel, kernel_only] = fields[..] else {
            bail!("malformed BENCH line `{line}`");
        };
        rows.push(Row {
            name: name.to_owned(),
            user: hundredths(user)?.context("no user-mode figure")?,
            kernel: hundredths(kernel)?.context("no kernel-mode figure")?,
            kernel_only: hundredths(kernel_only)?,
        });
    }
    if rows.is_empty() {
        bail!("the bench image printed no BENCH lines");
    }
    Ok(rows)
}
