//! Golden outputs for the fixture headers. `BLESS=1 cargo test -p syscall-gen --test golden`
//! rewrites them after an intended change; review the diff.

mod common;

use std::path::Path;

use syscall_gen::Abi;

fn check_against(dir: &Path, generated: &syscall_gen::Generated) {
    let bless = std::env::var_os("BLESS").is_some();
    let mut mismatches = Vec::new();
    for file in &generated.files {
        let path = dir.join(&file.path);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.contents).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == file.contents => {}
            Ok(_) => mismatches.push(format!("{} differs", file.path)),
            Err(e) => mismatches.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(mismatches.is_empty(), "golden mismatch (BLESS=1 to update):\n{}", mismatches.join("\n"));
}

#[test]
fn armv7m_outputs_match_golden() {
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    check_against(&common::fixtures().join("golden/armv7m"), &generated);
}

#[test]
fn host_outputs_match_golden() {
    let generated = common::fixture_builder(Abi::HOST).generate().unwrap();
    check_against(&common::fixtures().join("golden/host"), &generated);
}

#[test]
fn outputs_are_deterministic_and_independent_of_header_order() {
    let include = common::fixtures().join("include");
    let a = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    let b = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    assert_eq!(a.files, b.files);
    let reversed = syscall_gen::Builder::new()
        .include_dir(&include)
        .header(include.join("drivers/uart.h"))
        .header(include.join("rtos/kernel.h"))
        .define("CONFIG_FROM_COMMAND_LINE")
        .rust_wrappers(true)
        .kernel_sections([".data", ".bss", ".noinit", ".kobj*"])
        .max_threads(32)
        .generate()
        .unwrap();
    let shared = |g: &syscall_gen::Generated| -> Vec<(String, String)> {
        g.files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone()))
            .filter(|(p, _)| !p.starts_with("syscalls/"))
            .collect()
    };
    let (mut x, mut y) = (shared(&a), shared(&reversed));
    x.sort();
    y.sort();
    assert_eq!(x, y);
}

#[test]
fn manifest_lists_the_annotated_types() {
    let generated = common::fixture_builder(Abi::ARMV7M).generate().unwrap();
    let manifest = &generated.file("kobject_types.toml").unwrap().contents;
    let value: toml::Table = toml::from_str(manifest).unwrap();
    let types = value["type"].as_array().unwrap();
    let entries: Vec<(String, String, Option<String>)> = types
        .iter()
        .map(|t| {
            (
                t["struct"].as_str().unwrap().to_string(),
                t["kind"].as_str().unwrap().to_string(),
                t.get("api_member").map(|m| m.as_str().unwrap().to_string()),
            )
        })
        .collect();
    assert!(entries.contains(&("device".into(), "device".into(), Some("api".into()))));
    assert!(entries.contains(&("uart_driver_api".into(), "driver_api".into(), None)));
    assert!(entries.contains(&("k_thread_stack_element".into(), "stack".into(), None)));
    assert_eq!(entries.len(), 7);
    assert_eq!(value["kernel"]["max_threads"].as_integer(), Some(32));
}

#[test]
fn manifest_is_accepted_by_kobject_scan() {
    let generated =
        common::fixture_builder(Abi::ARMV7M).kernel_stack_sections([".user_stacks"]).generate().unwrap();
    let text = &generated.file("kobject_types.toml").unwrap().contents;
    let manifest = kobject_scan::manifest::Manifest::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(manifest.types.len(), 7);
    assert_eq!(manifest.kernel.max_threads, 32);
    assert_eq!(manifest.kernel.stack_sections, [".user_stacks"]);
}
