//! DWARF access: units of `.debug_info` and `.debug_types`, global DIE references across them,
//! and the first pass that finds every variable with a static address.

pub mod types;
mod walk;

use std::collections::HashMap;

use gimli::{AttributeValue, EndianSlice, RunTimeEndian, UnitSectionOffset};
use rayon::prelude::*;

use crate::error::{DieLocation, Error, Result};

pub(crate) use walk::static_address;
pub use walk::{walk_unit, StructDef, Variable, WalkResult};

pub type Reader<'a> = EndianSlice<'a, RunTimeEndian>;

/// Which section a DIE lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sect {
    Info,
    Types,
}

impl Sect {
    pub fn name(self) -> &'static str {
        match self {
            Sect::Info => ".debug_info",
            Sect::Types => ".debug_types",
        }
    }
}

/// A DIE anywhere in the image: section plus section offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DieRef {
    pub sect: Sect,
    pub offset: usize,
}

/// One parsed unit (compilation or type unit) and where it lies.
pub struct UnitEntry<'a> {
    pub sect: Sect,
    pub start: usize,
    pub end: usize,
    pub unit: gimli::Unit<Reader<'a>>,
}

impl UnitEntry<'_> {
    pub fn location(&self, die: Option<usize>) -> DieLocation {
        DieLocation { section: self.sect.name(), unit: self.start as u64, die: die.map(|d| d as u64) }
    }

    /// The unit's `DW_AT_name` (its main source file), for messages.
    pub fn name(&self) -> String {
        self.unit
            .name
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("<unnamed unit at {:#x}>", self.start))
    }

    pub fn die_ref(&self, offset: gimli::UnitOffset) -> DieRef {
        DieRef { sect: self.sect, offset: self.start + offset.0 }
    }

    pub fn unit_offset(&self, die: DieRef) -> gimli::UnitOffset {
        gimli::UnitOffset(die.offset - self.start)
    }
}

/// Parse a unit's abbreviations and the root attributes the scan needs (name, string-offset and
/// address bases). Unlike `gimli::Unit::new` it skips the line program, which the scan never
/// reads: a damaged `.debug_line` cannot fail the scan and no time is spent on it.
fn parse_unit<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    header: gimli::UnitHeader<Reader<'a>>,
) -> gimli::Result<gimli::Unit<Reader<'a>>> {
    let abbreviations = dwarf.abbreviations(&header)?;
    let encoding = header.encoding();
    let mut unit = gimli::Unit {
        header,
        abbreviations,
        name: None,
        comp_dir: None,
        low_pc: 0,
        str_offsets_base: gimli::DebugStrOffsetsBase::default_for_encoding_and_file(
            encoding,
            dwarf.file_type,
        ),
        addr_base: gimli::DebugAddrBase(0),
        loclists_base: gimli::DebugLocListsBase::default_for_encoding_and_file(encoding, dwarf.file_type),
        rnglists_base: gimli::DebugRngListsBase::default_for_encoding_and_file(encoding, dwarf.file_type),
        line_program: None,
        dwo_id: None,
    };
    let mut name = None;
    {
        let mut cursor = unit.header.entries(&unit.abbreviations);
        cursor.next_dfs()?;
        let root = cursor.current().ok_or(gimli::Error::MissingUnitDie)?;
        let mut attrs = root.attrs();
        while let Some(attr) = attrs.next()? {
            match (attr.name(), attr.value()) {
                (gimli::DW_AT_name, value) => name = Some(value),
                (gimli::DW_AT_str_offsets_base, AttributeValue::DebugStrOffsetsBase(base)) => {
                    unit.str_offsets_base = base
                }
                (
                    gimli::DW_AT_addr_base | gimli::DW_AT_GNU_addr_base,
                    AttributeValue::DebugAddrBase(base),
                ) => unit.addr_base = base,
                _ => {}
            }
        }
    }
    unit.name = name.and_then(|value| dwarf.attr_string(&unit, value).ok());
    Ok(unit)
}

/// All units of an image, indexed for lookups by global DIE offset and by type signature.
pub struct Units<'a> {
    pub dwarf: &'a gimli::Dwarf<Reader<'a>>,
    /// Sorted by (section, start).
    pub units: Vec<UnitEntry<'a>>,
    signatures: HashMap<u64, DieRef>,
}

fn section_of(offset: UnitSectionOffset) -> (Sect, usize) {
    match offset {
        UnitSectionOffset::DebugInfoOffset(o) => (Sect::Info, o.0),
        UnitSectionOffset::DebugTypesOffset(o) => (Sect::Types, o.0),
    }
}

impl<'a> Units<'a> {
    pub fn load(dwarf: &'a gimli::Dwarf<Reader<'a>>) -> Result<Units<'a>> {
        let mut headers = Vec::new();
        let mut iter = dwarf.units();
        loop {
            let offset = headers
                .last()
                .map(|h: &gimli::UnitHeader<Reader>| section_of(h.offset()).1 + h.length_including_self())
                .unwrap_or(0);
            match iter.next() {
                Ok(Some(h)) => headers.push(h),
                Ok(None) => break,
                Err(source) => {
                    return Err(Error::UnitHeader {
                        section: Sect::Info.name(),
                        offset: offset as u64,
                        source,
                    })
                }
            }
        }
        let info_count = headers.len();
        let mut iter = dwarf.type_units();
        loop {
            let offset = headers[info_count..]
                .last()
                .map(|h| section_of(h.offset()).1 + h.length_including_self())
                .unwrap_or(0);
            match iter.next() {
                Ok(Some(h)) => headers.push(h),
                Ok(None) => break,
                Err(source) => {
                    return Err(Error::UnitHeader {
                        section: Sect::Types.name(),
                        offset: offset as u64,
                        source,
                    })
                }
            }
        }
        let mut signatures = HashMap::new();
        for header in &headers {
            let (sect, start) = section_of(header.offset());
            if let gimli::UnitType::Type { type_signature, type_offset } = header.type_() {
                signatures.insert(type_signature.0, DieRef { sect, offset: start + type_offset.0 });
            }
        }
        // Abbreviation tables are independent: parse them on all cores.
        let mut units = headers
            .into_par_iter()
            .map(|header| {
                let (sect, start) = section_of(header.offset());
                let end = start + header.length_including_self();
                let at = DieLocation { section: sect.name(), unit: start as u64, die: None };
                let unit = parse_unit(dwarf, header).map_err(|source| Error::Dwarf { at, source })?;
                Ok(UnitEntry { sect, start, end, unit })
            })
            .collect::<Vec<Result<_>>>()
            .into_iter()
            // The first failing unit in section order, whichever core failed first.
            .collect::<Result<Vec<_>>>()?;
        units.sort_by_key(|u| (u.sect, u.start));
        Ok(Units { dwarf, units, signatures })
    }

    /// Drop every unit's abbreviation table (a large share of the scan's memory). DIEs cannot
    /// be read afterwards; unit names and offsets stay.
    pub fn release_abbreviations(&mut self) {
        for unit in &mut self.units {
            unit.unit.abbreviations = std::sync::Arc::default();
        }
    }

    /// Index of the unit holding `die`.
    pub fn unit_of(&self, die: DieRef) -> Option<usize> {
        let after = self.units.partition_point(|u| (u.sect, u.start) <= (die.sect, die.offset));
        let index = after.checked_sub(1)?;
        let unit = self.units.get(index)?;
        (unit.sect == die.sect && die.offset < unit.end).then_some(index)
    }

    /// Resolve a reference-class attribute value found in unit `from` to a global DIE.
    /// `Ok(None)`: not a reference at all.
    pub fn reference(
        &self,
        from: &UnitEntry<'a>,
        die: usize,
        value: &AttributeValue<Reader<'a>>,
    ) -> Result<Option<DieRef>> {
        let unsupported = |message: String| Error::Unsupported { at: from.location(Some(die)), message };
        let target = match *value {
            // The common case: inside this unit, no lookup needed.
            AttributeValue::UnitRef(offset) if from.start + offset.0 < from.end => {
                return Ok(Some(from.die_ref(offset)))
            }
            AttributeValue::UnitRef(offset) => from.die_ref(offset),
            AttributeValue::DebugInfoRef(offset) => DieRef { sect: Sect::Info, offset: offset.0 },
            AttributeValue::DebugTypesRef(signature) => {
                *self.signatures.get(&signature.0).ok_or_else(|| {
                    unsupported(format!(
                        "reference to type signature {:#018x}, which no type unit defines",
                        signature.0
                    ))
                })?
            }
            AttributeValue::DebugInfoRefSup(_) => {
                return Err(unsupported(
                    "reference into a supplementary object file (DW_FORM_ref_sup/GNU_ref_alt)".into(),
                ))
            }
            _ => return Ok(None),
        };
        if self.unit_of(target).is_none() {
            return Err(unsupported(format!(
                "reference to {:#x} in {}, which is in no unit",
                target.offset,
                target.sect.name()
            )));
        }
        Ok(Some(target))
    }

    pub fn location(&self, die: DieRef) -> DieLocation {
        match self.unit_of(die).and_then(|i| self.units.get(i)) {
            Some(unit) => unit.location(Some(die.offset)),
            None => DieLocation { section: die.sect.name(), unit: 0, die: Some(die.offset as u64) },
        }
    }

    /// Read the DIE at `die` with its attributes.
    pub fn entry(
        &self,
        die: DieRef,
    ) -> Result<(&UnitEntry<'a>, gimli::DebuggingInformationEntry<'_, '_, Reader<'a>>)> {
        let unit = self.unit_of(die).and_then(|i| self.units.get(i)).ok_or_else(|| Error::Unsupported {
            at: self.location(die),
            message: "DIE offset outside every unit".into(),
        })?;
        let entry = unit
            .unit
            .entry(unit.unit_offset(die))
            .map_err(|source| Error::Dwarf { at: unit.location(Some(die.offset)), source })?;
        Ok((unit, entry))
    }
}

/// Name, type and origin (`DW_AT_specification` or `DW_AT_abstract_origin`) of one DIE.
pub struct DieBasics {
    pub name: Option<String>,
    pub ty: Option<DieRef>,
    pub origin: Option<DieRef>,
}

impl Units<'_> {
    pub fn basics(&self, die: DieRef) -> Result<DieBasics> {
        let (unit, entry) = self.entry(die)?;
        let mut basics = DieBasics { name: None, ty: None, origin: None };
        let mut attrs = entry.attrs();
        let dwarf_error = |source| Error::Dwarf { at: unit.location(Some(die.offset)), source };
        while let Some(attr) = attrs.next().map_err(dwarf_error)? {
            match attr.name() {
                gimli::DW_AT_name => {
                    let name = self.dwarf.attr_string(&unit.unit, attr.value()).map_err(dwarf_error)?;
                    basics.name = Some(name.to_string_lossy().into_owned());
                }
                gimli::DW_AT_type => basics.ty = self.reference(unit, die.offset, &attr.value())?,
                gimli::DW_AT_specification | gimli::DW_AT_abstract_origin => {
                    basics.origin = self.reference(unit, die.offset, &attr.value())?
                }
                _ => {}
            }
        }
        Ok(basics)
    }

    /// Name and type of a DIE, completed from its chain of declarations/abstract origins.
    pub fn name_and_type(
        &self,
        mut name: Option<String>,
        mut ty: Option<DieRef>,
        mut origin: Option<DieRef>,
    ) -> Result<(Option<String>, Option<DieRef>)> {
        // Real chains are one or two links long; the limit only stops cycles.
        for _ in 0..16 {
            if name.is_some() && ty.is_some() {
                break;
            }
            let Some(next) = origin else { break };
            let basics = self.basics(next)?;
            name = name.or(basics.name);
            ty = ty.or(basics.ty);
            origin = basics.origin;
        }
        Ok((name, ty))
    }
}
