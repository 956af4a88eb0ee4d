//! The ELF side of an image: allocated sections (to place objects and read pointers) and the raw
//! DWARF sections. Knows nothing of DWARF semantics.

use std::borrow::Cow;

use object::{Object as _, ObjectSection as _};

use crate::error::{Error, Result};
use crate::model::Target;

/// An allocated section: where objects can live and from which pointers are read.
#[derive(Debug)]
pub struct Section<'data> {
    pub name: String,
    pub address: u64,
    pub size: u64,
    /// File contents; `None` for sections without file data (`.bss`, `.noinit`): all zero.
    pub data: Option<&'data [u8]>,
}

impl Section<'_> {
    fn end(&self) -> u64 {
        self.address.saturating_add(self.size)
    }
}

/// The section [`Image::section_containing_after`] found last, with its bounds at hand.
#[derive(Debug, Clone, Copy)]
pub struct LastSection {
    index: usize,
    start: u64,
    /// Objects starting here or later are not in it, or another section starts before them.
    limit: u64,
    end: u64,
}

impl Default for LastSection {
    /// None yet: holds no address.
    fn default() -> Self {
        LastSection { index: 0, start: u64::MAX, limit: 0, end: 0 }
    }
}

pub struct Image<'data> {
    file: object::File<'data>,
    pub target: Target,
    /// Allocated, non-TLS sections sorted by address.
    sections: Vec<Section<'data>>,
}

impl<'data> Image<'data> {
    pub fn parse(bytes: &'data [u8]) -> Result<Image<'data>> {
        let file = object::File::parse(bytes)?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(Error::NotElf);
        }
        let target =
            Target { address_size: if file.is_64() { 8 } else { 4 }, big_endian: !file.is_little_endian() };
        let mut sections = Vec::new();
        for section in file.sections() {
            let object::SectionFlags::Elf { sh_flags } = section.flags() else {
                continue;
            };
            let alloc = sh_flags & u64::from(object::elf::SHF_ALLOC) != 0;
            // Thread-local sections overlap ordinary ones; objects never live there.
            let tls = sh_flags & u64::from(object::elf::SHF_TLS) != 0;
            if !alloc || tls || section.size() == 0 {
                continue;
            }
            let name = section.name().map_err(|e| Error::Section {
                section: format!("#{}", section.index().0),
                message: e.to_string(),
            })?;
            let data = if section.kind() == object::SectionKind::UninitializedData
                || section.kind() == object::SectionKind::UninitializedTls
            {
                None
            } else {
                Some(
                    section
                        .data()
                        .map_err(|e| Error::Section { section: name.to_string(), message: e.to_string() })?,
                )
            };
            sections.push(Section {
                name: name.to_string(),
                address: section.address(),
                size: section.size(),
                data,
            });
        }
        sections.sort_by(|a, b| (a.address, &a.name).cmp(&(b.address, &b.name)));
        Ok(Image { file, target, sections })
    }

    /// Index (into [`Image::sections`]) of the section wholly containing
    /// `[address, address + size)`.
    pub fn section_containing(&self, address: u64, size: u64) -> Option<usize> {
        let end = address.checked_add(size)?;
        let after = self.sections.partition_point(|s| s.address <= address);
        (0..after).rev().find(|&i| {
            self.sections.get(i).is_some_and(|s| end <= s.end() && (size > 0 || address < s.end()))
        })
    }

    /// [`Image::section_containing`] for objects that come in address order: the section of the
    /// previous one, remembered in `last`, usually answers without a search.
    #[inline]
    pub fn section_containing_after(&self, address: u64, size: u64, last: &mut LastSection) -> Option<usize> {
        // The last section is the answer when it is also the last section starting at or before
        // `address`, which is where the search would begin.
        if last.start <= address && address < last.limit && size <= last.end - address {
            return Some(last.index);
        }
        let index = self.section_containing(address, size)?;
        let section = self.sections.get(index)?;
        let next_start = self.sections.get(index + 1).map_or(u64::MAX, |next| next.address);
        *last = LastSection {
            index,
            start: section.address,
            limit: next_start.min(section.end()),
            end: section.end(),
        };
        Some(index)
    }

    /// Allocated, non-TLS sections sorted by address.
    pub fn sections(&self) -> &[Section<'data>] {
        &self.sections
    }

    /// Read an address-sized word at `address` from the image's section data.
    pub fn read_address(&self, address: u64) -> Option<u64> {
        let width = u64::from(self.target.address_size);
        let section = self.sections.get(self.section_containing(address, width)?)?;
        let Some(data) = section.data else {
            return Some(0);
        };
        let start = usize::try_from(address - section.address).ok()?;
        let bytes = data.get(start..start.checked_add(usize::from(self.target.address_size))?)?;
        let mut word = [0u8; 8];
        let value = if self.target.big_endian {
            word[8 - bytes.len()..].copy_from_slice(bytes);
            u64::from_be_bytes(word)
        } else {
            word[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(word)
        };
        Some(value)
    }

    /// Contents of a (debug) section, decompressed if needed; empty if absent.
    pub fn section_bytes(&self, name: &str) -> Result<Cow<'data, [u8]>> {
        match self.file.section_by_name(name) {
            None => Ok(Cow::Borrowed(&[])),
            Some(section) => section
                .uncompressed_data()
                .map_err(|e| Error::Section { section: name.to_string(), message: e.to_string() }),
        }
    }

    pub fn has_section(&self, name: &str) -> bool {
        self.file.section_by_name(name).is_some()
    }
}
