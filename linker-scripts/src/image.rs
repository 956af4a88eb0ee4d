//! Reads a linked ELF image into plain section and symbol lists for the checker and the
//! report. Nothing here knows the rules.

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind, SymbolKind};

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSection {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    /// Occupies memory at run time (SHF_ALLOC).
    pub alloc: bool,
    pub write: bool,
}

impl ImageSection {
    pub fn end(&self) -> u64 {
        self.addr.saturating_add(self.size)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSymbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    /// A data object (STT_OBJECT), as opposed to code, sections or linker-script symbols.
    pub is_object: bool,
    /// Name of the section it is defined in; `None` for absolute symbols.
    pub section: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    pub sections: Vec<ImageSection>,
    pub symbols: Vec<ImageSymbol>,
}

impl Image {
    pub fn read(path: &Path) -> Result<Image> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        Image::parse(&bytes, &path.display().to_string())
    }

    /// Parses an executable ELF; `place` names it in errors.
    pub fn parse(bytes: &[u8], place: &str) -> Result<Image> {
        let file = object::File::parse(bytes)
            .map_err(|err| Error::input(place, format!("not a readable ELF image: {err}")))?;
        if file.kind() != object::ObjectKind::Executable {
            return Err(Error::input(place, format!("is {:?}, not a linked executable", file.kind())));
        }
        let mut image = Image::default();
        for section in file.sections() {
            let name =
                section.name().map_err(|err| Error::input(place, format!("bad section name: {err}")))?;
            let (alloc, write) = match section.flags() {
                SectionFlags::Elf { sh_flags } => (
                    sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
                    sh_flags & u64::from(object::elf::SHF_WRITE) != 0,
                ),
                _ => (section.kind() != SectionKind::Metadata, false),
            };
            image.sections.push(ImageSection {
                name: name.to_string(),
                addr: section.address(),
                size: section.size(),
                alloc,
                write,
            });
        }
        for symbol in file.symbols() {
            if symbol.is_undefined() || matches!(symbol.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            let name = symbol.name().map_err(|err| Error::input(place, format!("bad symbol name: {err}")))?;
            if name.is_empty() {
                continue;
            }
            let section = symbol
                .section_index()
                .and_then(|index| file.section_by_index(index).ok())
                .and_then(|section| section.name().ok().map(str::to_string));
            image.symbols.push(ImageSymbol {
                name: name.to_string(),
                addr: symbol.address(),
                size: symbol.size(),
                is_object: symbol.kind() == SymbolKind::Data,
                section,
            });
        }
        Ok(image)
    }

    pub fn section(&self, name: &str) -> Option<&ImageSection> {
        self.sections.iter().find(|section| section.name == name)
    }

    pub fn symbol(&self, name: &str) -> Option<&ImageSymbol> {
        self.symbols.iter().find(|symbol| symbol.name == name)
    }
}
