//! Writing an encoded table into the reserved sections of a linked ELF, and reading it back.
//!
//! The first link reserves [`Layout::rom_size`] bytes in [`ROM_SECTION`] (with file data) and
//! [`Layout::ram_size`] in [`RAM_SECTION`] (whose initial contents are zeros: the kernel sets
//! them up at boot from the ROM part). Patching overwrites the ROM bytes at
//! the section's file offset; nothing else in the file moves, so every address the scan saw
//! stays where it was.

use object::{Object as _, ObjectSection as _};
use thiserror::Error;

use super::emit_c::{RAM_SECTION, ROM_SECTION};
use super::layout::{DecodeError, Layout, ObjectTable};

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
    Ok(out)
}

/// Decodes the table in `elf`'s ROM section (its counts come from its header; `layout` gives
/// the pointer size and byte order).
pub fn read_table(elf: &[u8], layout: Layout) -> Result<ObjectTable, PatchError> {
    let reserved = locate(elf)?;
    let start = reserved.rom_offset as usize;
    let bytes =
        elf.get(start..start + reserved.rom_size as usize).ok_or(PatchError::NoFileData(ROM_SECTION))?;
    ObjectTable::decode_rom(bytes, reserved.rom_address, layout)
        .map_err(|error| PatchError::Decode { section: ROM_SECTION, error })
}
