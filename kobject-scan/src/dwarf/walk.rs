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
                // Runs of attributes the scan does not need are skipped in one step each.
                let mut rest = abbrev.attributes();
                while !rest.is_empty() {
                    let skip = rest.iter().take_while(|spec| !needed_by_variable(spec.name())).count();
                    let (skipped, tail) = rest.split_at(skip);
                    entries.skip_attributes(skipped).map_err(dwarf_error(die))?;
                    let Some((spec, tail)) = tail.split_first() else { break };
                    rest = tail;
                    let attr = entries.read_attribute(*spec).map_err(dwarf_error(die))?;
                    match attr.name() {
                        constants::DW_AT_location => location = Some(attr.value()),
                        constants::DW_AT_name => name = Some(attr.value()),
                        constants::DW_AT_specification | constants::DW_AT_abstract_origin => {
                            origin = units.reference(unit, die, &attr.value())?
                        }
                        _ => ty = units.reference(unit, die, &attr.value())?,
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

/// The attributes of a variable DIE the first pass reads; all others are skipped.
fn needed_by_variable(name: constants::DwAt) -> bool {
    matches!(
        name,
        constants::DW_AT_location
            | constants::DW_AT_name
            | constants::DW_AT_specification
            | constants::DW_AT_abstract_origin
            | constants::DW_AT_type
    )
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
    evaluate(expression, unit.unit.encoding(), |index| units.dwarf.address(&unit.unit, index))
        .map_err(|source| Error::Dwarf { at: unit.location(Some(die)), source })
}

/// The address an expression denotes, if it is one of the static forms; `address_at` reads
/// `.debug_addr` for `DW_OP_addrx`.
fn evaluate<R: gimli::Reader>(
    expression: gimli::Expression<R>,
    encoding: gimli::Encoding,
    address_at: impl Fn(gimli::DebugAddrIndex<R::Offset>) -> gimli::Result<u64>,
) -> gimli::Result<Option<u64>> {
    let mut ops = expression.operations(encoding);
    let mut address = match ops.next()? {
        Some(Operation::Address { address }) => address,
        Some(Operation::AddressIndex { index }) => address_at(index)?,
        _ => return Ok(None),
    };
    let mut pending_constant = None;
    while let Some(op) = ops.next()? {
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
    let bits = u32::from(encoding.address_size) * 8;
    Ok(Some(if bits >= 64 { address } else { address & ((1u64 << bits) - 1) }))
}

#[cfg(test)]
mod tests {
    use super::evaluate;
    use gimli::{EndianSlice, LittleEndian};

    fn eval(bytes: &[u8], address_size: u8) -> Option<u64> {
        let encoding = gimli::Encoding { format: gimli::Format::Dwarf32, version: 5, address_size };
        let expression = gimli::Expression(EndianSlice::new(bytes, LittleEndian));
        evaluate(expression, encoding, |index| Ok(0x1000 + 4 * index.0 as u64)).expect("valid expression")
    }

    // Byte values from the DWARF 5 standard, section 7.7.1.
    const ADDR: u8 = 0x03;
    const ADDRX: u8 = 0xa1;
    const CONSTU: u8 = 0x10;
    const PLUS: u8 = 0x22;
    const PLUS_UCONST: u8 = 0x23;
    const FBREG: u8 = 0x91;
    const STACK_VALUE: u8 = 0x9f;

    #[test]
    fn static_forms() {
        assert_eq!(eval(&[ADDR, 0x10, 0x20, 0, 0], 4), Some(0x2010));
        assert_eq!(eval(&[ADDR, 0x10, 0x20, 0, 0, PLUS_UCONST, 0x08], 4), Some(0x2018));
        assert_eq!(eval(&[ADDR, 0x10, 0x20, 0, 0, CONSTU, 0x90, 0x01, PLUS], 4), Some(0x20a0));
        assert_eq!(eval(&[ADDRX, 0x02], 4), Some(0x1008));
        assert_eq!(eval(&[ADDRX, 0x02, PLUS_UCONST, 0x04], 8), Some(0x100c));
        // 32-bit arithmetic wraps at the address size.
        assert_eq!(eval(&[ADDR, 0xfc, 0xff, 0xff, 0xff, PLUS_UCONST, 0x08], 4), Some(4));
    }

    #[test]
    fn other_forms_are_not_static() {
        assert_eq!(eval(&[FBREG, 0x70], 4), None);
        assert_eq!(eval(&[ADDR, 0x10, 0x20, 0, 0, STACK_VALUE], 4), None);
        assert_eq!(eval(&[ADDR, 0x10, 0x20, 0, 0, CONSTU, 0x04], 4), None);
        assert_eq!(eval(&[CONSTU, 0x04, PLUS], 4), None);
        assert_eq!(eval(&[], 4), None);
    }
}
