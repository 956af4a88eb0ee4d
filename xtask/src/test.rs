//! `cargo xtask test`: lint, the workspace's Rust tests and the in-emulator tests, one summary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::{cmd, qemu, rtos, stage, tools};

/// Passed and failed checks across every stage.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    /// One line per failure, repeated before the summary so it is not lost in the log.
    pub failures: Vec<String>,
}

impl Tally {
    fn pass(&mut self) {
        self.passed += 1;
    }

    fn fail(&mut self, what: impl Into<String>) {
        self.failed += 1;
        self.failures.push(what.into());
    }

    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.failures.extend(other.failures);
    }
}

/// A guest test image gets this long (wall time) before it counts as hung.
const GUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn run_all(root: &Path) -> Result<Tally> {
    stage("install missing tools", || tools::ensure(tools::TESTS))?;
    let mut tally = Tally::default();
    tally.add(stage("lint (rustfmt, clippy)", || lint(root))?);
    tally.add(stage("host tests (cargo test --workspace)", || cargo_tests(root))?);
    tally.add(stage("guest tests (QEMU mps2-an385)", || guest_tests(root, rtos::TableMode::Patch))?);
    // The relinked table has its own lookup (constants compiled in): the kernel must work on it too.
    tally.add(stage("guest tests, relinked object table (QEMU mps2-an385)", || {
        guest_tests(root, rtos::TableMode::Relink)
    })?);
    tally.add(stage("demo boots (QEMU mps2-an385)", || image_exits_0(root, rtos::Image::Demo))?);
    tally
        .add(stage("kernel bench image runs (QEMU mps2-an385)", || image_exits_0(root, rtos::Image::Bench))?);
    tally.add(stage("object table: patch and relink modes agree", || table_modes_agree(root))?);
    tally.add(stage("kernel faults in system calls stop the system (QEMU mps2-an385)", || {
        kernel_faults_stop(root)
    })?);
    Ok(tally)
}

/// The fatal image's scenarios (`examples/rtos/apps/fatal`): each makes one system call fail
/// inside the kernel, which must stop with status 255 and a report with these lines.
const FATAL_SCENARIOS: [(&str, &[&str]); 3] = [
    (
        "fault_in_nonblocking_call",
        &["*** HardFault in kernel context of 'victim'", "in system call fatal_read_now"],
    ),
    ("fault_in_blocking_call", &["*** BusFault in kernel context of 'victim'", "in system call fatal_read"]),
    (
        "privileged_stack_overflow",
        &[
            "*** MemManage fault in kernel context of 'victim'",
            "in system call fatal_recurse",
            "privileged stack overflow: the guard under it was hit",
        ],
    ),
];

/// Exit status of the RTOS when the kernel itself faulted.
const EXIT_KERNEL_FAULT: i32 = 255;

fn kernel_faults_stop(root: &Path) -> Result<Tally> {
    let built = rtos::build(root, rtos::Image::Fatal, rtos::TableMode::Patch)?;
    let mut tally = Tally::default();
    for (scenario, expected) in FATAL_SCENARIOS {
        let outcome = qemu::run_with_args(&built.elf, &[scenario], GUEST_TIMEOUT)?;
        let lines: Vec<&str> = outcome.output.lines().map(str::trim).collect();
        let missing: Vec<&str> = expected
            .iter()
            .chain(&["*** stopping the system"])
            .filter(|e| !lines.contains(e))
            .copied()
            .collect();
        if outcome.exit_code != Some(EXIT_KERNEL_FAULT) {
            tally.fail(format!(
                "fatal {scenario}: exit status {:?}{}, expected {EXIT_KERNEL_FAULT}",
                outcome.exit_code,
                if outcome.timed_out { " (timed out)" } else { "" }
            ));
        } else if !missing.is_empty() {
            tally.fail(format!("fatal {scenario}: the report lacks {missing:?}"));
        } else if outcome.output.contains("fatal: returned") {
            tally.fail(format!("fatal {scenario}: the system call returned to the thread"));
        } else {
            tally.pass();
        }
    }
    Ok(tally)
}

fn lint(root: &Path) -> Result<Tally> {
    let mut tally = Tally::default();
    let checks: [(&str, &[&str]); 2] = [
        ("rustfmt", &["fmt", "--all", "--check"]),
        ("clippy", &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]),
    ];
    for (name, args) in checks {
        let status = cmd::new("cargo").args(args).current_dir(root).status().context("cannot start cargo")?;
        if status.success() {
            tally.pass();
        } else {
            tally.fail(format!("lint: {name} reported problems"));
        }
    }
    Ok(tally)
}

fn cargo_tests(root: &Path) -> Result<Tally> {
    let mut child = cmd::new("cargo")
        .args(["test", "--workspace", "--no-fail-fast", "--color", "never"])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start cargo test")?;
    let stdout = child.stdout.take().context("cargo test stdout")?;
    let mut log = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        log.push(line);
    }
    let status = child.wait()?;
    let mut tally = parse_cargo_test(&log);
    if !status.success() && tally.failed == 0 {
        tally.fail(format!("cargo test exited with {status} without a failing test (build error?)"));
    }
    Ok(tally)
}

/// Sums libtest's `test result:` lines and collects the names of failed tests.
pub fn parse_cargo_test(log: &[String]) -> Tally {
    let mut tally = Tally::default();
    for line in log {
        if let Some(name) = line.strip_prefix("test ").and_then(|l| l.strip_suffix(" ... FAILED")) {
            tally.failures.push(format!("host: {name}"));
        }
        let Some(result) = line.strip_prefix("test result: ") else { continue };
        for part in result.split(['.', ';']) {
            let mut words = part.split_whitespace();
            let (Some(count), Some(kind)) = (words.next(), words.next()) else { continue };
            let Ok(count) = count.parse::<u64>() else { continue };
            match kind {
                "passed" => tally.passed += count,
                "failed" => tally.failed += count,
                _ => {}
            }
        }
    }
    tally
}

fn guest_tests(root: &Path, mode: rtos::TableMode) -> Result<Tally> {
    let built = rtos::build(root, rtos::Image::Tests, mode)?;
    let outcome = qemu::run(&built.elf, GUEST_TIMEOUT)?;
    Ok(judge_guest(&outcome))
}

/// Reads the guest's `PASS`/`FAIL`/`SUMMARY` protocol and cross-checks it with the exit code.
pub fn judge_guest(outcome: &qemu::Outcome) -> Tally {
    let mut tally = Tally::default();
    let mut summary = None;
    for line in outcome.output.lines() {
        if let Some(name) = line.strip_prefix("PASS ") {
            let _ = name;
            tally.pass();
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            tally.fail(format!("guest: {rest}"));
        } else if let Some(rest) = line.strip_prefix("SUMMARY ") {
            summary = parse_summary(rest);
        }
    }
    if outcome.timed_out {
        tally.fail("guest: the test image did not finish before the timeout");
        return tally;
    }
    match summary {
        None => tally.fail("guest: the test image ended without a SUMMARY line (crash?)"),
        Some((passed, failed)) if (passed, failed) != (tally.passed, tally.failed) => tally.fail(format!(
            "guest: SUMMARY says {passed} passed, {failed} failed but the log shows {} and {}",
            tally.passed, tally.failed
        )),
        Some((_, failed)) if outcome.exit_code != Some(failed as i32) => tally.fail(format!(
            "guest: exit status {:?} does not equal the {failed} failures reported",
            outcome.exit_code
        )),
        Some(_) => {}
    }
    tally
}

fn parse_summary(text: &str) -> Option<(u64, u64)> {
    let (passed, failed) = text.split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.trim().parse().ok()?, failed.trim().parse().ok()?))
}

/// Boots `image`, which passes by exiting with status 0.
fn image_exits_0(root: &Path, image: rtos::Image) -> Result<Tally> {
    let built = rtos::build(root, image, rtos::TableMode::Patch)?;
    let outcome = qemu::run(&built.elf, GUEST_TIMEOUT)?;
    let mut tally = Tally::default();
    if outcome.exit_code == Some(0) {
        tally.pass();
    } else {
        tally.fail(format!(
            "{}: expected exit status 0, got {:?}{}",
            image.name(),
            outcome.exit_code,
            if outcome.timed_out { " (timed out)" } else { "" }
        ));
    }
    Ok(tally)
}

/// Both ways of filling the object table must give the same table bytes at the same place, and
/// the same lookup: the generated Thumb-2 `k_object_find`, byte for byte at the same address.
fn table_modes_agree(root: &Path) -> Result<Tally> {
    use kobject_scan::table::patch;
    type Part = (u64, Vec<u8>);
    let parts = |elf: &Path| -> Result<(Part, Part)> {
        use object::{Object as _, ObjectSection as _};
        let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
        let file = object::File::parse(&*bytes)?;
        let rom = file
            .section_by_name(kobject_scan::table::emit_c::ROM_SECTION)
            .with_context(|| format!("{}: no object table section", elf.display()))?;
        let site = patch::locate_lookup(&bytes)?
            .with_context(|| format!("{}: k_object_find is not the generated lookup", elf.display()))?;
        let code = bytes[site.offset as usize..(site.offset + site.size) as usize].to_vec();
        Ok(((rom.address(), rom.data()?.to_vec()), (site.address, code)))
    };
    let mut tally = Tally::default();
    for image in [rtos::Image::Demo, rtos::Image::Tests] {
        let (patched_table, patched_code) = parts(&rtos::build(root, image, rtos::TableMode::Patch)?.elf)?;
        let (relinked_table, relinked_code) = parts(&rtos::build(root, image, rtos::TableMode::Relink)?.elf)?;
        for (what, agree) in
            [("table", patched_table == relinked_table), ("lookup", patched_code == relinked_code)]
        {
            if agree {
                tally.pass();
            } else {
                tally.fail(format!(
                    "object table: the {} image's {what} differs between patch and relink mode",
                    image.name()
                ));
            }
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn cargo_results_are_summed_and_failures_named() {
        let log = lines(
            "test a::b ... ok\ntest a::c ... FAILED\n\
             test result: FAILED. 1 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             test result: ok. 7 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s",
        );
        let tally = parse_cargo_test(&log);
        assert_eq!((tally.passed, tally.failed), (8, 1));
        assert_eq!(tally.failures, vec!["host: a::c".to_owned()]);
    }

    fn outcome(text: &str, exit_code: Option<i32>) -> qemu::Outcome {
        qemu::Outcome { exit_code, timed_out: false, output: text.to_owned() }
    }

    #[test]
    fn guest_protocol_agrees_with_exit_code() {
        let log = "boot\nPASS sem_basic\nFAIL mutex_pi: priority 3, expected 1\nSUMMARY 1 passed, 1 failed";
        let tally = judge_guest(&outcome(log, Some(1)));
        assert_eq!((tally.passed, tally.failed), (1, 1));
        assert_eq!(tally.failures, vec!["guest: mutex_pi: priority 3, expected 1".to_owned()]);
    }

    #[test]
    fn guest_disagreements_are_failures() {
        let crashed = judge_guest(&outcome("PASS a\nPASS b", None));
        assert_eq!((crashed.passed, crashed.failed), (2, 1));
        let wrong_exit = judge_guest(&outcome("PASS a\nSUMMARY 1 passed, 0 failed", Some(3)));
        assert_eq!(wrong_exit.failed, 1);
        let wrong_count = judge_guest(&outcome("PASS a\nSUMMARY 2 passed, 0 failed", Some(0)));
        assert_eq!(wrong_count.failed, 1);
        let timed_out =
            judge_guest(&qemu::Outcome { exit_code: None, timed_out: true, output: "PASS a".into() });
        assert_eq!(timed_out.failed, 1);
    }
}
