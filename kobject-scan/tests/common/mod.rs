//! Test support: build fixture images with real compilers and read the facts the scanner's
//! results are checked against (ELF symbols, offsetof/sizeof from a compiled probe).
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection, ObjectSymbol};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A compiler and the flags that make it produce a linkable, freestanding image.
#[derive(Clone, Copy, Debug)]
pub struct Toolchain {
    pub name: &'static str,
    pub cc: &'static str,
    pub cflags: &'static [&'static str],
    /// Linker driver when it differs from `cc` (clang cross-compiling for ARM).
    pub ld: Option<&'static str>,
    pub ldflags: &'static [&'static str],
}

pub const ARM: Toolchain = Toolchain {
    name: "arm",
    cc: "arm-none-eabi-gcc",
    cflags: &["-mcpu=cortex-m3", "-mthumb"],
    ld: None,
    ldflags: &["-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-static"],
};
pub const HOST_GCC: Toolchain = Toolchain {
    name: "gcc",
    cc: "gcc",
    cflags: &["-m64", "-fno-pie"],
    ld: None,
    ldflags: &["-m64", "-nostdlib", "-static", "-no-pie"],
};
pub const CLANG: Toolchain = Toolchain {
    name: "clang",
    cc: "clang",
    cflags: &["-fno-pie"],
    ld: None,
    ldflags: &["-nostdlib", "-static", "-no-pie"],
};
/// Clang for Cortex-M with global merging: locations become `DW_OP_addrx; DW_OP_plus_uconst`.
pub const CLANG_ARM_MERGED: Toolchain = Toolchain {
    name: "clang-arm-merged",
    cc: "clang",
    cflags: &[
        "--target=thumbv7m-none-eabi",
        "-mllvm",
        "-arm-global-merge=true",
        "-mllvm",
        "-global-merge-on-external=true",
    ],
    ld: Some("arm-none-eabi-gcc"),
    ldflags: &["-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-static"],
};
pub const PPC: Toolchain = Toolchain {
    name: "ppc",
    cc: "powerpc-linux-gnu-gcc",
    cflags: &[],
    ld: None,
    ldflags: &["-nostdlib", "-static"],
};

/// Fail (never skip) when a tool is missing.
pub fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "required tool `{tool}` is not installed (cargo xtask test installs it); this test needs it"
    );
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(output.status.success(), "{command:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

/// A fresh scratch directory for one test configuration.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kobject-scan").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// One unit: a fixture source and the flags specific to it.
pub struct Unit<'a> {
    pub source: &'a str,
    pub flags: &'a [&'a str],
}

/// Compile `units` with `tc` and link them with entry point `entry`. Returns the image path.
pub fn build(
    tc: &Toolchain,
    dir: &Path,
    units: &[Unit<'_>],
    common_flags: &[&str],
    link_flags: &[&str],
    entry: &str,
) -> PathBuf {
    require(tc.cc);
    let mut objects = Vec::new();
    for unit in units {
        let object = dir.join(format!("{}.o", unit.source.trim_end_matches(".c")));
        run(Command::new(tc.cc)
            .args(tc.cflags)
            .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", "-g"])
            .args(common_flags)
            .args(unit.flags)
            .arg("-c")
            .arg(fixtures().join(unit.source))
            .arg("-o")
            .arg(&object));
        objects.push(object);
    }
    let image = dir.join("image.elf");
    let ld = tc.ld.unwrap_or(tc.cc);
    require(ld);
    run(Command::new(ld)
        .args(tc.ldflags)
        .args(link_flags)
        .arg(format!("-Wl,-e,{entry}"))
        .args(&objects)
        .arg("-o")
        .arg(&image));
    image
}

/// Evaluate C constant expressions (offsetof, sizeof) for the target by compiling a probe with
/// the same compiler and flags and reading the initialised array back from the object file.
pub fn probe(tc: &Toolchain, dir: &Path, flags: &[&str], exprs: &[String]) -> Vec<u64> {
    let source = dir.join("probe.c");
    let mut text = String::from(
        "#include <stddef.h>\n#include \"fixture_types.h\"\nconst unsigned long long probe_values[] = {\n",
    );
    for e in exprs {
        text.push_str(&format!("\t(unsigned long long)({e}),\n"));
    }
    text.push_str("};\n");
    std::fs::write(&source, text).expect("write probe");
    let object_path = dir.join("probe.o");
    run(Command::new(tc.cc)
        .args(tc.cflags)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", "-c"])
        .args(flags)
        .arg("-I")
        .arg(fixtures())
        .arg(&source)
        .arg("-o")
        .arg(&object_path));
    let bytes = std::fs::read(&object_path).expect("read probe object");
    let file = object::File::parse(&*bytes).expect("parse probe object");
    let symbol = file.symbols().find(|s| s.name() == Ok("probe_values")).expect("probe_values symbol");
    let section =
        file.section_by_index(symbol.section_index().expect("probe_values section")).expect("section");
    let data = section.data().expect("section data");
    let start = symbol.address() as usize;
    (0..exprs.len())
        .map(|i| {
            let word: [u8; 8] = data[start + 8 * i..start + 8 * i + 8].try_into().unwrap();
            if file.is_little_endian() {
                u64::from_le_bytes(word)
            } else {
                u64::from_be_bytes(word)
            }
        })
        .collect()
}

/// A symbol of the image: address and the name of its section.
pub struct Symbols {
    entries: Vec<(String, u64, String)>,
}

impl Symbols {
    pub fn read(image: &Path) -> Symbols {
        let bytes = std::fs::read(image).expect("read image");
        let file = object::File::parse(&*bytes).expect("parse image");
        let entries = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Data || s.kind() == object::SymbolKind::Unknown)
            .filter_map(|s| {
                let section = file.section_by_index(s.section_index()?).ok()?;
                Some((s.name().ok()?.to_string(), s.address(), section.name().ok()?.to_string()))
            })
            .collect();
        Symbols { entries }
    }

    /// Address and section of `name`; a function static may be called `name.N` (GCC) or
    /// `function.name` (Clang).
    pub fn get(&self, name: &str) -> (u64, String) {
        let matches = |s: &str| {
            s == name
                || s.strip_prefix(name)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()))
                || s.rsplit_once('.').is_some_and(|(_, last)| last == name)
        };
        let found: Vec<_> = self.entries.iter().filter(|(s, _, _)| matches(s)).collect();
        assert!(found.len() == 1, "expected one symbol for `{name}`, found {:?}", found);
        (found[0].1, found[0].2.clone())
    }
}
