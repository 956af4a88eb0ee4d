//! Reads the link inputs (relocatable objects and members of static archives) and finds
//! what goes into user memory:
//! - partition sections `.app_data.<part>` / `.app_bss.<part>` (from `K_APP_DMEM(part)` /
//!   `K_APP_BMEM(part)`),
//! - every `.data*` / `.bss*` section and COMMON symbol of an archive assigned whole to a
//!   partition,
//! - user stack objects: data symbols in `.user_stacks` / `.user_stacks.*` sections.
//!
//! Nothing here knows about MPU rules or linker-script syntax.

use std::collections::BTreeMap;
use std::path::PathBuf;

use object::read::archive::ArchiveFile;
use object::{Object, ObjectKind, ObjectSection, ObjectSymbol, SectionIndex, SymbolKind};

use crate::error::{Error, Result};
use crate::names::{is_named, BSS_PREFIX, DATA_PREFIX, STACK_SECTION};

/// One input section (or COMMON symbol) bound for user memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSection {
    /// `file` or `archive(member)`.
    pub origin: String,
    pub name: String,
    pub size: u64,
    pub align: u64,
}

/// The sections of one archive assigned whole to a partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryInputs {
    /// Archive file name as the linker script matches it, e.g. `libm.a`.
    pub archive: String,
    pub data: Vec<InputSection>,
    pub bss: Vec<InputSection>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionInputs {
    pub data: Vec<InputSection>,
    pub bss: Vec<InputSection>,
    pub libraries: Vec<LibraryInputs>,
}

/// A user stack object: a data symbol in a stack section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackInput {
    pub origin: String,
    pub symbol: String,
    /// Offset within its input section.
    pub offset: u64,
    pub size: u64,
    /// Alignment of its input section.
    pub section_align: u64,
}

/// Everything found in the link inputs, keyed by partition name (sorted, so output is
/// deterministic).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkInputs {
    pub partitions: BTreeMap<String, PartitionInputs>,
    pub stacks: Vec<StackInput>,
}

/// A static archive whose data and bss all belong to one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryAssignment {
    /// Archive file name, e.g. `libcrypto.a`.
    pub archive: String,
    pub partition: String,
}

impl std::str::FromStr for LibraryAssignment {
    type Err = String;

    /// `libfoo.a=part`
    fn from_str(text: &str) -> Result<Self, String> {
        let (archive, partition) =
            text.split_once('=').ok_or_else(|| format!("`{text}`: expected ARCHIVE=PARTITION"))?;
        if archive.is_empty() || archive.contains('/') {
            return Err(format!("`{archive}`: give the archive's file name, no directory"));
        }
        check_partition_name(partition).map_err(|reason| format!("`{text}`: {reason}"))?;
        Ok(LibraryAssignment { archive: archive.to_string(), partition: partition.to_string() })
    }
}

/// Partition names become parts of linker symbols and C identifiers.
pub fn check_partition_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if valid_start && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!("partition name `{name}` is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)"))
    }
}

/// Reads every input file (objects and archives) in order.
pub fn read_link_inputs(paths: &[PathBuf], libraries: &[LibraryAssignment]) -> Result<LinkInputs> {
    let mut found = LinkInputs::default();
    let mut used = vec![false; libraries.len()];
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        let display = path.display().to_string();
        if bytes.starts_with(b"!<arch>\n") {
            let file_name = path.file_name().and_then(|name| name.to_str());
            let assigned = libraries.iter().position(|library| Some(library.archive.as_str()) == file_name);
            if let Some(index) = assigned {
                if let Some(flag) = used.get_mut(index) {
                    *flag = true;
                }
            }
            let library = assigned.and_then(|index| libraries.get(index));
            read_archive(&bytes, &display, library, &mut found)?;
        } else {
            read_object(&bytes, &display, None, &mut found)?;
        }
    }
    for (library, used) in libraries.iter().zip(used) {
        if !used {
            return Err(Error::input(
                &library.archive,
                format!("assigned to partition `{}` but not among the link inputs", library.partition),
            ));
        }
    }
    Ok(found)
}

fn read_archive(
    bytes: &[u8],
    path: &str,
    library: Option<&LibraryAssignment>,
    found: &mut LinkInputs,
) -> Result<()> {
    let archive = ArchiveFile::parse(bytes)
        .map_err(|err| Error::input(path, format!("not a readable archive: {err}")))?;
    let mut whole =
        library.map(|library| LibraryInputs { archive: library.archive.clone(), ..LibraryInputs::default() });
    for member in archive.members() {
        let member = member.map_err(|err| Error::input(path, format!("bad archive member: {err}")))?;
        let name = String::from_utf8_lossy(member.name()).into_owned();
        let origin = format!("{path}({name})");
        let data =
            member.data(bytes).map_err(|err| Error::input(&origin, format!("unreadable member: {err}")))?;
        read_object(data, &origin, whole.as_mut(), found)?;
    }
    if let (Some(library), Some(whole)) = (library, whole) {
        let partition = found.partitions.entry(library.partition.clone());
        partition.or_default().libraries.push(whole);
    }
    Ok(())
}

fn read_object(
    bytes: &[u8],
    origin: &str,
    mut library: Option<&mut LibraryInputs>,
    found: &mut LinkInputs,
) -> Result<()> {
    let file = object::File::parse(bytes)
        .map_err(|err| Error::input(origin, format!("not a readable object file: {err}")))?;
    if file.kind() != ObjectKind::Relocatable {
        return Err(Error::input(origin, format!("is {:?}, not a relocatable object", file.kind())));
    }
    let mut stack_sections: Vec<(SectionIndex, u64)> = Vec::new();
    for section in file.sections() {
        let name = section.name().map_err(|err| Error::input(origin, format!("bad section name: {err}")))?;
        let input = InputSection {
            origin: origin.to_string(),
            name: name.to_string(),
            size: section.size(),
            align: section.align().max(1),
        };
        let place = || format!("{origin}: section {name}");
        if let Some(part) = name.strip_prefix(DATA_PREFIX) {
            check_partition_name(part).map_err(|reason| Error::input(place(), reason))?;
            found.partitions.entry(part.to_string()).or_default().data.push(input);
        } else if let Some(part) = name.strip_prefix(BSS_PREFIX) {
            check_partition_name(part).map_err(|reason| Error::input(place(), reason))?;
            found.partitions.entry(part.to_string()).or_default().bss.push(input);
        } else if is_stack_section(name) {
            stack_sections.push((section.index(), section.align().max(1)));
        } else if let Some(library) = library.as_deref_mut() {
            // The same globs as the fragment's `*lib.a:*(SORT_BY_ALIGNMENT(.data*))`.
            let target = if name.starts_with(".data") {
                Some(false)
            } else if name.starts_with(".bss") {
                Some(true)
            } else {
                None
            };
            if let Some(is_bss) = target {
                if is_bss {
                    library.bss.push(input);
                } else {
                    library.data.push(input);
                }
            }
        }
    }
    for symbol in file.symbols() {
        if symbol.is_common() {
            if let Some(library) = library.as_deref_mut() {
                let name = symbol.name().unwrap_or("?");
                // For ELF COMMON symbols the value holds the alignment.
                let align = symbol.address().max(1);
                library.bss.push(InputSection {
                    origin: origin.to_string(),
                    name: format!("COMMON {name}"),
                    size: symbol.size(),
                    align,
                });
            }
            continue;
        }
        let Some(index) = symbol.section_index() else {
            continue;
        };
        let Some(&(_, section_align)) = stack_sections.iter().find(|(i, _)| *i == index) else {
            continue;
        };
        if symbol.kind() != SymbolKind::Data {
            continue;
        }
        let name = symbol.name().map_err(|err| Error::input(origin, format!("bad symbol name: {err}")))?;
        found.stacks.push(StackInput {
            origin: origin.to_string(),
            symbol: name.to_string(),
            offset: symbol.address(),
            size: symbol.size(),
            section_align,
        });
    }
    Ok(())
}

pub fn is_stack_section(name: &str) -> bool {
    is_named(name, STACK_SECTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_are_identifiers() {
        assert!(check_partition_name("app_a1").is_ok());
        assert!(check_partition_name("1abc").is_err());
        assert!(check_partition_name("a-b").is_err());
        assert!(check_partition_name("").is_err());
    }

    #[test]
    fn library_assignments_parse() {
        let lib: LibraryAssignment = "libm.a=math".parse().unwrap();
        assert_eq!((lib.archive.as_str(), lib.partition.as_str()), ("libm.a", "math"));
        assert!("libm.a".parse::<LibraryAssignment>().is_err());
        assert!("dir/libm.a=math".parse::<LibraryAssignment>().is_err());
        assert!("libm.a=9".parse::<LibraryAssignment>().is_err());
    }

    #[test]
    fn stack_sections_match_whole_components() {
        assert!(is_stack_section(".user_stacks.t1"));
        assert!(!is_stack_section(".user_stacksx"));
    }
}
