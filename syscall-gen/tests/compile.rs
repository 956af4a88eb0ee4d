//! Every generated C file compiles with arm-none-eabi-gcc (Cortex-M3, Thumb) and host gcc at
//! -Wall -Wextra -Werror, in user-only, kernel-only and mixed mode, with every wrapper called;
//! the width assertions refuse wide types; the Rust wrappers compile for the host.

mod common;

use std::fmt::Write;

use syscall_gen::model::Top;
use syscall_gen::{Abi, Generated};

const ARM_GCC: &str = "arm-none-eabi-gcc";
const MODES: [&str; 3] = ["", "-DK_SYSCALL_USER_ONLY", "-DK_SYSCALL_KERNEL_ONLY"];

/// A translation unit calling every wrapper, so their bodies are compiled, not just parsed.
fn caller_source(generated: &Generated) -> String {
    let mut out = String::from("#include <rtos/kernel.h>\n#include <drivers/uart.h>\n\n");
    for header in &generated.headers {
        for s in &header.syscalls {
            let _ = writeln!(out, "void use_{}(void);\nvoid use_{}(void)\n{{", s.name, s.name);
            for p in &s.params {
                out.push('\t');
                p.ty.write_decl(&mut out, Top::Unqualified, &|out: &mut String| out.push_str(&p.name));
                let _ = writeln!(out, ";\n\t__builtin_memset(&{n}, 0, sizeof({n}));", n = p.name);
            }
            let args: Vec<&str> = s.params.iter().map(|p| p.name.as_str()).collect();
            let _ = writeln!(out, "\t(void){}({});\n}}\n", s.name, args.join(", "));
        }
    }
    out
}

/// Compiles every generated C file and a caller of every wrapper in each mode; returns the
/// directory (alive while held) and the objects.
fn compile_all(compiler: &str, target_flags: &[&str], abi: Abi) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let generated = common::fixture_builder(abi).generate().unwrap();
    generated.write(dir.path()).unwrap();
    std::fs::write(dir.path().join("callers.c"), caller_source(&generated)).unwrap();
    let include = common::fixtures().join("include");
    let mut sources: Vec<String> =
        generated.files.iter().filter(|f| f.path.ends_with(".c")).map(|f| f.path.clone()).collect();
    sources.push("callers.c".into());
    let mut objects = Vec::new();
    for source in &sources {
        for (i, mode) in MODES.iter().enumerate() {
            let object = dir.path().join(format!("{}.{i}.o", source.replace('/', "_")));
            let mut args: Vec<&str> = target_flags.to_vec();
            args.extend(["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-c"]);
            if !mode.is_empty() {
                args.push(mode);
            }
            let (inc, out_inc, src, obj) = (
                format!("-I{}", include.display()),
                format!("-I{}", dir.path().display()),
                dir.path().join(source).display().to_string(),
                object.display().to_string(),
            );
            args.extend([inc.as_str(), out_inc.as_str(), src.as_str(), "-o", obj.as_str()]);
            let out = common::run_tool(compiler, &args);
            assert!(
                out.status.success(),
                "{compiler} {mode} {source} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            objects.push(object.display().to_string());
        }
    }
    (dir, objects)
}

#[test]
fn armv7m_outputs_compile_with_arm_none_eabi_gcc() {
    let (_dir, objects) = compile_all(ARM_GCC, &["-mcpu=cortex-m3", "-mthumb"], Abi::ARMV7M);
    // The user-only caller object traps with `svc 3`.
    let user_caller = objects.iter().find(|o| o.contains("callers.c.1.o")).unwrap();
    let out = common::run_tool("arm-none-eabi-objdump", &["-d", user_caller]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("svc\t3"), "no svc in the user-mode wrappers:\n{listing}");
    let kernel_caller = objects.iter().find(|o| o.contains("callers.c.2.o")).unwrap();
    let out = common::run_tool("arm-none-eabi-objdump", &["-d", kernel_caller]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("svc"), "kernel-only wrappers must not trap");
}

#[test]
fn arm_user_wrappers_compile_at_every_optimisation_level() {
    let dir = tempfile::tempdir().unwrap();
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    generated.write(dir.path()).unwrap();
    let callers = dir.path().join("callers.c");
    std::fs::write(&callers, caller_source(&generated)).unwrap();
    let (inc, out_inc, src) = (
        format!("-I{}", common::fixtures().join("include").display()),
        format!("-I{}", dir.path().display()),
        callers.display().to_string(),
    );
    for level in ["-O0", "-Os", "-O3"] {
        let object = dir.path().join(format!("callers{level}.o")).display().to_string();
        let args = [
            "-mcpu=cortex-m3",
            "-mthumb",
            "-std=c11",
            level,
            "-Wall",
            "-Wextra",
            "-Werror",
            "-DK_SYSCALL_USER_ONLY",
            "-c",
            &inc,
            &out_inc,
            &src,
            "-o",
            &object,
        ];
        let out = common::run_tool(ARM_GCC, &args);
        assert!(out.status.success(), "{level}:\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn host_outputs_compile_with_gcc_and_arm_none_eabi_gcc() {
    compile_all("gcc", &[], Abi::HOST);
    compile_all(ARM_GCC, &["-mcpu=cortex-m3", "-mthumb"], Abi::HOST);
}

fn compile_snippet(compiler: &str, flags: &[&str], header: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let include = dir.path().join("include");
    std::fs::create_dir_all(&include).unwrap();
    std::fs::write(include.join("wide.h"), header).unwrap();
    let out_dir = dir.path().join("out");
    syscall_gen::Builder::new()
        .abi(Abi::HOST)
        .include_dir(&include)
        .header(include.join("wide.h"))
        .out_dir(&out_dir)
        .run()
        .unwrap();
    let src = out_dir.join("syscalls/wide_mrsh.c");
    let mut args = flags.to_vec();
    let (i1, i2, s) =
        (format!("-I{}", include.display()), format!("-I{}", out_dir.display()), src.display().to_string());
    args.extend(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", &i1, &i2, &s]);
    let out = common::run_tool(compiler, &args);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const WIDE: &str = "#include <stdint.h>\n#define __syscall static inline\nstruct wide { uint64_t a, b, c; };\n__syscall int k_wide(struct wide w);\n#include <syscalls/wide.h>\n";
const WIDE_RET: &str = "#include <stdint.h>\n#define __syscall static inline\nstruct wide { uint64_t a, b, c; };\n__syscall struct wide k_wide_ret(int a);\n#include <syscalls/wide.h>\n";
const TWO_WORDS: &str = "#include <stdint.h>\n#define __syscall static inline\ntypedef struct { int64_t ticks; } k_timeout_t;\n__syscall uint64_t k_ok(k_timeout_t t, long long v, double d);\n#include <syscalls/wide.h>\n";

#[test]
fn wider_than_two_words_is_refused_at_compile_time() {
    for (compiler, flags) in [("gcc", vec![]), (ARM_GCC, vec!["-mcpu=cortex-m3", "-mthumb"])] {
        let (ok, stderr) = compile_snippet(compiler, &flags, WIDE);
        assert!(
            !ok && stderr.contains("z_mrsh_k_wide") && stderr.contains("argument w is wider than two words"),
            "{compiler}: {stderr}"
        );
        let (ok, stderr) = compile_snippet(compiler, &flags, WIDE_RET);
        assert!(
            !ok && stderr.contains("z_mrsh_k_wide_ret")
                && stderr.contains("the result is wider than two words"),
            "{compiler}: {stderr}"
        );
        let (ok, stderr) = compile_snippet(compiler, &flags, TWO_WORDS);
        assert!(ok, "{compiler}: {stderr}");
    }
}

#[test]
fn rust_wrappers_compile_for_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    let wrappers = &generated.file("syscalls.rs").unwrap().contents;
    // syn accepts the whole file, including the ARM variant that cannot be built here.
    syn::parse_file(wrappers).unwrap();
    std::fs::write(dir.path().join("syscalls.rs"), wrappers).unwrap();
    let lib = r#"
#![allow(non_camel_case_types, dead_code)]
pub struct k_sem; pub struct k_thread; pub struct k_thread_stack_element; pub struct k_msgq;
pub struct device; pub struct k_any_u;
#[repr(C)] #[derive(Clone, Copy)] pub struct k_timeout_t { pub ticks: i64 }
pub type k_thread_entry_t = Option<extern "C" fn(*mut core::ffi::c_void, *mut core::ffi::c_void, *mut core::ffi::c_void)>;
#[repr(C)] #[derive(Clone, Copy)] pub enum k_poll_mode { One, All }
include!("syscalls.rs");
"#;
    std::fs::write(dir.path().join("lib.rs"), lib).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let src = dir.path().join("lib.rs").display().to_string();
    let out_dir = dir.path().display().to_string();
    let out = common::run_tool(
        &rustc,
        &["--edition", "2021", "--crate-type", "lib", "-D", "warnings", "--out-dir", &out_dir, &src],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Compiles the Rust wrappers of `header` (as `wide.h`) with `prelude` in scope.
fn compile_rust_wrappers(header: &str, prelude: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wide.h"), header).unwrap();
    let generated = syscall_gen::Builder::new()
        .include_dir(dir.path())
        .header(dir.path().join("wide.h"))
        .rust_wrappers(true)
        .generate()
        .unwrap();
    std::fs::write(dir.path().join("syscalls.rs"), &generated.file("syscalls.rs").unwrap().contents).unwrap();
    let lib = format!("#![allow(non_camel_case_types, dead_code)]\n{prelude}\ninclude!(\"syscalls.rs\");\n");
    std::fs::write(dir.path().join("lib.rs"), lib).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let (src, out_dir) = (dir.path().join("lib.rs").display().to_string(), dir.path().display().to_string());
    let out =
        common::run_tool(&rustc, &["--edition", "2021", "--crate-type", "lib", "--out-dir", &out_dir, &src]);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn rust_wrappers_refuse_wide_types_and_escape_keywords() {
    let wide = "__syscall int k_wide(struct wide w);\n";
    let prelude = "#[repr(C)] pub struct wide { a: u64, b: u64, c: u64 }";
    let (ok, stderr) = compile_rust_wrappers(wide, prelude);
    assert!(!ok && stderr.contains("a system-call argument is wider than two words"), "{stderr}");
    let wide_ret = "__syscall struct wide k_wide_ret(void);\n";
    let (ok, stderr) = compile_rust_wrappers(wide_ret, prelude);
    assert!(!ok && stderr.contains("a system-call result is wider than two words"), "{stderr}");
    let keywords = "__syscall int k_kw(int type, unsigned ref, long self);\n";
    let (ok, stderr) = compile_rust_wrappers(keywords, "");
    assert!(ok, "{stderr}");
}
