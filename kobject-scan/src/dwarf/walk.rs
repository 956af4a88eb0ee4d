//! First pass over every DIE of every unit: keep the variables that have a static address and
//! the definitions of manifest struct tags (for the size-consistency check). Everything else is
//! skipped without decoding, which is what makes the scan fast.

use std::collections::BTreeMap;

use gimli::{constants, AttributeValue, Operation, Reader as _, ReaderOffset as _};
use rustc_hash::FxHashMap;

use super::{form, Abbrev, AttributeAt, Die, DieRef, Reader, Role, UnitDies, VariableAttrs};
use crate::error::Boxed as Result;

/// A variable DIE whose location is a static address (possibly 0: removed by the linker).
#[derive(Debug, Clone)]
pub struct Variable {
    pub unit: usize,
    pub die: DieRef,
    pub address: u64,
    /// Where `DW_AT_name` is: decoded only for variables that hold objects.
    pub name: Option<AttributeAt>,
    /// `DW_AT_specification` / `DW_AT_abstract_origin`: the DIE lending name and type.
    pub origin: Option<DieRef>,
    pub ty: Option<DieRef>,
    /// Innermost enclosing subprogram, for function statics.
    pub scope: Option<DieRef>,
}

/// Where a complete definition of a manifest struct tag is.
#[derive(Debug, Clone)]
pub struct StructDef {
    pub unit: usize,
    pub die: DieRef,
}

/// The first definition of each manifest struct tag (by manifest index) with each size: all
/// the size-consistency check reports, in the space of a few entries per tag.
pub type StructSizes = BTreeMap<(usize, u64), StructDef>;

#[derive(Default)]
pub struct WalkResult {
    pub variables: Vec<Variable>,
    pub structs: StructSizes,
    /// The manifest index (if any) of each struct name met so far, by its `.debug_str` offset:
    /// the linker merges equal strings, so the units defining a struct name it by one offset,
    /// and only the first of them has the name read.
    tags_by_str: FxHashMap<usize, Option<usize>>,
}

/// Walk `unit`, appending to `out`. `tags` maps manifest struct tags to their index.
///
/// The loop works on the unit's bytes with plain offsets: nearly every DIE is skipped by
/// adding its abbreviation's size, and nearly every variable read through its plan. Whatever
/// that fast path cannot decide (a DIE running past the end, a rare form, a reference out of
/// the unit) goes through the general reader, which gives the same result or gimli's error.
pub fn walk_unit(
    unit: &UnitDies<'_, '_>,
    tags: &FxHashMap<&[u8], usize>,
    out: &mut WalkResult,
) -> Result<()> {
    let sect = unit.entry.sect;
    let table = &*unit.table;
    let bytes = unit.entries.slice();
    let base = unit.entries_start;
    let address_size = unit.encoding().address_size;
    let endian = unit.entries.endian();
    // Depth of the next DIE, and the enclosing subprograms with their depths.
    let mut depth: isize = 0;
    let mut scopes: Vec<(isize, DieRef)> = Vec::new();
    let mut pos = 0;
    while let Some(&first) = bytes.get(pos) {
        let offset = base + pos;
        let (code, attrs) = match first {
            0 => {
                depth -= 1;
                pos += 1;
                continue;
            }
            1..0x80 => (u64::from(first), pos + 1),
            _ => {
                let mut cursor = unit.cursor_at(offset).map_err(|e| unit.error(offset, e))?;
                let code = form::uleb128(&mut cursor).map_err(|e| unit.error(offset, e))?;
                if code == 0 {
                    depth -= 1;
                    pos = unit.offset_of(&cursor) - base;
                    continue;
                }
                (code, unit.offset_of(&cursor) - base)
            }
        };
        let abbrev = table.get(code).map_err(|e| unit.error(offset, e))?;
        while scopes.last().is_some_and(|&(d, _)| d >= depth) {
            scopes.pop();
        }
        let here = DieRef { sect, offset };
        let die = || Die { offset, abbrev: *abbrev, attrs: base + attrs };
        pos = match abbrev.role {
            Role::Variable => {
                // Most variables are locals: their location alone settles them, and only static
                // ones have their references read.
                let quick = table.variable_plan(abbrev).and_then(|plan| {
                    let layout = unit.planned_layout(plan, attrs)?;
                    let found =
                        match quick_static_address(unit.planned_location(&layout), address_size, endian)? {
                            Some(address) => Some((address, unit.planned_references(plan, &layout)?)),
                            None => None,
                        };
                    Some((layout.end, found))
                });
                let (end, found) = match quick {
                    Some(quick) => quick,
                    None => {
                        let mut attrs = VariableAttrs::default();
                        let end = unit.variable_attributes(&die(), &mut attrs)?;
                        let address =
                            attrs.location.map(|l| static_address(unit, offset, l)).transpose()?.flatten();
                        (end - base, address.map(|address| (address, (attrs.name, attrs.ty, attrs.origin))))
                    }
                };
                if let Some((address, (name, ty, origin))) = found {
                    out.variables.push(Variable {
                        unit: unit.index,
                        die: here,
                        address,
                        name,
                        origin,
                        ty,
                        scope: scopes.last().map(|&(_, s)| s),
                    });
                }
                end
            }
            Role::Subprogram | Role::Struct | Role::Other => {
                if abbrev.role == Role::Subprogram && abbrev.has_children {
                    scopes.push((depth, here));
                }
                if abbrev.role == Role::Struct && !tags.is_empty() {
                    struct_definition(unit, abbrev, here, attrs, tags, out)?;
                }
                match table.skip_raw(bytes, attrs, abbrev) {
                    Some(end) => end,
                    None => {
                        let mut cursor = unit.cursor_at(base + attrs).map_err(|e| unit.error(offset, e))?;
                        table.skip_attributes(&mut cursor, abbrev).map_err(|e| unit.error(offset, e))?;
                        unit.offset_of(&cursor) - base
                    }
                }
            }
        };
        if abbrev.has_children {
            depth += 1;
        }
    }
    Ok(())
}

/// Record the struct `die`, whose attributes start at `attrs` (an offset in the unit's DIE
/// bytes), in `out.structs` if it is a definition of a manifest tag. Its name and size are read
/// straight from the bytes where the abbreviation has them at fixed places (a declaration not at
/// all), else through the general reader.
fn struct_definition<'a>(
    unit: &UnitDies<'_, 'a>,
    abbrev: &Abbrev,
    die: DieRef,
    attrs: usize,
    tags: &FxHashMap<&[u8], usize>,
    out: &mut WalkResult,
) -> Result<()> {
    let offset = die.offset;
    let definition = match unit.table.struct_plan_of(abbrev) {
        Some(plan) => {
            let (bytes, endian) = (unit.entries.slice(), unit.entries.endian());
            let field = |place: Option<(u16, u8)>| {
                let (at, len) = place?;
                let at = attrs + usize::from(at);
                form::uint_raw(bytes.get(at..at + usize::from(len))?, endian)
            };
            match (plan.declaration, field(plan.name)) {
                (false, Some(name)) => usize::try_from(name).ok().map(|name| {
                    (AttributeValue::DebugStrRef(gimli::DebugStrOffset(name)), field(plan.byte_size))
                }),
                _ => None,
            }
        }
        None => {
            let (mut name, mut size, mut declaration) = (None, None, false);
            unit.attributes(
                &Die { offset, abbrev: *abbrev, attrs: unit.entries_start + attrs },
                |name| {
                    matches!(
                        name,
                        constants::DW_AT_name | constants::DW_AT_byte_size | constants::DW_AT_declaration
                    )
                },
                |attr, value| {
                    match attr {
                        constants::DW_AT_name => name = Some(value),
                        constants::DW_AT_byte_size => size = value.udata_value(),
                        _ => declaration = true,
                    }
                    Ok(())
                },
            )?;
            name.filter(|_| !declaration).map(|name| (name, size))
        }
    };
    let Some((name, size)) = definition else {
        return Ok(());
    };
    let spec_of = |name| -> Result<Option<usize>> {
        let text = unit.string(name).map_err(|e| unit.error(offset, e))?;
        Ok(tags.get(text).copied())
    };
    let spec = match name {
        AttributeValue::DebugStrRef(at) => match out.tags_by_str.get(&at.0) {
            Some(&spec) => spec,
            None => {
                let spec = spec_of(name)?;
                out.tags_by_str.insert(at.0, spec);
                spec
            }
        },
        _ => spec_of(name)?,
    };
    if let (Some(spec), Some(size)) = (spec, size) {
        out.structs.entry((spec, size)).or_insert(StructDef { unit: unit.index, die });
    }
    Ok(())
}

/// [`static_address`] for the two expressions nearly every variable has, `DW_OP_addr` alone
/// and `DW_OP_fbreg` (a local): `Some(answer)`, or `None` for the general evaluation.
#[inline]
fn quick_static_address(
    expression: &[u8],
    address_size: u8,
    endian: gimli::RunTimeEndian,
) -> Option<Option<u64>> {
    match expression {
        [op, address @ ..]
            if *op == constants::DW_OP_addr.0 && address.len() == usize::from(address_size) =>
        {
            (address_size == 4 || address_size == 8).then(|| form::uint_raw(address, endian))?.map(Some)
        }
        // The offset is a signed LEB128 number; ending within 9 bytes, it is a valid one.
        [op, offset @ ..] if *op == constants::DW_OP_fbreg.0 => {
            offset.iter().take(9).any(|&b| b < 0x80).then_some(None)
        }
        _ => None,
    }
}

/// The static address a location expression denotes: `DW_OP_addr`/`DW_OP_addrx`, optionally
/// plus a constant (`DW_OP_plus_uconst`, or `DW_OP_constu` + `DW_OP_plus`). `None` for anything
/// else: stack and register locations, location lists, TLS, computed values.
pub(crate) fn static_address(
    unit: &UnitDies<'_, '_>,
    die: usize,
    location: AttributeValue<Reader<'_>>,
) -> Result<Option<u64>> {
    let AttributeValue::Exprloc(expression) = location else {
        return Ok(None);
    };
    // The usual 32-bit `DW_OP_addr` alone, read in place.
    if let [op, bytes @ ..] = expression.0.slice() {
        if let (true, Ok(bytes)) = (*op == constants::DW_OP_addr.0, <[u8; 4]>::try_from(bytes)) {
            if unit.encoding().address_size == 4 {
                let address = match expression.0.endian() {
                    gimli::RunTimeEndian::Little => u32::from_le_bytes(bytes),
                    gimli::RunTimeEndian::Big => u32::from_be_bytes(bytes),
                };
                return Ok(Some(u64::from(address)));
            }
        }
    }
    evaluate(expression, unit.encoding(), |index| unit.address(index)).map_err(|e| unit.error(die, e))
}

/// The address an expression denotes, if it is one of the static forms; `address_at` reads
/// `.debug_addr` for `DW_OP_addrx`.
fn evaluate<R: gimli::Reader>(
    expression: gimli::Expression<R>,
    encoding: gimli::Encoding,
    address_at: impl Fn(gimli::DebugAddrIndex<R::Offset>) -> gimli::Result<u64>,
) -> gimli::Result<Option<u64>> {
    // The common case, `DW_OP_addr` alone, without the general decoder.
    let mut operand = expression.0.clone();
    if operand.len().into_u64() == 1 + u64::from(encoding.address_size)
        && operand.read_u8()? == constants::DW_OP_addr.0
    {
        return Ok(Some(operand.read_address(encoding.address_size)?));
    }
    // Most locals at -O0 sit at `DW_OP_fbreg n`, which is never static: read its operand as the
    // general decoder would (failing the same way) and stop, without that decoder's dispatch.
    let mut operand = expression.0.clone();
    if !operand.is_empty() && operand.read_u8()? == constants::DW_OP_fbreg.0 {
        operand.read_sleb128()?;
        return Ok(None);
    }
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
    use super::{evaluate, quick_static_address};
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

    #[test]
    fn quick_answers_agree_with_the_evaluation() {
        use gimli::RunTimeEndian;
        let cases: [&[u8]; 9] = [
            &[ADDR, 0x10, 0x20, 0, 0],
            &[ADDR, 0x10, 0x20, 0, 0, 0, 0, 0, 0],
            &[ADDR, 0x10, 0x20, 0, 0, PLUS_UCONST, 0x08],
            &[FBREG, 0x70],
            &[FBREG, 0x80, 0x7f],
            &[FBREG, 0x80],
            &[FBREG, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
            &[ADDRX, 0x02],
            &[],
        ];
        let mut answered = 0;
        for bytes in cases {
            for address_size in [4, 8] {
                for endian in [RunTimeEndian::Little, RunTimeEndian::Big] {
                    let Some(quick) = quick_static_address(bytes, address_size, endian) else { continue };
                    let encoding =
                        gimli::Encoding { format: gimli::Format::Dwarf32, version: 5, address_size };
                    let expression = gimli::Expression(EndianSlice::new(bytes, endian));
                    assert_eq!(Ok(quick), evaluate(expression, encoding, |_| Ok(0)), "{bytes:02x?}");
                    answered += 1;
                }
            }
        }
        assert_eq!(answered, 4 * 2 + 2 * 2);
    }

    #[test]
    fn frame_offsets_fail_like_the_general_decoder() {
        let truncated = [FBREG, 0x80];
        let encoding = gimli::Encoding { format: gimli::Format::Dwarf32, version: 5, address_size: 4 };
        let general = gimli::Expression(EndianSlice::new(&truncated[..], LittleEndian))
            .operations(encoding)
            .next()
            .map(|_| ());
        let fast =
            evaluate(gimli::Expression(EndianSlice::new(&truncated[..], LittleEndian)), encoding, |_| Ok(0))
                .map(|_| ());
        assert!(general.is_err());
        assert_eq!(fast, general);
        assert_eq!(eval(&[FBREG, 0x80, 0x7f], 4), None);
    }
}
