//! The object table end to end on a real Cortex-M3 link: patch mode and relink mode give the
//! same bytes, the image boots in QEMU and finds exactly its objects, verification catches a
//! table that no longer matches the image, and inspect/diff read tables back from symbols.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use kobject_scan::table::{self, emit_c, inspect, patch, Error};
use kobject_scan::Manifest;
use object::{Object as _, ObjectSection as _, ObjectSymbol as _};

fn fixture(name: &str) -> PathBuf {
    common::fixtures().join("table").join(name)
}

fn manifest() -> Manifest {
    Manifest::from_file(&fixture("manifest.toml")).expect("fixture manifest")
}

/// Compiles the fixture program with `table_c` as its table and links it.
fn link(dir: &Path, table_c: &str, name: &str, defines: &[&str]) -> Vec<u8> {
    std::fs::write(dir.join("kobject_table.c"), table_c).unwrap();
    let elf = dir.join(name);
    let output = Command::new("arm-none-eabi-gcc")
        .args(["-mcpu=cortex-m3", "-mthumb", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-g"])
        .args(["-ffreestanding", "-nostdlib", "-fno-common"])
        .args(defines)
        .arg("-I")
        .arg(dir)
        .arg("-T")
        .arg(fixture("app.ld"))
        .arg(fixture("app.c"))
        .arg(dir.join("kobject_types.c"))
        .arg(dir.join("kobject_table.c"))
        .arg("-o")
        .arg(&elf)
        .output()
        .expect("arm-none-eabi-gcc");
    assert!(output.status.success(), "link {name}:\n{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(elf).unwrap()
}

fn symbol(elf: &[u8], name: &str) -> u64 {
    let file = object::File::parse(elf).unwrap();
    file.symbols().find(|s| s.name() == Ok(name)).map(|s| s.address()).expect(name)
}

fn rom_address(elf: &[u8]) -> u64 {
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(emit_c::ROM_SECTION).unwrap().address()
}

fn rom_bytes(elf: &[u8]) -> Vec<u8> {
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(emit_c::ROM_SECTION).unwrap().data().unwrap().to_vec()
}

fn boot(dir: &Path, elf: &[u8], name: &str) -> Option<i32> {
    let path = dir.join(name);
    std::fs::write(&path, elf).unwrap();
    let status = Command::new("timeout")
        .args(["30", "qemu-system-arm", "-M", "mps2-an385", "-display", "none", "-monitor", "none"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(&path)
        .status()
        .expect("qemu-system-arm");
    status.code()
}

#[test]
fn patch_and_relink_agree_boot_and_verify() {
    for tool in ["arm-none-eabi-gcc", "qemu-system-arm", "timeout"] {
        common::require(tool);
    }
    let dir = common::scratch("table-pipeline");
    let manifest = manifest();
    for (name, text) in table::manifest_files(&manifest).unwrap() {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let layout_of = |elf: &[u8]| {
        let inventory = kobject_scan::scan(elf, &manifest).unwrap();
        table::inventory::layout(&inventory, &manifest)
    };

    // Pass 1 with an empty reservation: the objects are where they will stay.
    let arm = table::Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 2, type_count: 4 };
    let pass1 = link(&dir, &emit_c::write_placeholder(0, 0, &arm), "pass1.elf", &[]);
    let layout = layout_of(&pass1);
    assert_eq!(layout, arm);
    let inventory = kobject_scan::scan(&pass1, &manifest).unwrap();
    assert_eq!(inventory.objects.len(), 35);
    let built = table::build(&inventory, &manifest).unwrap();
    assert!(matches!(patch::patch(&pass1, &built.table), Err(patch::PatchError::WrongSize { .. })));

    // Patch mode: reserve exactly, write the bytes in, verify.
    let reserved = link(&dir, &emit_c::write_placeholder(35, 0, &layout), "reserved.elf", &[]);
    let (patched, _) = table::patch_image(&reserved, &manifest).unwrap();
    // Relink mode: the table as C, its ROM part where the reservation was (the lookup with
    // constants is shorter than the one reading the table, which moves what follows it).
    let keep_rom = format!("-Wl,--section-start={}={:#x}", emit_c::ROM_SECTION, rom_address(&reserved));
    let table_c = emit_c::write_table(&built.table, &built.types);
    let relinked = link(&dir, &table_c, "relinked.elf", &[&keep_rom]);
    table::verify_image(&relinked, &manifest).unwrap();

    let sems = symbol(&pass1, "sems");
    assert_eq!(
        (symbol(&patched, "sems"), symbol(&relinked, "sems")),
        (sems, sems),
        "the table moved objects"
    );
    assert_eq!(rom_bytes(&patched), rom_bytes(&relinked), "patch and relink tables differ");
    // Both run the same lookup: the generated Thumb-2 code, at the same place, byte for byte.
    let lookup = |elf: &[u8]| {
        let site = patch::locate_lookup(elf).unwrap().expect("the generated lookup");
        (site.address, elf[site.offset as usize..(site.offset + site.size) as usize].to_vec())
    };
    assert_eq!(lookup(&patched), lookup(&relinked), "patch and relink lookups differ");
    assert_ne!(lookup(&patched), lookup(&reserved), "patching left the placeholder's lookup");

    // The patcher refuses a lookup it does not recognise, and verify a lookup that does not
    // match its table.
    let site = patch::locate_lookup(&reserved).unwrap().unwrap();
    let mut foreign = reserved.clone();
    foreign[site.offset as usize + 6] ^= 0x10; // inside the ldrd, not a patch site
    let err = table::patch_image(&foreign, &manifest).unwrap_err().to_string();
    assert!(err.contains("k_object_find at") && err.contains("byte 6"), "{err}");
    let mut wrong_mask = patched.clone();
    wrong_mask[site.offset as usize + 2] ^= 0x01; // the tst immediate
    let err = table::verify_image(&wrong_mask, &manifest).unwrap_err().to_string();
    assert!(err.contains("does not match its table"), "{err}");

    // Inspect needs only symbols.
    let seen = inspect::inspect(&patched).unwrap();
    assert_eq!(seen.rows.len(), 35);
    assert_eq!(seen.perm_bytes, 2);
    let first = &seen.rows[0];
    assert_eq!((first.address, first.symbol.as_str(), first.type_name.as_str()), (sems, "sems", "k_sem"));
    let thread2 = seen.rows.iter().find(|r| r.symbol == "threads+0x48").unwrap();
    assert_eq!((thread2.type_name.as_str(), thread2.data), ("k_thread", 2));
    assert!(inspect::diff(&seen.rows, &inspect::inspect(&relinked).unwrap().rows).is_empty());

    // The guest finds every object and nothing else; an unfilled reservation finds nothing.
    assert_eq!(boot(&dir, &patched, "patched.elf"), Some(0), "patched image failed its lookups");
    assert_eq!(boot(&dir, &relinked, "relinked.elf"), Some(0), "relinked image failed its lookups");
    assert_eq!(boot(&dir, &reserved, "reserved-run.elf"), Some(35));

    // Perturb the layout on purpose: the old table no longer matches, and verify says where.
    let shifted = link(&dir, &table_c, "shifted.elf", &["-DSHIFT_OBJECTS", &keep_rom]);
    let Err(Error::Mismatch(problems)) = table::verify_image(&shifted, &manifest) else {
        panic!("verification accepted a table for another layout");
    };
    assert_eq!(problems.len(), 35 * 2, "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with("missing from the table: sems[0] at ")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with("in the table but not a kernel object of the image")));
    assert_ne!(boot(&dir, &shifted, "shifted-run.elf"), Some(0));
}

fn cli(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kobject-scan")).args(args).output().expect("run kobject-scan");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn cli_header_reserve_patch_verify_inspect_diff() {
    common::require("arm-none-eabi-gcc");
    let dir = common::scratch("table-cli");
    let m = fixture("manifest.toml");
    let os = |s: &str| std::ffi::OsString::from(s);
    let (ok, _, err) = cli(&[&os("header"), &os("--types"), m.as_os_str(), &os("-o"), dir.as_os_str()]);
    assert!(ok, "{err}");
    let reserve = |count: &str| {
        let out = dir.join("reserve.c");
        let (ok, _, err) = cli(&[
            &os("reserve"),
            &os("--types"),
            m.as_os_str(),
            &os("--count"),
            &os(count),
            &os("-o"),
            out.as_os_str(),
        ]);
        assert!(ok, "{err}");
        std::fs::read_to_string(out).unwrap()
    };
    let pass1 = link(&dir, &reserve("0"), "pass1.elf", &[]);
    let reserved = link(&dir, &reserve("35"), "reserved.elf", &[]);
    assert_eq!(symbol(&pass1, "sems"), symbol(&reserved, "sems"));

    let (reserved_path, patched_path) = (dir.join("reserved.elf"), dir.join("patched.elf"));
    let (ok, text, err) = cli(&[
        &os("patch"),
        &os("--types"),
        m.as_os_str(),
        reserved_path.as_os_str(),
        &os("-o"),
        patched_path.as_os_str(),
    ]);
    assert!(ok, "{err}");
    assert!(text.contains("35 objects, table written and verified"), "{text}");
    let (ok, text, err) = cli(&[&os("verify"), &os("--types"), m.as_os_str(), patched_path.as_os_str()]);
    assert!(ok && text.contains("table matches the image"), "{text}{err}");
    // The unpatched reservation holds no table: verify must refuse it.
    let (ok, _, err) = cli(&[&os("verify"), &os("--types"), m.as_os_str(), reserved_path.as_os_str()]);
    assert!(!ok && err.contains("no object table here"), "{err}");

    let (ok, text, err) = cli(&[&os("inspect"), &os("--json"), patched_path.as_os_str()]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(35));
    assert_eq!(json["rows"][0]["type"], "k_sem");
    let (ok, text, _) = cli(&[&os("inspect"), patched_path.as_os_str()]);
    assert!(ok && text.ends_with("35 objects\n") && text.contains("k_mutex"), "{text}");

    // Relink-mode source from the CLI, and a diff against a table that lost an object.
    let table_c = dir.join("table.c");
    let (ok, _, err) = cli(&[
        &os("table"),
        &os("--types"),
        m.as_os_str(),
        dir.join("pass1.elf").as_os_str(),
        &os("-o"),
        table_c.as_os_str(),
    ]);
    assert!(ok, "{err}");
    let patched = std::fs::read(&patched_path).unwrap();
    let keep_rom = format!("-Wl,--section-start={}={:#x}", emit_c::ROM_SECTION, rom_address(&patched));
    let relinked = link(&dir, &std::fs::read_to_string(&table_c).unwrap(), "relinked.elf", &[&keep_rom]);
    assert_eq!(rom_bytes(&relinked), rom_bytes(&patched));
    let (ok, text, _) = cli(&[&os("diff"), patched_path.as_os_str(), dir.join("relinked.elf").as_os_str()]);
    assert!(ok && text.ends_with("0 added, 0 removed, 0 moved, 0 changed\n"), "{text}");
    let (ok, text, _) = cli(&[&os("diff"), patched_path.as_os_str(), reserved_path.as_os_str()]);
    assert!(!ok && text.is_empty(), "an image without a table cannot be diffed");
}
