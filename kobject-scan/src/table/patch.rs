//! Writing an encoded table into the reserved sections of a linked ELF, and reading it back.
//!
//! The first link reserves [`Layout::rom_size`] bytes in [`ROM_SECTION`] (with file data) and
//! [`Layout::ram_size`] in [`RAM_SECTION`] (whose initial contents are zeros: the kernel sets
//! them up at boot from the ROM part). Patching overwrites the ROM bytes at
//! the section's file offset; nothing else in the file moves, so every address the scan saw
//! stays where it was.
//!
//! An image whose `k_object_find` is [`super::thumb`]'s code (it defines
//! [`thumb::POOL_SYMBOL`]) has its two patch sites rewritten too, once every other byte of the
//! function is checked to be the code generated for the table's count at the table's address;
//! anything else is refused. Reading a table back checks the whole function against the table.

use object::{Object as _, ObjectSection as _, ObjectSymbol as _};
use thiserror::Error;

use super::emit_c::{RAM_SECTION, ROM_SECTION};
use super::layout::{DecodeError, Layout, ObjectTable};
use super::thumb;

#[derive(Debug, Error)]
pub enum PatchError {
    #[error("not an ELF file this tool can read: {0}")]
    Elf(#[from] object::Error),
    #[error("section {0} is missing: link with the object table's reserved sections")]
    MissingSection(&'static str),
    #[error(
        "section {section} holds {found} bytes, but a table of {count} objects ({stacks} stacks) \
         needs {expected}: the reservation was sized for other counts"
    )]
    WrongSize { section: &'static str, count: usize, stacks: usize, expected: u64, found: u64 },
    #[error("section {0} has no file contents to patch (it must be PROGBITS, not NOBITS)")]
    NoFileData(&'static str),
    #[error("section {section}: {error}")]
    Decode { section: &'static str, error: DecodeError },
    #[error("k_object_find at {address:#x}: {reason}")]
    Lookup { address: u64, reason: String },
}

/// Where the generated Thumb-2 `k_object_find` is in an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupSite {
    /// The function's first byte (its symbol without the Thumb bit).
    pub address: u64,
    pub size: u64,
    /// File offset of its first byte.
    pub offset: u64,
    /// [`thumb::POOL_SYMBOL`], from the function's start.
    pub pool: u64,
}

/// The generated lookup of `elf`, or `None` when the image's `k_object_find` is not
/// [`super::thumb`]'s code (no [`thumb::POOL_SYMBOL`]: a C lookup, nothing to patch).
pub fn locate_lookup(elf: &[u8]) -> Result<Option<LookupSite>, PatchError> {
    let file = object::File::parse(elf)?;
    let Some(pool) = file.symbols().find(|s| s.name() == Ok(thumb::POOL_SYMBOL)) else {
        return Ok(None);
    };
    let bad = |address, reason: &str| PatchError::Lookup { address, reason: reason.to_owned() };
    let find = file
        .symbols()
        .find(|s| s.name() == Ok("k_object_find"))
        .ok_or_else(|| bad(0, &format!("missing, though the image defines {}", thumb::POOL_SYMBOL)))?;
    let address = find.address() & !1;
    if find.address() & 1 == 0 || address % 4 != 0 {
        return Err(bad(find.address(), "not a 4-byte aligned Thumb function"));
    }
    let pool = pool
        .address()
        .checked_sub(address)
        .filter(|&p| p <= find.size())
        .ok_or_else(|| bad(address, &format!("{} lies outside the function", thumb::POOL_SYMBOL)))?;
    let section = find
        .section_index()
        .and_then(|i| file.section_by_index(i).ok())
        .ok_or_else(|| bad(address, "in no section"))?;
    let (start, size) = section.file_range().ok_or_else(|| bad(address, "in a section without file data"))?;
    let offset = start + (address - section.address());
    if address + find.size() > section.address() + size {
        return Err(bad(address, "extends past its section's file data"));
    }
    Ok(Some(LookupSite { address, size: find.size(), offset, pool }))
}

/// The code [`super::thumb`] generates for `table` at `rom_address`, checked against where
/// the image has room for it.
fn expected_lookup(
    site: &LookupSite,
    table: &ObjectTable,
    rom_address: u64,
) -> Result<thumb::LookupCode, PatchError> {
    let bad = |reason: String| PatchError::Lookup { address: site.address, reason };
    if !thumb::supports(&table.layout) {
        return Err(bad(
            "the generated Thumb-2 lookup in an image whose table is not 32-bit little-endian".into()
        ));
    }
    let count = table.slots.len();
    let code = thumb::lookup(&table.layout, count, table.align_mask, table.mphf.mul, rom_address)
        .map_err(|e| bad(e.to_string()))?;
    if code.bytes.len() as u64 != site.size || code.pool as u64 != site.pool {
        return Err(bad(format!(
            "{} bytes with its pool at {}, but the lookup for {count} objects has {} bytes with its pool at {} \
             (generated for other counts, or not by kobject-scan)",
            site.size,
            site.pool,
            code.bytes.len(),
            code.pool
        )));
    }
    Ok(code)
}

/// The first byte of `found` that differs from `code` outside the patch sites (all of them
/// when `sites` is false).
fn first_difference(found: &[u8], code: &thumb::LookupCode, skip_sites: bool) -> Option<usize> {
    (0..code.bytes.len()).find(|&i| {
        !(skip_sites && code.sites.iter().any(|s| s.contains(&i))) && found.get(i) != Some(&code.bytes[i])
    })
}

/// Writes `table`'s lookup into `out` (an image with the generated lookup at `site`).
fn patch_lookup(
    out: &mut [u8],
    site: &LookupSite,
    table: &ObjectTable,
    rom_address: u64,
) -> Result<(), PatchError> {
    let code = expected_lookup(site, table, rom_address)?;
    let start = site.offset as usize;
    let found = out
        .get_mut(start..start + code.bytes.len())
        .ok_or(PatchError::Lookup { address: site.address, reason: "outside the file".into() })?;
    if let Some(i) = first_difference(found, &code, true) {
        return Err(PatchError::Lookup {
            address: site.address,
            reason: format!(
                "byte {i} is {:#04x} where the generated lookup has {:#04x}: not the code kobject-scan generates \
                 for {} objects at this table's address, so it is left alone",
                found[i],
                code.bytes[i],
                table.slots.len()
            ),
        });
    }
    found.copy_from_slice(&code.bytes);
    Ok(())
}

/// Checks that `elf`'s generated lookup, if it has one, is exactly the code for `table`.
pub fn check_lookup(elf: &[u8], table: &ObjectTable) -> Result<(), PatchError> {
    let Some(site) = locate_lookup(elf)? else { return Ok(()) };
    let rom_address = locate(elf)?.rom_address;
    let code = expected_lookup(&site, table, rom_address)?;
    let start = site.offset as usize;
    let found = elf.get(start..start + code.bytes.len()).unwrap_or_default();
    if let Some(i) = first_difference(found, &code, false) {
        return Err(PatchError::Lookup {
            address: site.address,
            reason: format!(
                "byte {i} is {:#04x}, but the lookup for this table has {:#04x}: its code does not match its table",
                found.get(i).copied().unwrap_or_default(),
                code.bytes[i]
            ),
        });
    }
    Ok(())
}

/// Where the reserved sections are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserved {
    pub rom_address: u64,
    pub rom_size: u64,
    /// File offset of the ROM section's bytes.
    pub rom_offset: u64,
    pub ram_address: u64,
    pub ram_size: u64,
}

/// Finds the reserved sections of `elf`.
pub fn locate(elf: &[u8]) -> Result<Reserved, PatchError> {
    let file = object::File::parse(elf)?;
    let rom = file.section_by_name(ROM_SECTION).ok_or(PatchError::MissingSection(ROM_SECTION))?;
    // A table of no objects has no RAM part, and the linker drops an empty section.
    let ram = file.section_by_name(RAM_SECTION);
    let (rom_offset, file_size) = rom.file_range().ok_or(PatchError::NoFileData(ROM_SECTION))?;
    if file_size != rom.size() {
        return Err(PatchError::NoFileData(ROM_SECTION));
    }
    Ok(Reserved {
        rom_address: rom.address(),
        rom_size: rom.size(),
        rom_offset,
        ram_address: ram.as_ref().map_or(0, |s| s.address()),
        ram_size: ram.as_ref().map_or(0, |s| s.size()),
    })
}

/// Returns `elf` with `table` written into its reserved ROM section.
pub fn patch(elf: &[u8], table: &ObjectTable) -> Result<Vec<u8>, PatchError> {
    let reserved = locate(elf)?;
    let (count, stacks) = (table.slots.len(), table.stacks.len());
    let layout = table.layout;
    for (section, expected, found) in [
        (ROM_SECTION, layout.rom_size(count, stacks) as u64, reserved.rom_size),
        (RAM_SECTION, layout.ram_size(count) as u64, reserved.ram_size),
    ] {
        if expected != found {
            return Err(PatchError::WrongSize { section, count, stacks, expected, found });
        }
    }
    let bytes = table.encode_rom(reserved.rom_address, reserved.ram_address);
    let mut out = elf.to_vec();
    let start = reserved.rom_offset as usize;
    let target = out.get_mut(start..start + bytes.len()).ok_or(PatchError::NoFileData(ROM_SECTION))?;
    target.copy_from_slice(&bytes);
    if let Some(site) = locate_lookup(elf)? {
        patch_lookup(&mut out, &site, table, reserved.rom_address)?;
    }
    Ok(out)
}

/// Decodes the table in `elf`'s ROM section (its counts come from its header; `layout` gives
/// the pointer size and byte order), and checks the generated lookup against it.
pub fn read_table(elf: &[u8], layout: Layout) -> Result<ObjectTable, PatchError> {
    let reserved = locate(elf)?;
    let start = reserved.rom_offset as usize;
    let bytes =
        elf.get(start..start + reserved.rom_size as usize).ok_or(PatchError::NoFileData(ROM_SECTION))?;
    let table = ObjectTable::decode_rom(bytes, reserved.rom_address, layout)
        .map_err(|error| PatchError::Decode { section: ROM_SECTION, error })?;
    check_lookup(elf, &table)?;
    Ok(table)
}
