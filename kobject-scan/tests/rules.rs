//! Rules that need their own images or manifests: linker-removed variables, a struct tag with
//! two layouts, the thread limit, manifest validation and the CLI.

mod common;

use std::process::Command;

use common::{Unit, ARM};
use kobject_scan::{Error, Manifest, Reason};

fn manifest_text() -> String {
    std::fs::read_to_string(common::fixtures().join("manifest.toml")).expect("fixture manifest")
}

/// `gc_victim` is removed by --gc-sections (address 0 in the DWARF); `k_msgq` has two layouts.
#[test]
fn gc_sections_and_inconsistent_struct_sizes() {
    let dir = common::scratch("rules-gc");
    let units = [
        Unit { source: "gc_kept.c", flags: &["-ffunction-sections", "-fdata-sections"] },
        Unit { source: "msgq_small.c", flags: &[] },
        Unit { source: "msgq_large.c", flags: &[] },
    ];
    let image = common::build(&ARM, &dir, &units, &["-O0", "-gdwarf-4"], &["-Wl,--gc-sections"], "gc_entry");
    let symbols = common::Symbols::read(&image);
    let manifest = Manifest::parse(&manifest_text()).expect("manifest");
    let inventory = kobject_scan::scan_file(&image, &manifest).expect("scan");

    let mut kept: Vec<_> = inventory
        .objects
        .iter()
        .map(|o| (inventory.symbol(o), o.address, o.size, inventory.type_name(o)))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            ("gc_kept", symbols.get("gc_kept").0, 8, "k_sem"),
            ("msgq_large", symbols.get("msgq_large").0, 8, "k_msgq"),
            ("msgq_small", symbols.get("msgq_small").0, 4, "k_msgq"),
        ]
    );
    let removed: Vec<_> = inventory.rejected.iter().map(|r| (r.symbol.as_str(), r.reason.clone())).collect();
    assert_eq!(removed, [("gc_victim", Reason::AddressZero)]);
    let warning = inventory
        .notes
        .iter()
        .find(|n| n.contains("k_msgq"))
        .unwrap_or_else(|| panic!("no size warning in {:?}", inventory.notes));
    assert!(warning.starts_with("warning:"), "{warning}");
    assert!(warning.contains("msgq_small.c") && warning.contains("msgq_large.c"), "{warning}");
    assert!(warning.contains("4 bytes") && warning.contains("8 bytes"), "{warning}");
    let msgq = inventory.types.iter().find(|t| t.tag == "k_msgq").expect("k_msgq type");
    assert_eq!(msgq.size, Some(8));
}

fn main_image(name: &str) -> std::path::PathBuf {
    let dir = common::scratch(name);
    let units = [Unit { source: "objects.c", flags: &[] }, Unit { source: "objects_other.c", flags: &[] }];
    common::build(&ARM, &dir, &units, &["-O0"], &[], "fixture_entry")
}

#[test]
fn more_threads_than_the_manifest_allows_is_an_error() {
    let image = main_image("rules-threads");
    let text = manifest_text().replace("max_threads = 8", "max_threads = 5");
    let manifest = Manifest::parse(&text).expect("manifest");
    match kobject_scan::scan_file(&image, &manifest) {
        Err(Error::InFile { source, .. }) => match *source {
            Error::TooManyThreads { count: 6, max: 5, ref list } => {
                assert!(list.contains("thread_a@"), "{list}")
            }
            other => panic!("wrong error: {other}"),
        },
        other => panic!("expected a thread-limit error, got {other:?}"),
    }
    // Exactly at the limit is fine.
    let text = manifest_text().replace("max_threads = 8", "max_threads = 6");
    let manifest = Manifest::parse(&text).expect("manifest");
    kobject_scan::scan_file(&image, &manifest).expect("six threads fit in six indices");
}

#[test]
fn scans_are_deterministic() {
    let image = main_image("rules-determinism");
    let manifest = Manifest::parse(&manifest_text()).expect("manifest");
    let first = kobject_scan::emit::json(&kobject_scan::scan_file(&image, &manifest).expect("scan"));
    let second = kobject_scan::emit::json(&kobject_scan::scan_file(&image, &manifest).expect("scan"));
    assert_eq!(first, second);
}

#[test]
fn manifest_errors_name_the_problem() {
    let cases = [
        ("[kernel]\nsections = []\n", "sections is empty"),
        ("[[type]]\nstruct = \"device\"\nkind = \"device\"\n[kernel]\nsections = [\".data\"]\n", "no `api_member`"),
        ("[[type]]\nstruct = \"k_sem\"\nkind = \"object\"\napi_member = \"x\"\n[kernel]\nsections = [\".data\"]\n", "only allowed for kind"),
        ("[[type]]\nstruct = \"k_sem\"\nkind = \"object\"\n[[type]]\nstruct = \"k_sem\"\nkind = \"thread\"\n[kernel]\nsections = [\".data\"]\n", "listed twice"),
        ("[[type]]\nstruct = \"k_sem\"\nkind = \"semaphore\"\n[kernel]\nsections = [\".data\"]\n", "unknown variant"),
        ("[[type]]\nstruct = \"k_sem\"\nkind = \"object\"\nsize = 3\n[kernel]\nsections = [\".data\"]\n", "unknown field"),
        ("[kernel]\nsections = [\"[\"]\n", "pattern"),
        ("[[type]]\nstruct = \"k_sem\"\n", "line 1"),
    ];
    for (text, needle) in cases {
        let error = Manifest::parse(text).expect_err(text);
        assert!(error.contains(needle), "{text:?}: `{error}` lacks `{needle}`");
    }
}

fn cli(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kobject-scan")).args(args).output().expect("run CLI");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_scan_explain_and_errors() {
    let image = main_image("rules-cli");
    let manifest = common::fixtures().join("manifest.toml");
    let os = |s: &str| std::ffi::OsString::from(s);
    let (ok, json, _) =
        cli(&[&os("scan"), &os("--types"), manifest.as_os_str(), image.as_os_str(), &os("--json")]);
    assert!(ok);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    let objects = value["objects"].as_array().expect("objects");
    let uart = objects.iter().find(|o| o["symbol"] == "dev_uart").expect("dev_uart");
    assert_eq!(uart["type"], "uart_driver_api");
    assert_eq!(uart["kind"], "device");
    let stack = objects.iter().find(|o| o["symbol"] == "stack_one").expect("stack_one");
    assert_eq!(stack["size"], 256);
    let rejected = value["rejected"].as_array().expect("rejected");
    let union = rejected.iter().find(|r| r["symbol"] == "sem_union.s").expect("sem_union.s");
    assert!(union["reason"].as_str().expect("reason").contains("union"));

    let (ok, table, _) = cli(&[&os("scan"), &os("--types"), manifest.as_os_str(), image.as_os_str()]);
    assert!(ok);
    let addresses: Vec<u64> = table
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("0x"))
        .map(|l| u64::from_str_radix(&l[2..l.find(' ').expect("column")], 16).expect("address"))
        .collect();
    assert_eq!(addresses.len(), objects.len());
    assert!(addresses.windows(2).all(|w| w[0] < w[1]), "table sorted by address");

    let explain = |symbol: &str| {
        let (ok, text, err) =
            cli(&[&os("explain"), &os("--types"), manifest.as_os_str(), image.as_os_str(), &os(symbol)]);
        assert!(ok, "{err}");
        text
    };
    assert!(explain("sem_union").contains("not a kernel object: member of union"));
    assert!(explain("bank.sems[2]").contains("`bank.sems[2]` is a kernel object"));
    let local = explain("local_sem");
    assert!(local.contains("not a static address"), "{local}");
    assert!(explain("sem_extern").contains("a declaration"));
    assert!(explain("no_such_symbol").contains("no variable called"));

    let (ok, _, err) = cli(&[&os("scan"), &os("--types"), manifest.as_os_str(), manifest.as_os_str()]);
    assert!(!ok);
    assert!(err.contains("manifest.toml") && err.contains("ELF"), "{err}");
    let (ok, _, err) = cli(&[&os("scan"), &os("--types"), &os("/nonexistent.toml"), image.as_os_str()]);
    assert!(!ok);
    assert!(err.contains("/nonexistent.toml"), "{err}");
}

#[test]
fn image_without_dwarf_is_an_error() {
    let dir = common::scratch("rules-nodwarf");
    let image = main_image("rules-nodwarf-src");
    let stripped = dir.join("stripped.elf");
    common::require("arm-none-eabi-objcopy");
    let status = Command::new("arm-none-eabi-objcopy")
        .arg("--strip-debug")
        .arg(&image)
        .arg(&stripped)
        .status()
        .expect("objcopy");
    assert!(status.success());
    let manifest = Manifest::parse(&manifest_text()).expect("manifest");
    let error = kobject_scan::scan_file(&stripped, &manifest).expect_err("no DWARF");
    assert!(error.to_string().contains("no .debug_info"), "{error}");
    assert!(error.to_string().contains("stripped.elf"), "{error}");
}
