//! `#[syscall]` items in Rust `extern "C"` blocks: same model, same IDs as C.

use std::path::Path;

use syscall_gen::model::Specifier;
use syscall_gen::rust_input::parse;
use syscall_gen::source::SourceFile;
use syscall_gen::{Builder, Error};

fn read(text: &str) -> Result<Vec<syscall_gen::model::Syscall>, Error> {
    parse(&SourceFile::new(Path::new("calls.rs"), text.to_string()))
}

#[test]
fn maps_rust_types_to_the_c_model() {
    let calls = read(
        "extern \"C\" {\n    #[syscall]\n    fn k_sem_take(sem: *mut k_sem, ticks: i64, name: *const *const core::ffi::c_char) -> core::ffi::c_int;\n    #[syscall]\n    fn k_void(p: *const core::ffi::c_void);\n    fn not_a_syscall(x: u8);\n}\n",
    )
    .unwrap();
    assert_eq!(calls.len(), 2);
    let s = &calls[0];
    assert_eq!(s.params[0].ty.declare("sem"), "struct k_sem *sem");
    assert_eq!(s.params[1].ty.specifier, Specifier::Typedef("int64_t".into()));
    assert_eq!(s.params[2].ty.declare("name"), "const char * const *name");
    assert_eq!(s.ret.declare(""), "int");
    assert_eq!((s.origin.line, s.origin.column), (3, 8));
    assert_eq!(calls[1].params[0].ty.declare("p"), "const void *p");
    assert!(calls[1].ret.is_void());
}

#[test]
fn refusals_point_at_the_rust_source() {
    let cases = [
        ("fn a(buf: [u8; 4]);", "array", 11),
        ("fn a(buf: &mut u8);", "references", 11),
        ("fn a(_: u32);", "unnamed", 6),
        ("fn a(x: u32, ...);", "variadic", 14),
        ("fn a(x: Vec<u8>);", "generic", 9),
        ("fn a(sg_x: u32);", "reserved", 6),
    ];
    for (item, fragment, column) in cases {
        let text = format!("extern \"C\" {{\n#[syscall]\n{item}\n}}\n");
        let Err(Error::Source(errors)) = read(&text) else { panic!("{item} accepted") };
        assert!(errors[0].message.contains(fragment), "{item}: {}", errors[0].message);
        assert_eq!((errors[0].line, errors[0].column), (3, column), "{item}: {}", errors[0].rendered);
        assert!(errors[0].rendered.contains(item), "{}", errors[0].rendered);
    }
    let Err(Error::Source(errors)) = read("extern \"C\" { fn") else { panic!("accepted") };
    assert_eq!(errors.len(), 1);
}

#[test]
fn nonblocking_is_the_attributes_one_argument() {
    let calls =
        read("extern \"C\" {\n#[syscall(nonblocking)]\nfn a(x: u32);\n#[syscall]\nfn b(x: u32);\n}\n")
            .unwrap();
    assert_eq!((calls[0].nonblocking, calls[1].nonblocking), (true, false));
    for attr in ["#[syscall(fast)]", "#[syscall(nonblocking, fast)]", "#[syscall = 1]"] {
        let text = format!("extern \"C\" {{\n{attr}\nfn a(x: u32);\n}}\n");
        let Err(Error::Source(errors)) = read(&text) else { panic!("{attr} accepted") };
        assert!(errors[0].message.contains("syscall"), "{attr}: {}", errors[0].message);
        assert_eq!(errors[0].line, 2, "{attr}: {}", errors[0].rendered);
    }
}

#[test]
fn rust_and_c_declarations_share_ids_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.h"), "__syscall int b_call(int x);\n").unwrap();
    std::fs::write(
        dir.path().join("r.rs"),
        "extern \"C\" {\n    #[syscall]\n    fn a_call(x: u32) -> u32;\n}\n",
    )
    .unwrap();
    let generated =
        Builder::new().header(dir.path().join("c.h")).rust_input(dir.path().join("r.rs")).generate().unwrap();
    assert_eq!(generated.ids.live.get("a_call"), Some(&0));
    assert_eq!(generated.ids.live.get("b_call"), Some(&1));
    std::fs::write(
        dir.path().join("dup.rs"),
        "extern \"C\" {\n    #[syscall]\n    fn b_call(x: i32) -> i32;\n}\n",
    )
    .unwrap();
    let err = Builder::new()
        .header(dir.path().join("c.h"))
        .rust_input(dir.path().join("dup.rs"))
        .generate()
        .unwrap_err();
    let Error::Source(errors) = err else { panic!("{err:?}") };
    assert!(errors[0].message.contains("declared twice"));
}

#[test]
fn fixture_file_reads_all_its_syscalls() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rust/calls.rs");
    let (_, calls) = syscall_gen::rust_input::read(&path).unwrap();
    let names: Vec<&str> = calls.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["k_sem_give", "k_uptime_add", "k_log"]);
    assert_eq!(calls[2].params[2].ty.declare("data"), "const void * const *data");
}
