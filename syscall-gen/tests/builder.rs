//! The Builder and the CLI: outputs keyed by path, writes only changed files, rerun lines,
//! lock files, collisions, structured errors.

mod common;

use std::path::Path;
use std::process::Command;

use syscall_gen::{Abi, Builder, Error};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn second_run_rewrites_nothing_and_a_change_rewrites_only_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("include");
    write(&inc.join("a/one.h"), "__syscall int one(int x);\n");
    write(&inc.join("b/two.h"), "__syscall int two(int x);\n");
    let out = dir.path().join("out");
    let builder = Builder::new()
        .include_dir(&inc)
        .header(inc.join("a/one.h"))
        .header(inc.join("b/two.h"))
        .out_dir(&out);
    let (generated, first) = builder.run().unwrap();
    assert_eq!(first.written.len(), generated.files.len());
    assert!(out.join("syscalls/a/one.h").is_file() && out.join("syscalls/b/two_mrsh.c").is_file());
    let (_, second) = builder.run().unwrap();
    assert!(second.written.is_empty(), "{:?}", second.written);
    // A changed prototype in one header keeps IDs, so only that header's outputs change.
    write(&inc.join("b/two.h"), "__syscall int two(long x);\n");
    let (_, third) = builder.run().unwrap();
    let mut written: Vec<String> =
        third.written.iter().map(|p| p.strip_prefix(&out).unwrap().display().to_string()).collect();
    written.sort();
    assert_eq!(written, ["syscalls/b/two.h", "syscalls/b/two_mrsh.c"]);
}

#[test]
fn same_basename_in_two_directories_is_keyed_by_path_and_collisions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("x"), dir.path().join("y"));
    write(&x.join("calls.h"), "__syscall int from_x(void);\n");
    write(&y.join("calls.h"), "__syscall int from_y(void);\n");
    // Relative to a common include directory: distinct keys x/calls.h and y/calls.h.
    let generated = Builder::new()
        .include_dir(dir.path())
        .header(x.join("calls.h"))
        .header(y.join("calls.h"))
        .generate()
        .unwrap();
    assert!(generated.file("syscalls/x/calls.h").is_some() && generated.file("syscalls/y/calls.h").is_some());
    // Each relative to its own include directory: both are `calls.h`.
    let err = Builder::new()
        .include_dir(&x)
        .include_dir(&y)
        .header(x.join("calls.h"))
        .header(y.join("calls.h"))
        .generate()
        .unwrap_err();
    match err {
        Error::OutputCollision { first, second, output } => {
            assert_eq!(
                (first, second, output.as_str()),
                (x.join("calls.h"), y.join("calls.h"), "syscalls/calls.h")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_syscall_declared_in_two_headers_is_refused_at_the_second() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.h"), "__syscall int dup(void);\n");
    write(&dir.path().join("b.h"), "\n\n__syscall int dup(void);\n");
    let err = Builder::new()
        .include_dir(dir.path())
        .header(dir.path().join("a.h"))
        .header(dir.path().join("b.h"))
        .generate()
        .unwrap_err();
    let Error::Source(errors) = err else { panic!("{err:?}") };
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].file.clone(), errors[0].line, errors[0].column), (dir.path().join("b.h"), 3, 15));
    assert!(errors[0].help.as_ref().unwrap().contains("a.h:1:15"));
}

#[test]
fn errors_from_several_headers_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.h"), "__syscall int a(int v[]);\n");
    write(&dir.path().join("b.h"), "__syscall int b(...);\n");
    let err =
        Builder::new().header(dir.path().join("a.h")).header(dir.path().join("b.h")).generate().unwrap_err();
    let Error::Source(errors) = &err else { panic!("{err:?}") };
    assert_eq!(errors.len(), 2);
    let text = err.to_string();
    assert!(text.contains("a.h:1:22") && text.contains("b.h:1:17"), "{text}");
}

#[test]
fn missing_inputs_and_output_dir_are_structured_errors() {
    let err = Builder::new().header("/nonexistent/x.h").generate().unwrap_err();
    assert!(matches!(&err, Error::Io { path, .. } if path == Path::new("/nonexistent/x.h")), "{err:?}");
    assert!(matches!(Builder::new().run(), Err(Error::Config(_))));
}

#[test]
fn lock_file_is_written_and_keeps_ids_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let header = dir.path().join("calls.h");
    let lock = dir.path().join("ids.lock");
    let out = dir.path().join("out");
    write(&header, "__syscall int m(void);\n__syscall int z(void);\n");
    let builder = || Builder::new().header(&header).id_lock(&lock).out_dir(&out);
    builder().run().unwrap();
    assert!(std::fs::read_to_string(&lock).unwrap().contains("m = 0"));
    write(&header, "__syscall int a(void);\n__syscall int z(void);\n");
    let (generated, _) = builder().run().unwrap();
    assert_eq!(generated.ids.live.get("z"), Some(&1));
    assert_eq!(generated.ids.live.get("a"), Some(&2));
    assert_eq!(generated.ids.retired.get("m"), Some(&0));
    let list = &generated.file("syscall_list.h").unwrap().contents;
    assert!(list.contains("#define K_SYSCALL_A 2") && list.contains("retired, was m"), "{list}");
    let dispatch = &generated.file("syscall_dispatch.c").unwrap().contents;
    assert!(dispatch.contains("[0] = sg_bad_id, /* retired: m */"), "{dispatch}");
}

#[test]
fn inputs_include_every_file_read() {
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    let include = common::fixtures().join("include");
    for file in ["rtos/kernel.h", "rtos/config.h", "drivers/uart.h"] {
        assert!(generated.inputs.contains(&include.join(file)), "{file} missing from {:?}", generated.inputs);
    }
}

#[test]
fn cli_generates_the_same_files_as_the_builder() {
    let dir = tempfile::tempdir().unwrap();
    let include = common::fixtures().join("include");
    let out = Command::new(env!("CARGO_BIN_EXE_syscall-gen"))
        .arg("-I")
        .arg(&include)
        .arg(include.join("rtos/kernel.h"))
        .arg(include.join("drivers/uart.h"))
        .args(["-D", "CONFIG_FROM_COMMAND_LINE", "--rust", "--max-threads", "32"])
        .args(["--kernel-section", ".data", "--kernel-section", ".bss"])
        .args(["--kernel-section", ".noinit", "--kernel-section", ".kobj*", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    for file in &generated.files {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&file.path)).unwrap(),
            file.contents,
            "{}",
            file.path
        );
    }
}

#[test]
fn cli_reports_refusals_with_the_source_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let header = dir.path().join("bad.h");
    write(&header, "__syscall int k_bad(const char *fmt, va_list ap);\n");
    let out = Command::new(env!("CARGO_BIN_EXE_syscall-gen"))
        .arg(&header)
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.h:1:38"), "{stderr}");
    assert!(stderr.contains("__syscall int k_bad(const char *fmt, va_list ap);"), "{stderr}");
    assert!(stderr.contains("^^^^^^^"), "{stderr}");
    let out =
        Command::new(env!("CARGO_BIN_EXE_syscall-gen")).args(["--abi", "sparc", "-o", "x"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("armv7m, host"));
}
