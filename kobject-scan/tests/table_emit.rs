//! The emitted C and Rust, compiled by real compilers, find exactly the objects the model holds.

mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use kobject_scan::table::emit_c::{self, CType};
use kobject_scan::table::{emit_rust, Layout, ObjectTable, TableObject};

fn types() -> Vec<CType> {
    ["k_sem", "k_mutex", "k_thread"]
        .iter()
        .map(|n| CType {
            enumerator: format!("K_OBJ_{}", n.trim_start_matches("k_").to_uppercase()),
            name: n.to_string(),
        })
        .collect()
}

fn write_sources(dir: &Path, table: &ObjectTable, probes: &[u64]) {
    let types = types();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("kobject_table.h"), emit_c::write_header(&types, table.layout.perm_bytes))
        .unwrap();
    std::fs::write(dir.join("kobject_types.c"), emit_c::write_type_names(&types)).unwrap();
    std::fs::write(dir.join("kobject_table.c"), emit_c::write_table(table, &types)).unwrap();
    let mut main = String::from("#include <stdio.h>\n#include \"kobject_table.h\"\n\n");
    let _ = writeln!(main, "struct want {{ uintptr_t key; unsigned type, data, flags; }};");
    let mut wants: Vec<String> = table
        .slots
        .iter()
        .map(|o| format!("{{ {:#x}u, {}, {}, {} }}", o.address, o.type_id, o.data, o.flags))
        .collect();
    wants.push("{ 0, 0, 0, 0 }".into());
    let _ = writeln!(main, "static const struct want wants[] = {{ {} }};", wants.join(", "));
    let mut misses: Vec<String> = probes.iter().map(|p| format!("{p:#x}u")).collect();
    misses.push("0".into());
    let _ = writeln!(main, "static const uintptr_t misses[] = {{ {} }};", misses.join(", "));
    main.push_str(
        "int main(void)\n{\n    int bad = 0;\n\
         \x20   for (size_t i = 0; i + 1 < sizeof wants / sizeof wants[0]; i++) {\n\
         \x20       const struct k_object_entry *e = k_object_find((const void *)wants[i].key);\n\
         \x20       if (!e || e->type != wants[i].type || e->data != wants[i].data || e->flags != wants[i].flags\n\
         \x20           || k_object_state_of(e) != &k_object_table.states[e - k_object_table.entries]) {\n\
         \x20           printf(\"missing %#lx\\n\", (unsigned long)wants[i].key);\n            bad++;\n        }\n    }\n\
         \x20   for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)\n\
         \x20       if (k_object_find((const void *)misses[i])) {\n\
         \x20           printf(\"false hit %#lx\\n\", (unsigned long)misses[i]);\n            bad++;\n        }\n\
         \x20   printf(\"%s\\n\", k_obj_type_names[K_OBJ_THREAD]);\n\
         \x20   return bad;\n}\n",
    );
    std::fs::write(dir.join("main.c"), main).unwrap();
}

const WARNINGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"];

fn objects(n: u64, base: u64, stride: u64) -> Vec<TableObject> {
    (0..n)
        .map(|i| TableObject {
            address: base + i * stride,
            type_id: (i % 3) as u8 + 1,
            flags: (i % 4) as u8,
            data: i as u32 * 7,
        })
        .collect()
}

#[test]
fn host_gcc_finds_every_object_and_nothing_else() {
    common::require("gcc");
    let layout = Layout { pointer_bytes: 8, big_endian: false, perm_bytes: 4 };
    for (name, n, base, stride) in
        [("empty", 0, 0x1000, 8), ("one", 1, 0x1000, 8), ("many", 3000, 0x7f00_0000_1000, 24)]
    {
        let objs = objects(n, base, stride);
        let table = ObjectTable::build(&objs, layout).unwrap();
        let probes: Vec<u64> =
            (0..200).map(|i| base + 4 + i * stride).chain([0, base + n * stride]).collect();
        let dir = common::scratch(&format!("table-emit-{name}"));
        write_sources(&dir, &table, &probes);
        let exe = dir.join("t");
        let status = Command::new("gcc")
            .args(WARNINGS)
            .arg("-I")
            .arg(&dir)
            .args(["main.c", "kobject_types.c", "kobject_table.c", "-o"])
            .arg(&exe)
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "{name}: gcc failed");
        let out = Command::new(&exe).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "k_thread\n");
    }
}

#[test]
fn arm_gcc_compiles_the_table_cleanly() {
    let layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4 };
    let table = ObjectTable::build(&objects(100, 0x2000_0000, 20), layout).unwrap();
    common::require("arm-none-eabi-gcc");
    let dir = common::scratch("table-emit-arm");
    write_sources(&dir, &table, &[]);
    for file in ["kobject_types.c", "kobject_table.c", "main.c"] {
        let status = Command::new("arm-none-eabi-gcc")
            .args(["-mcpu=cortex-m3", "-mthumb", "-ffreestanding", "-c"])
            .args(WARNINGS)
            .arg(file)
            .arg("-o")
            .arg(dir.join(format!("{file}.o")))
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "{file}: arm-none-eabi-gcc failed");
    }
}

#[test]
fn rustc_compiled_table_agrees_with_the_model() {
    let types = vec![
        CType { enumerator: "K_OBJ_SEM".into(), name: "k_sem".into() },
        CType { enumerator: "K_OBJ_DRIVER_UART".into(), name: "uart_driver_api".into() },
    ];
    let layout = Layout { pointer_bytes: 8, big_endian: false, perm_bytes: 4 };
    let dir = common::scratch("table-emit-rust");
    for n in [0u64, 1, 700] {
        let objects: Vec<TableObject> = (0..n)
            .map(|i| TableObject {
                address: 0x5555_0000_1000 + i * 48,
                type_id: 1 + (i % 2) as u8,
                flags: 1,
                data: i as u32,
            })
            .collect();
        let table = ObjectTable::build(&objects, layout).unwrap();
        let source = emit_rust::write_table(&table, &types).unwrap();
        let mut main = format!("mod table {{\n{source}\n}}\n\nfn main() {{\n    let mut bad = 0;\n");
        for o in &objects {
            let _ = writeln!(
                main,
                "    match table::find({:#x}) {{ Some(e) if e.data == {} && e.obj_type as u8 == {} && e.flags == 1 => {{}} _ => bad += 1 }}",
                o.address, o.data, o.type_id
            );
            let _ = writeln!(main, "    if table::find({:#x}).is_some() {{ bad += 1; }}", o.address + 8);
        }
        main.push_str("    if table::find(0).is_some() { bad += 1; }\n    std::process::exit(bad);\n}\n");
        let src = dir.join(format!("t{n}.rs"));
        std::fs::write(&src, main).unwrap();
        let exe = dir.join(format!("t{n}"));
        let status = Command::new("rustc")
            .args(["--edition", "2021", "-D", "warnings", "-A", "dead_code", "-o"])
            .arg(&exe)
            .arg(&src)
            .status()
            .unwrap();
        assert!(status.success(), "rustc failed for n = {n}");
        let run = Command::new(&exe).status().unwrap();
        assert_eq!(run.code(), Some(0), "n = {n}: lookups disagree");
    }
}
