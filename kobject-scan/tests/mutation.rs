//! Corrupted images (truncated, bytes flipped in the ELF headers and in every DWARF section)
//! must give an error or a result: never a panic, never a hang.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use common::{Toolchain, Unit, ARM, CLANG, PPC};
use kobject_scan::Manifest;
use object::{Object, ObjectSection};

/// Deterministic pseudo-random numbers (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutations(image: &[u8], rng: &mut Rng) -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    // Truncation at evenly spread points and at every section boundary.
    let file = object::File::parse(image).expect("parse fixture image");
    let mut cuts: Vec<usize> = (0..150).map(|i| image.len() * i / 150).collect();
    let mut debug_ranges = Vec::new();
    for section in file.sections() {
        if let Some((offset, size)) = section.file_range() {
            let (offset, size) = (offset as usize, size as usize);
            cuts.extend([offset, offset + size / 2, offset + size.saturating_sub(1)]);
            if section.name().is_ok_and(|n| n.starts_with(".debug")) && size > 0 {
                debug_ranges.push((section.name().unwrap_or("").to_string(), offset, size));
            }
        }
    }
    for cut in cuts {
        cases.push((format!("truncated at {cut}"), image[..cut.min(image.len())].to_vec()));
    }
    // Every byte of the ELF header, flipped.
    for i in 0..64.min(image.len()) {
        let mut bytes = image.to_vec();
        bytes[i] ^= 0xff;
        cases.push((format!("ELF header byte {i} flipped"), bytes));
    }
    // Section and program header tables.
    let header_table = image.len().saturating_sub(40 * 30);
    for _ in 0..150 {
        let mut bytes = image.to_vec();
        let at = header_table + rng.below(image.len() - header_table);
        bytes[at] ^= (rng.next() as u8) | 1;
        cases.push((format!("header table byte {at} changed"), bytes));
    }
    for i in 64..64 + 32 * 10 {
        if i < image.len() {
            let mut bytes = image.to_vec();
            bytes[i] = 0xff;
            cases.push((format!("program header byte {i} set"), bytes));
        }
    }
    // DWARF sections: single bytes and runs of 0xff / 0x00.
    for (name, offset, size) in &debug_ranges {
        for _ in 0..120 {
            let mut bytes = image.to_vec();
            let at = offset + rng.below(*size);
            bytes[at] ^= (rng.next() as u8) | 1;
            cases.push((format!("{name} byte {at} changed"), bytes));
        }
        for fill in [0xffu8, 0x00] {
            for _ in 0..20 {
                let mut bytes = image.to_vec();
                let at = offset + rng.below(*size);
                let end = (at + 4).min(offset + size);
                bytes[at..end].fill(fill);
                cases.push((format!("{name} bytes {at}..{end} set to {fill:#x}"), bytes));
            }
        }
    }
    cases
}

fn fuzz_image(name: &str, tc: &Toolchain, flags: &[&str]) {
    let dir = common::scratch(name);
    let units = [Unit { source: "objects.c", flags: &[] }, Unit { source: "objects_other.c", flags: &[] }];
    let image =
        std::fs::read(common::build(tc, &dir, &units, flags, &[], "fixture_entry")).expect("read image");
    let manifest = Manifest::from_file(&common::fixtures().join("manifest.toml")).expect("manifest");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ image.len() as u64);
    let cases = mutations(&image, &mut rng);
    let total = cases.len();

    // Scans run on a worker; the test fails if any single one takes too long (a hang).
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        for (label, bytes) in cases {
            let outcome = catch_unwind(AssertUnwindSafe(|| kobject_scan::scan(&bytes, &manifest).is_ok()));
            if tx.send((label, outcome.ok())).is_err() {
                return;
            }
        }
    });
    let mut panics = Vec::new();
    let (mut results, mut errors) = (0, 0);
    for _ in 0..total {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok((label, Some(true))) => {
                let _ = label;
                results += 1
            }
            Ok((_, Some(false))) => errors += 1,
            Ok((label, None)) => panics.push(label),
            Err(_) => panic!("{name}: a scan of a corrupted image did not finish within 20 s"),
        }
    }
    worker.join().expect("worker");
    assert!(panics.is_empty(), "{name}: scan panicked on: {panics:?}");
    assert!(errors > 0 && results > 0, "{name}: {results} results, {errors} errors: mutations not exercised");
}

#[test]
fn corrupted_arm_dwarf4_type_units() {
    fuzz_image("mutation-arm-types", &ARM, &["-gdwarf-4", "-O0", "-fdebug-types-section"]);
}

#[test]
fn corrupted_arm_dwarf5() {
    fuzz_image("mutation-arm-d5", &ARM, &["-gdwarf-5", "-Os"]);
}

#[test]
fn corrupted_clang_dwarf5_addrx() {
    fuzz_image("mutation-clang-d5", &CLANG, &["-gdwarf-5", "-O0"]);
}

#[test]
fn corrupted_powerpc_big_endian() {
    fuzz_image("mutation-ppc", &PPC, &["-gdwarf-4", "-O0"]);
}
