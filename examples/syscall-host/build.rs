//! Generates the system-call layer with syscall-gen's Builder (host ABI) and compiles it with
//! a host "kernel" whose trap is a plain function call.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("syscalls_gen");
    let include = manifest.join("include");

    let (generated, _) = syscall_gen::Builder::new()
        .abi(syscall_gen::Abi::HOST)
        .include_dir(&include)
        .header(include.join("host/calls.h"))
        .header(include.join("host/missing.h"))
        .rust_input(manifest.join("rust-syscalls/extra.rs"))
        .rust_wrappers(true)
        .out_dir(&out)
        .cargo_metadata(true)
        .run()
        .unwrap_or_else(|e| panic!("syscall-gen failed:\n{e}"));

    // Stubs of every header except missing.h: its implementation is "configured out", so its
    // table entry must fall back to the weak "not configured" handler.
    let stubs: Vec<PathBuf> = generated
        .files
        .iter()
        .filter(|f| f.path.ends_with("_mrsh.c") && !f.path.contains("missing"))
        .map(|f| out.join(&f.path))
        .collect();

    let base = || {
        let mut build = cc::Build::new();
        build
            .include(&include)
            .include(&out)
            .std("c11")
            .warnings(true)
            .extra_warnings(true)
            .warnings_into_errors(true);
        build
    };
    // Whole archive: the dispatch table's weak aliases must not hide the strong stubs.
    base()
        .file(out.join("syscall_dispatch.c"))
        .files(&stubs)
        .file(manifest.join("c/kernel.c"))
        .file(manifest.join("c/mixed_caller.c"))
        .link_lib_modifier("+whole-archive")
        .compile("syscall_host_kernel");
    base().define("K_SYSCALL_USER_ONLY", None).file(manifest.join("c/user.c")).compile("syscall_host_user");
    base()
        .define("K_SYSCALL_KERNEL_ONLY", None)
        .file(manifest.join("c/kernel_caller.c"))
        .compile("syscall_host_kernel_caller");
    for dir in ["c", "include", "rust-syscalls"] {
        println!("cargo:rerun-if-changed={}", manifest.join(dir).display());
    }
}
