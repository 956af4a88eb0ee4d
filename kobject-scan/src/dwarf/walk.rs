//! First pass over every DIE of every unit: keep the variables that have a static address and
//! the definitions of manifest struct tags (for the size-consistency check). Everything else is
//! skipped without decoding, which is what makes the scan fast.

use std::collections::HashMap;

use gimli::{constants, AttributeValue, Operation};

use super::{DieRef, Reader, UnitEntry, Units};
use crate::error::{Error, Result};

/// A variable DIE whose location is a static address (possibly 0: removed by the linker).
#[derive(Debug, Clone)]
pub struct Variable<'a> {
    pub unit: usize,
    pub die: DieRef,
    pub address: u64,
    /// `DW_AT_name`, decoded only for variables that hold objects.
    pub name: Option<gimli::AttributeValue<Reader<'a>>>,
    /// `DW_AT_specification` / `DW_AT_abstract_origin`: the DIE lending name and type.
    pub origin: Option<DieRef>,
    pub ty: Option<DieRef>,
    /// Innermost enclosing subprogram, for function statics.
    pub scope: Option<DieRef>,
}

/// A complete definition of a manifest struct tag.
#[derive(Debug, Clone)]
pub struct StructDef {
    /// Index into the manifest's types.
    pub spec: usize,
    pub size: Option<u64>,
    pub unit: usize,
    pub die: DieRef,
}

#[derive(Default)]
pub struct WalkResult<'a> {
    pub variables: Vec<Variable<'a>>,
    pub structs: Vec<StructDef>,
}

/// Walk unit `index`, appending to `out`. `tags` maps manifest struct tags to their index.
pub fn walk_unit<'a>(
    units: &Units<'a>,
    index: usize,
    tags: &HashMap<&[u8], usize>,
    out: &mut WalkResult<'a>,
) -> Result<()> {
    let Some(unit) = units.units.get(index) else {
        return Ok(());
    };
    let mut die = unit.start;
    let at = |die: usize| unit.location(Some(die));
    let dwarf_error = |die: usize| move |source| Error::Dwarf { at: at(die), source };
    let mut entries = unit.unit.entries_raw(None).map_err(dwarf_error(die))?;
    // Enclosing subprograms: (depth, DIE).
    let mut scopes: Vec<(isize, DieRef)> = Vec::new();
    while !entries.is_empty() {
        let depth = entries.next_depth();
        die = unit.start + entries.next_offset().0;
        let Some(abbrev) = entries.read_abbreviation().map_err(dwarf_error(die))? else {
            continue;
        };
        while scopes.last().is_some_and(|&(d, _)| d >= depth) {
            scopes.pop();
        }
        match abbrev.tag() {
            constants::DW_TAG_variable
                if abbrev.attributes().iter().any(|a| a.name() == constants::DW_AT_location) =>
            {
                let mut location = None;
                let mut name = None;
                let mut origin = None;
                let mut ty = None;
                for spec in abbrev.attributes() {
                    if !matches!(
                        spec.name(),
                        constants::DW_AT_location
                            | constants::DW_AT_name
                            | constants::DW_AT_specification
                            | constants::DW_AT_abstract_origin
                            | constants::DW_AT_type
                    ) {
                        entries.skip_attributes(std::slice::from_ref(spec)).map_err(dwarf_error(die))?;
                        continue;
                    }
                    let attr = entries.read_attribute(*spec).map_err(dwarf_error(die))?;
                    match attr.name() {
                        constants::DW_AT_location => location = Some(attr.value()),
                        constants::DW_AT_name => name = Some(attr.value()),
                        constants::DW_AT_specification | constants::DW_AT_abstract_origin => {
                            origin = units.reference(unit, die, &attr.value())?
                        }
                        constants::DW_AT_type => ty = units.reference(unit, die, &attr.value())?,
                        _ => {}
                    }
                }
                let Some(address) =
                    location.map(|l| static_address(units, unit, die, l)).transpose()?.flatten()
                else {
                    continue;
                };
                out.variables.push(Variable {
                    unit: index,
                    die: DieRef { sect: unit.sect, offset: die },
                    address,
                    name,
                    origin,
                    ty,
                    scope: scopes.last().map(|&(_, s)| s),
                });
            }
            constants::DW_TAG_structure_type | constants::DW_TAG_class_type if !tags.is_empty() => {
                let mut name = None;
                let mut size = None;
                let mut declaration = false;
                for spec in abbrev.attributes() {
                    let attr = entries.read_attribute(*spec).map_err(dwarf_error(die))?;
                    match attr.name() {
                        constants::DW_AT_name => name = Some(attr.value()),
                        constants::DW_AT_byte_size => size = attr.udata_value(),
                        constants::DW_AT_declaration => declaration = true,
                        _ => {}
                    }
                }
                if declaration {
                    continue;
                }
                let Some(name) = name else { continue };
                let name = units.dwarf.attr_string(&unit.unit, name).map_err(dwarf_error(die))?;
                if let Some(&spec) = tags.get(name.slice()) {
                    out.structs.push(StructDef {
                        spec,
                        size,
                        unit: index,
                        die: DieRef { sect: unit.sect, offset: die },
                    });
                }
            }
            constants::DW_TAG_subprogram => {
                entries.skip_attributes(abbrev.attributes()).map_err(dwarf_error(die))?;
                if abbrev.has_children() {
                    scopes.push((depth, DieRef { sect: unit.sect, offset: die }));
                }
            }
            _ => entries.skip_attributes(abbrev.attributes()).map_err(dwarf_error(die))?,
        }
    }
    Ok(())
}

/// The static address a location expression denotes: `DW_OP_addr`/`DW_OP_addrx`, optionally
/// plus a constant (`DW_OP_plus_uconst`, or `DW_OP_constu` + `DW_OP_plus`). `None` for anything
/// else: stack and register locations, location lists, TLS, computed values.
pub(crate) fn static_address(
    units: &Units<'_>,
    unit: &UnitEntry<'_>,
    die: usize,
    location: AttributeValue<Reader<'_>>,
) -> Result<Option<u64>> {
    let AttributeValue::Exprloc(expression) = location else {
        return Ok(None);
    };
    let dwarf_error = |source| Error::Dwarf { at: unit.location(Some(die)), source };
    let mut ops = expression.operations(unit.unit.encoding());
    let mut address = match ops.next().map_err(dwarf_error)? {
        Some(Operation::Address { address }) => address,
        Some(Operation::AddressIndex { index }) => {
            units.dwarf.address(&unit.unit, index).map_err(dwarf_error)?
        }
        _ => return Ok(None),
    };
    let mut pending_constant = None;
    while let Some(op) = ops.next().map_err(dwarf_error)? {
        match (op, pending_constant.take()) {
            (Operation::PlusConstant { value }, None) => address = address.wrapping_add(value),
            (Operation::UnsignedConstant { value }, None) => pending_constant = Some(value),
            (Operation::Plus, Some(value)) => address = address.wrapping_add(value),
            _ => return Ok(None),
        }
    }
    if pending_constant.is_some() {
        return Ok(None);
    }
    let bits = u32::from(unit.unit.header.address_size()) * 8;
    Ok(Some(if bits >= 64 { address } else { address & ((1u64 << bits) - 1) }))
}
