//! The emitted C and Rust, compiled by real compilers, find exactly the objects the model holds,
//! and the header's helpers (foreach, stack records, type sizes, thread-index free map) read
//! the table the way the model wrote it.

mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use kobject_scan::table::emit_c::{self, CType};
use kobject_scan::table::{emit_rust, Contents, Layout, ObjectTable, StackRecord, TableObject};

fn types() -> Vec<CType> {
    ["k_sem", "k_mutex", "k_thread", "k_thread_stack_element"]
        .iter()
        .map(|n| CType {
            enumerator: format!("K_OBJ_{}", n.trim_start_matches("k_").to_uppercase()),
            name: n.to_string(),
            stack: n.ends_with("stack_element"),
        })
        .collect()
}

const STACK_TYPE: u8 = 4;

/// `n` objects from `base` at `stride`; every fifth a stack (its record: base, 64 × i bytes),
/// thread indices on every third; the free map has the thread indices below 16 not taken.
fn contents(n: u64, base: u64, stride: u64, layout: &Layout) -> Contents {
    let mut c = Contents::objects(Vec::new(), layout);
    let mut taken = Vec::new();
    for i in 0..n {
        let address = base + i * stride;
        let (type_id, data) = if i % 5 == 4 {
            c.stacks.push(StackRecord { base: address, size: 64 * i as u32 });
            (STACK_TYPE, c.stacks.len() as u16 - 1)
        } else if i % 3 == 2 {
            taken.push(i as u16 % 16);
            (3, i as u16 % 16)
        } else {
            ((i % 2) as u8 + 1, 0)
        };
        c.objects.push(TableObject { address, type_id, flags: (i % 4) as u8, data });
    }
    c.type_sizes = (0..layout.type_count).map(|t| 8 + 4 * t).collect();
    for index in (0..16u16).filter(|i| !taken.contains(i)) {
        c.thread_free[usize::from(index / 8)] |= 1 << (index % 8);
    }
    c
}

/// `main.c`: every object found with its metadata and state, every probe missed, the helpers.
fn write_main(dir: &Path, table: &ObjectTable, probes: &[u64], find: &str) {
    let mut main = String::from("#include <stdio.h>\n#include \"kobject_table.h\"\n\n");
    let _ = writeln!(main, "struct want {{ uintptr_t key; unsigned type, data, flags; long stack; }};");
    let mut wants: Vec<String> = table
        .slots
        .iter()
        .map(|o| {
            let stack =
                if o.type_id == STACK_TYPE { i64::from(table.stacks[usize::from(o.data)].size) } else { -1 };
            format!("{{ {:#x}u, {}, {}, {}, {stack} }}", o.address, o.type_id, o.data, o.flags)
        })
        .collect();
    wants.push("{ 0, 0, 0, 0, 0 }".into());
    let _ = writeln!(main, "static const struct want wants[] = {{ {} }};", wants.join(", "));
    let mut misses: Vec<String> = probes.iter().map(|p| format!("{p:#x}u")).collect();
    misses.push("0".into());
    let _ = writeln!(main, "static const uintptr_t misses[] = {{ {} }};", misses.join(", "));
    let free_at_boot: Vec<String> = (0..table.thread_free.len() * 8)
        .filter(|&i| table.thread_free[i / 8] & (1 << (i % 8)) != 0)
        .map(|i| i.to_string())
        .chain(["-1".to_owned()])
        .collect();
    let _ = writeln!(main, "static const int free_at_boot[] = {{ {} }};", free_at_boot.join(", "));
    let _ = writeln!(main, "#define FIND(p) {find}");
    main.push_str(
        "static void count(const struct k_object_entry *e, struct k_object_state *s, void *ctx)\n\
         {\n    if (k_object_state_of(e) == s && s->flags == e->flags)\n        ++*(uint32_t *)ctx;\n}\n\n\
         int main(void)\n{\n    int bad = 0;\n    k_object_table_init();\n\
         \x20   for (size_t i = 0; i + 1 < sizeof wants / sizeof wants[0]; i++) {\n\
         \x20       const struct k_object_entry *e = FIND((const void *)wants[i].key);\n\
         \x20       if (!e || e->type != wants[i].type || e->data != wants[i].data || e->flags != wants[i].flags\n\
         \x20           || k_object_state_of(e) != &k_object_table.states[e - k_object_table.entries]) {\n\
         \x20           printf(\"missing %#lx\\n\", (unsigned long)wants[i].key);\n            bad++;\n            continue;\n        }\n\
         \x20       const struct k_object_stack *s = k_object_stack_of(e);\n\
         \x20       if (wants[i].stack < 0 ? s != NULL : (!s || s->base != e->key || s->size != wants[i].stack)) {\n\
         \x20           printf(\"stack record of %#lx\\n\", (unsigned long)wants[i].key);\n            bad++;\n        }\n    }\n\
         \x20   for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)\n\
         \x20       if (FIND((const void *)misses[i])) {\n\
         \x20           printf(\"false hit %#lx\\n\", (unsigned long)misses[i]);\n            bad++;\n        }\n\
         \x20   uint32_t seen = 0;\n    k_object_foreach(count, &seen);\n\
         \x20   if (seen != k_object_table.count) {\n        printf(\"foreach saw %u\\n\", (unsigned)seen);\n        bad++;\n    }\n\
         \x20   for (unsigned t = 0; t < K_OBJ_TYPE_COUNT; t++)\n\
         \x20       if (k_object_type_size(t) != 8 + 4 * t) {\n            printf(\"size of type %u\\n\", t);\n            bad++;\n        }\n\
         \x20   if (k_object_type_size(K_OBJ_TYPE_COUNT) != 0)\n        bad++;\n\
         \x20   for (size_t i = 0; free_at_boot[i] >= 0; i++)\n\
         \x20       if (k_object_thread_index_alloc() != free_at_boot[i]) {\n            printf(\"free index %d\\n\", free_at_boot[i]);\n            bad++;\n        }\n\
         \x20   if (k_object_thread_index_alloc() != -1)\n        bad++;\n\
         \x20   if (free_at_boot[0] >= 0) {\n\
         \x20       k_object_thread_index_free((unsigned)free_at_boot[0]);\n\
         \x20       if (k_object_thread_index_alloc() != free_at_boot[0])\n            bad++;\n    }\n\
         \x20   printf(\"%s\\n\", k_obj_type_names[K_OBJ_THREAD]);\n\
         \x20   return bad;\n}\n",
    );
    std::fs::write(dir.join("main.c"), main).unwrap();
}

fn write_sources(dir: &Path, table: &ObjectTable, probes: &[u64], find: &str) {
    let types = types();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("kobject_table.h"), emit_c::write_header(&types, table.layout.perm_bytes))
        .unwrap();
    std::fs::write(dir.join("kobject_types.c"), emit_c::write_type_names(&types)).unwrap();
    std::fs::write(dir.join("kobject_table.c"), emit_c::write_table(table, &types)).unwrap();
    write_main(dir, table, probes, find);
}

const WARNINGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"];

fn host_layout() -> Layout {
    Layout { pointer_bytes: 8, big_endian: false, perm_bytes: 2, type_count: types().len() as u32 + 1 }
}

fn compile_and_run(dir: &Path, name: &str) {
    let exe = dir.join("t");
    let status = Command::new("gcc")
        .args(WARNINGS)
        .arg("-I")
        .arg(dir)
        .args(["main.c", "kobject_types.c", "kobject_table.c", "-o"])
        .arg(&exe)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{name}: gcc failed");
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "k_thread\n");
}

#[test]
fn host_gcc_finds_every_object_and_nothing_else() {
    common::require("gcc");
    let layout = host_layout();
    for (name, n, base, stride) in
        [("empty", 0, 0x1000, 8), ("one", 1, 0x1000, 8), ("many", 3000, 0x7f00_0000_1000, 24)]
    {
        let table = ObjectTable::build(contents(n, base, stride, &layout), layout).unwrap();
        let probes: Vec<u64> = (0..200)
            .flat_map(|i| [base + 4 + i * stride, base + 1 + i * stride])
            .chain([0, base + n * stride, 0x1_0000_0000 + base])
            .collect();
        // Both lookups: the table's constants, and the header's reading them from the table.
        for find in ["k_object_find(p)", "k_object_find_in(&k_object_table, p)"] {
            let dir = common::scratch(&format!("table-emit-{name}-{}", find.len()));
            write_sources(&dir, &table, &probes, find);
            compile_and_run(&dir, name);
        }
    }
}

#[test]
fn host_placeholder_rejects_every_address() {
    common::require("gcc");
    let layout = host_layout();
    let dir = common::scratch("table-emit-placeholder");
    let types = types();
    std::fs::write(dir.join("kobject_table.h"), emit_c::write_header(&types, layout.perm_bytes)).unwrap();
    std::fs::write(dir.join("kobject_table.c"), emit_c::write_placeholder(20, 3, &layout)).unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include \"kobject_table.h\"\n\
         int main(void)\n{\n\
         \x20   static const uintptr_t probes[] = { 0, 8, 0x1000, UINTPTR_MAX - 7 };\n\
         \x20   int found = 0;\n\
         \x20   for (unsigned i = 0; i < 4; i++)\n\
         \x20       found += k_object_find((const void *)probes[i]) != NULL;\n\
         \x20   found += k_object_find(&k_object_table) != NULL;\n\
         \x20   found += k_object_find(&k_object_table.buckets) != NULL;\n\
         \x20   return found;\n}\n",
    )
    .unwrap();
    let exe = dir.join("t");
    let status = Command::new("gcc")
        .args(WARNINGS)
        .arg("-I")
        .arg(&dir)
        .args(["main.c", "kobject_table.c", "-o"])
        .arg(&exe)
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "gcc failed on the placeholder");
    assert_eq!(Command::new(&exe).status().unwrap().code(), Some(0), "an unfilled table found something");
}

#[test]
fn arm_gcc_compiles_the_table_cleanly() {
    common::require("arm-none-eabi-gcc");
    let layout =
        Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: types().len() as u32 + 1 };
    for (name, n) in [("arm-0", 0), ("arm-1", 1), ("arm-3", 3), ("arm-100", 100)] {
        let table = ObjectTable::build(contents(n, 0x2000_0000, 20, &layout), layout).unwrap();
        let dir = common::scratch(&format!("table-emit-{name}"));
        write_sources(&dir, &table, &[], "k_object_find(p)");
        std::fs::write(dir.join("placeholder.c"), emit_c::write_placeholder(n as usize, 5, &layout)).unwrap();
        for file in ["kobject_types.c", "kobject_table.c", "placeholder.c"] {
            let status = Command::new("arm-none-eabi-gcc")
                .args(["-mcpu=cortex-m3", "-mthumb", "-ffreestanding", "-c"])
                .args(WARNINGS)
                .arg(file)
                .arg("-o")
                .arg(dir.join(format!("{file}.o")))
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "{name} {file}: arm-none-eabi-gcc failed");
        }
    }
}

#[test]
fn rustc_compiled_table_agrees_with_the_model() {
    let types = vec![
        CType { enumerator: "K_OBJ_SEM".into(), name: "k_sem".into(), stack: false },
        CType { enumerator: "K_OBJ_DRIVER_UART".into(), name: "uart_driver_api".into(), stack: false },
    ];
    let layout = Layout { pointer_bytes: 8, big_endian: false, perm_bytes: 4, type_count: 3 };
    let dir = common::scratch("table-emit-rust");
    for n in [0u64, 1, 700] {
        let objects: Vec<TableObject> = (0..n)
            .map(|i| TableObject {
                address: 0x5555_0000_1000 + i * 48,
                type_id: 1 + (i % 2) as u8,
                flags: 1,
                data: i as u16,
            })
            .collect();
        let table = ObjectTable::build(Contents::objects(objects.clone(), &layout), layout).unwrap();
        let source = emit_rust::write_table(&table, &types).unwrap();
        let mut main = format!("mod table {{\n{source}\n}}\n\nfn main() {{\n    let mut bad = 0;\n");
        for o in &objects {
            let _ = writeln!(
                main,
                "    match table::find({:#x}) {{ Some(e) if e.data == {} && e.obj_type as u8 == {} && e.flags == 1 => {{}} _ => bad += 1 }}",
                o.address, o.data, o.type_id
            );
            let _ = writeln!(main, "    if table::find({:#x}).is_some() {{ bad += 1; }}", o.address + 8);
            let _ = writeln!(main, "    if table::find({:#x}).is_some() {{ bad += 1; }}", o.address + 1);
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

/// The bytes the patcher checks and writes are the bytes GNU as makes of the same lines, for
/// every shape (empty, direct, two-level) and every kind of mask.
#[test]
fn thumb_lookup_encoding_matches_gnu_as() {
    use kobject_scan::table::thumb;
    for tool in ["arm-none-eabi-as", "arm-none-eabi-objcopy"] {
        common::require(tool);
    }
    let layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: 5 };
    let dir = common::scratch("table-emit-thumb");
    for count in [0usize, 1, 2, 3, 17, 66, 127, 128, 129, 1000, 5000, 100_000] {
        for (mask, mul) in [(0u32, 1u32), (0x7, 0x9e37_79b9), (0xff, 0xffff_ffff), (u32::MAX, 0)] {
            let code = thumb::lookup(&layout, count, mask, mul, 0x1000).unwrap();
            let mut source = String::from(
                ".syntax unified\n.thumb\n.text\n.equ k_object_table, 0x1000\n.p2align 2\n.thumb_func\nf:\n",
            );
            for line in &code.lines {
                source.push_str(line);
                source.push('\n');
            }
            let name = format!("c{count}-m{mask:x}");
            std::fs::write(dir.join(format!("{name}.s")), source).unwrap();
            let status = Command::new("arm-none-eabi-as")
                .args(["-mcpu=cortex-m3", "-o", &format!("{name}.o"), &format!("{name}.s")])
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "{name}: as failed");
            let status = Command::new("arm-none-eabi-objcopy")
                .args(["-O", "binary", "-j", ".text", &format!("{name}.o"), &format!("{name}.bin")])
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "{name}: objcopy failed");
            let assembled = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
            assert_eq!(assembled, code.bytes, "{name}: GNU as disagrees:\n{}", code.lines.join("\n"));
        }
    }
}
