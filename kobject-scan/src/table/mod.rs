//! The object table: a minimal perfect hash from object address to object metadata, emitted as
//! C (or Rust) for the kernel, written straight into a linked ELF, verified against a rescan of
//! the final image, and read back out of any image.
//!
//! The flow stays read → model → emit: the [`crate::Inventory`] is the input; [`mphf`] and
//! [`layout`] are the model (hash parameters, slots, exact byte layout for a target);
//! [`emit_c`], [`emit_rust`] and [`patch`] emit it; [`inspect`] reads a table back from an
//! image; [`inventory`] maps between the two and compares them.
//!
//! # The two-pass build
//!
//! The table's size depends only on the object and stack counts ([`Layout::rom_size`],
//! [`Layout::ram_size`]) and the manifest, and the linker script puts its sections after every
//! kernel object. So:
//!
//! 1. Link with [`emit_c::write_placeholder`] for any counts (0 the first time): object
//!    addresses are final.
//! 2. Scan; build the table ([`build`]).
//! 3. Either relink with [`emit_c::write_table`] (relink mode), or relink with the placeholder
//!    for the real counts and write the table's bytes into it ([`patch_image`], patch mode).
//!    On M-profile Thumb-2 targets `k_object_find` is [`thumb`]'s generated code in both
//!    files; patch mode rewrites its two key-dependent values (alignment mask, multiplier)
//!    after checking every other byte. Both modes give the same table bytes and the same
//!    lookup code, provided relink mode keeps the table's ROM section where the first link
//!    put it.
//! 4. [`verify_image`]: rescan the final image, decode its table (and check the generated
//!    lookup, if the image has it, byte for byte against the table), compare object by object.

pub mod emit_c;
pub mod emit_rust;
pub mod inspect;
pub mod inventory;
pub mod layout;
pub mod mphf;
pub mod patch;
pub mod thumb;

pub use emit_c::CType;
pub use layout::{Contents, Layout, ObjectTable, StackRecord, TableObject};
pub use mphf::{KeyWidth, Mphf};

use crate::{Inventory, Manifest};

/// Anything that stops a table from being built, written or trusted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Scan(#[from] crate::Error),
    #[error(transparent)]
    Types(#[from] inventory::TableError),
    #[error(transparent)]
    Hash(#[from] mphf::BuildError),
    #[error(transparent)]
    Patch(#[from] patch::PatchError),
    #[error("the object table does not match the image:\n  {}", .0.join("\n  "))]
    Mismatch(Vec<String>),
}

/// A table built from a scan, with the C names of its types.
#[derive(Clone, Debug)]
pub struct Built {
    pub table: ObjectTable,
    pub types: Vec<CType>,
}

/// The generated files that depend only on the manifest: `kobject_table.h` and
/// `kobject_types.c` (type names).
pub fn manifest_files(manifest: &Manifest) -> Result<Vec<(&'static str, String)>, Error> {
    let types = inventory::c_types(manifest)?;
    let perm_bytes = manifest.kernel.max_threads.div_ceil(8);
    Ok(vec![
        ("kobject_table.h", emit_c::write_header(&types, perm_bytes)),
        ("kobject_types.c", emit_c::write_type_names(&types)),
    ])
}

/// Builds the table for a scanned image.
pub fn build(inventory: &Inventory, manifest: &Manifest) -> Result<Built, Error> {
    let types = inventory::c_types(manifest)?;
    let contents = inventory::contents(inventory, manifest, &types)?;
    let table = ObjectTable::build(contents, inventory::layout(inventory, manifest))?;
    Ok(Built { table, types })
}

/// Patch mode: scans `elf` (linked with a placeholder for its exact counts), writes the table
/// into the reserved section and verifies the result. Returns the patched image.
pub fn patch_image(elf: &[u8], manifest: &Manifest) -> Result<(Vec<u8>, Built), Error> {
    let scanned = crate::scan(elf, manifest)?;
    let built = build(&scanned, manifest)?;
    let patched = patch::patch(elf, &built.table)?;
    verify_image(&patched, manifest)?;
    Ok((patched, built))
}

/// Rescans `elf` and decodes its table; any object that differs is an error naming it.
pub fn verify_image(elf: &[u8], manifest: &Manifest) -> Result<Built, Error> {
    verify_scanned(elf, &crate::scan(elf, manifest)?, manifest)
}

/// [`verify_image`] with the scan of `elf` already made.
pub fn verify_scanned(elf: &[u8], rescan: &Inventory, manifest: &Manifest) -> Result<Built, Error> {
    let layout = inventory::layout(rescan, manifest);
    let table = patch::read_table(elf, layout)?;
    let types = inventory::c_types(manifest)?;
    let mut problems = inventory::verify(rescan, manifest, &table, &types)?;
    let reserved = patch::locate(elf)?;
    let ram_needed = layout.ram_size(table.slots.len()) as u64;
    if reserved.ram_size != ram_needed {
        problems.push(format!(
            "section {} holds {} bytes, {} objects with {} permission bytes (and the free map) need {ram_needed}",
            emit_c::RAM_SECTION,
            reserved.ram_size,
            table.slots.len(),
            layout.perm_bytes
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Mismatch(problems));
    }
    Ok(Built { table, types })
}

/// Writes `content` to `path` unless the file already holds exactly that, so that build
/// systems see no change when there is none. Returns whether it wrote.
pub fn write_if_changed(path: &std::path::Path, content: &[u8]) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    std::fs::write(path, content)?;
    Ok(true)
}
