//! Partitions found in compiled objects and archive members; the fixture image linked with
//! the generated fragments and checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{compile, fixture, link, run};
use linker_scripts::check::{check, find_user_memory, image_memory_map};
use linker_scripts::image::Image;
use linker_scripts::inputs::read_link_inputs;
use linker_scripts::{Board, Generator, LibraryAssignment, TableReservation};

fn archive(name: &str, members: &[PathBuf], dir: &Path) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["rcs", path.to_str().unwrap()];
    args.extend(members.iter().map(|m| m.to_str().unwrap()));
    run("arm-none-eabi-ar", &args, dir);
    path
}

/// The fixture program's link inputs: kernel.o, app.o, table.o and libgamma.a
/// (members gamma.o and delta.o).
fn fixture_inputs(dir: &Path) -> Vec<PathBuf> {
    program_inputs("kernel.c", dir)
}

/// `main` (kernel.c or boot.c) with app.o, table.o and libgamma.a.
fn program_inputs(main: &str, dir: &Path) -> Vec<PathBuf> {
    let kernel = compile(&fixture(main), dir);
    let app = compile(&fixture("app.c"), dir);
    let table = compile(&fixture("table.c"), dir);
    let gamma = compile(&fixture("gamma.c"), dir);
    let delta = compile(&fixture("delta.c"), dir);
    let library = archive("libgamma.a", &[gamma, delta], dir);
    vec![kernel, app, table, library]
}

fn gamma() -> LibraryAssignment {
    "libgamma.a=gamma".parse().unwrap()
}

fn generator(inputs: &[PathBuf]) -> Generator {
    let mut generator =
        Generator::new(Board::MPS2_AN385).library(gamma()).table(TableReservation { rodata: 64, data: 128 });
    for input in inputs {
        generator = generator.input(input);
    }
    generator
}

#[test]
fn partitions_found_in_objects_and_archive_members() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture_inputs(dir.path());
    let found = read_link_inputs(&inputs, &[gamma()]).unwrap();
    let names: Vec<&str> = found.partitions.keys().map(String::as_str).collect();
    assert_eq!(names, ["alpha", "beta", "delta", "epsilon", "gamma"]);

    let alpha = &found.partitions["alpha"];
    assert_eq!(alpha.data[0].size, 4000);
    assert_eq!(alpha.bss[0].size, 1000);
    assert!(alpha.data[0].origin.ends_with("app.o"));

    // A section inside an archive member, named by archive and member.
    let delta = &found.partitions["delta"];
    assert_eq!(delta.bss[0].size, 320);
    assert!(delta.bss[0].origin.ends_with("libgamma.a(delta.o)"), "{}", delta.bss[0].origin);

    // The whole library: gamma.o's .data and .bss (delta.o has no plain data).
    let library = &found.partitions["gamma"].libraries[0];
    assert_eq!(library.archive, "libgamma.a");
    let data: u64 = library.data.iter().map(|s| s.size).sum();
    let bss: u64 = library.bss.iter().map(|s| s.size).sum();
    assert_eq!((data, bss), (4, 600));

    let mut stacks: Vec<(&str, u64)> = found.stacks.iter().map(|s| (s.symbol.as_str(), s.size)).collect();
    stacks.sort();
    assert_eq!(stacks, [("idle_stack", 256), ("worker_stack", 2048)]);
}

#[test]
fn unassigned_library_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = compile(&fixture("app.c"), dir.path());
    let err = read_link_inputs(&[app], &[gamma()]).unwrap_err().to_string();
    assert_eq!(err, "libgamma.a: assigned to partition `gamma` but not among the link inputs");
}

#[test]
fn fixture_image_links_with_fragments_and_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture_inputs(dir.path());
    let generated = generator(&inputs).generate().unwrap();
    assert!(generated.plan.smem_size < generated.plan.baseline_size);
    generated.write(dir.path()).unwrap();
    let elf = dir.path().join("image.elf");
    link(&fixture("rtos.ld"), dir.path(), &inputs, &elf);

    let image = Image::read(&elf).unwrap();
    let violations = check(&image, &Board::MPS2_AN385);
    assert!(violations.is_empty(), "{violations:#?}");

    let (memory, problems) = find_user_memory(&image);
    assert!(problems.is_empty());
    let names: Vec<&str> = memory.partitions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 5);
    for partition in &memory.partitions {
        let planned = generated.plan.partitions.iter().find(|p| p.name == partition.name).unwrap();
        assert_eq!(partition.end - partition.start, planned.size);
        assert!(partition.content_end - partition.start <= planned.content);
    }
    // Each global lies in its partition.
    for (symbol, part) in [
        ("alpha_table", "alpha"),
        ("beta_buffer", "beta"),
        ("gamma_scratch", "gamma"),
        ("gamma_state", "gamma"),
        ("delta_words", "delta"),
    ] {
        let addr = image.symbol(symbol).unwrap().addr;
        let p = memory.partitions.iter().find(|p| p.name == part).unwrap();
        assert!(p.start <= addr && addr < p.end, "{symbol} at {addr:#x} not in {part}");
    }
    assert_eq!(memory.stacks.len(), 2);
    let table = image.section(".kobject_table.data").unwrap();
    assert_eq!(table.size, 128);
    let bss = image.section(".noinit").unwrap();
    assert!(table.addr >= bss.end());

    let map = image_memory_map(&image, &Board::MPS2_AN385);
    let partitions: u64 = map.rows.iter().filter(|r| r.kind == "partition").map(|r| r.size).sum();
    assert!(partitions <= generated.plan.smem_size);
    assert!(map.to_table().contains("worker_stack"));
}

#[test]
fn layout_is_deterministic_and_writes_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture_inputs(dir.path());
    let out = dir.path().join("out");
    let first = generator(&inputs).generate().unwrap();
    assert_eq!(first.write(&out).unwrap().len(), 4);
    let second = generator(&inputs).generate().unwrap();
    assert_eq!(first.files, second.files);
    assert!(second.write(&out).unwrap().is_empty());
    let bigger = generator(&inputs).table(TableReservation { rodata: 64, data: 256 }).generate().unwrap();
    assert_eq!(bigger.write(&out).unwrap(), [out.join("kobject-table.ld"), out.join("memory-map.json")]);
}

#[test]
fn cli_layout_check_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture_inputs(dir.path());
    let exe = env!("CARGO_BIN_EXE_linker-scripts");
    let mut args: Vec<String> = [
        "layout",
        "--out-dir",
        ".",
        "--library",
        "libgamma.a=gamma",
        "--table-rodata",
        "64",
        "--table-data",
        "128",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    args.extend(inputs.iter().map(|i| i.display().to_string()));
    let output = Command::new(exe).args(&args).current_dir(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let map: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(map["mpu"], "PMSAv7");
    assert!(map["totals"]["padding"].as_u64().unwrap() > 0);

    let elf = dir.path().join("image.elf");
    link(&fixture("rtos.ld"), dir.path(), &inputs, &elf);
    let check =
        Command::new(exe).args(["check", "--board", "mps2-an385", elf.to_str().unwrap()]).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));

    let report = run(exe, &["report", elf.to_str().unwrap()], dir.path());
    assert!(report.is_empty(), "report writes to stdout only: {report}");
    let report = Command::new(exe).args(["report", elf.to_str().unwrap()]).output().unwrap();
    let table = String::from_utf8(report.stdout).unwrap();
    assert!(table.contains("partition  alpha"), "{table}");
    assert!(table.contains(".kobject_table.data"), "{table}");
}

#[test]
fn stack_macros_match_the_stack_rule() {
    let dir = tempfile::tempdir().unwrap();
    let model = Board::MPS2_AN385.mpu;
    let mut source = String::from("#include \"user_memory.h\"\n");
    for size in [1u64, 31, 32, 33, 100, 200, 480, 481, 1000, 1024, 4000, 65_000] {
        let expected = model.stack_object_size(size).unwrap();
        source.push_str(&format!(
            "_Static_assert(K_THREAD_STACK_LEN({size}) == {expected}, \"stack {size}\");\n"
        ));
    }
    let path = dir.path().join("stack_rule.c");
    std::fs::write(&path, source).unwrap();
    compile(&path, dir.path());
}

#[test]
fn boots_on_qemu_with_the_mpu_enforcing_a_partition() {
    // boot.c copies user memory from flash, checks every partition's contents, programs
    // partitions beta and epsilon (two pieces) with the README's PMSAv7 rule, writes to
    // both unprivileged, and exits with 0 only when an unprivileged write to partition alpha
    // faults at the written address.
    let dir = tempfile::tempdir().unwrap();
    let inputs = program_inputs("boot.c", dir.path());
    // Six regions: one each, two for epsilon.
    let generated = generator(&inputs).region_budget(6).generate().unwrap();
    let epsilon = generated.plan.partitions.iter().find(|p| p.name == "epsilon");
    assert_eq!(epsilon.unwrap().pieces, [4096, 32]);
    generated.write(dir.path()).unwrap();
    let elf = dir.path().join("boot.elf");
    link(&fixture("rtos.ld"), dir.path(), &inputs, &elf);
    let image = Image::read(&elf).unwrap();
    let violations = check(&image, &Board::MPS2_AN385);
    assert!(violations.is_empty(), "{violations:#?}");

    let status = Command::new("timeout")
        .args(["20", "qemu-system-arm", "-M", "mps2-an385", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(&elf)
        .status()
        .expect("`timeout` and `qemu-system-arm` are needed by this test; install qemu-system-arm");
    assert_eq!(status.code(), Some(0), "guest exit status (see tests/fixtures/boot.c for the codes)");
}
