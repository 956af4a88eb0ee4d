//! Any bytes as an image: the scan must return a result or an error, never panic or hang.
//! Seed the corpus with real images (e.g. the test fixtures under the target directory).
#![no_main]

use std::sync::OnceLock;

use kobject_scan::Manifest;
use libfuzzer_sys::fuzz_target;

fn manifest() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        Manifest::parse(include_str!("../../tests/fixtures/manifest.toml"))
            .unwrap_or_else(|e| panic!("fixture manifest: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = kobject_scan::scan(data, manifest());
});
