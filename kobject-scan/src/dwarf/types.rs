//! Type resolution: turns a type DIE into a shape that says where kernel objects sit inside it.
//! Typedefs and qualifiers are looked through; arrays of arrays (also through typedefs) become one
//! array with all dimensions; struct and union members are resolved recursively. Shapes are
//! memoised per DIE, and type-unit signatures are followed, so DIE order never matters.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use gimli::{constants, AttributeValue, Operation};

use super::{DieRef, Reader, UnitEntry, Units};
use crate::error::{Error, Result};

pub type TypeId = usize;

/// Types nested deeper than this (by value) are refused rather than risking the stack.
const MAX_DEPTH: usize = 256;
/// Longest typedef/qualifier chain accepted; longer ones are treated as cycles.
const MAX_CHAIN: usize = 128;

#[derive(Debug, Clone)]
pub struct Member {
    /// `None` for anonymous struct/union members, whose members C names directly.
    pub name: Option<String>,
    pub offset: u64,
    pub ty: TypeId,
}

#[derive(Debug, Clone)]
pub enum Shape {
    /// Being resolved; meeting it again means the type contains itself by value.
    Pending,
    /// A manifest struct: `spec` indexes the manifest types.
    Kobject {
        spec: usize,
        size: Option<u64>,
        /// Device only: offset of the API pointer member, from this struct's own DWARF.
        api_offset: Option<u64>,
        die: DieRef,
    },
    Record {
        union: bool,
        members: Vec<Member>,
        size: Option<u64>,
    },
    /// Dimensions outermost first; `None` is a non-constant bound.
    Array {
        dims: Vec<Option<u64>>,
        elem: TypeId,
        size: Option<u64>,
    },
    /// Anything that cannot contain an object: base, pointer, enum, function types.
    Leaf {
        size: Option<u64>,
    },
}

#[derive(Debug, Clone)]
pub struct TypeNode {
    pub shape: Shape,
    /// Whether a kernel object (or driver API instance) sits anywhere inside.
    pub contains: bool,
}

pub struct Types<'u, 'a> {
    units: &'u Units<'a>,
    tags: &'u HashMap<&'u [u8], usize>,
    /// Manifest `api_member` per type index (devices only).
    api_members: &'u [Option<&'u [u8]>],
    nodes: Vec<TypeNode>,
    memo: FxHashMap<DieRef, TypeId>,
}

impl<'u, 'a> Types<'u, 'a> {
    pub fn new(
        units: &'u Units<'a>,
        tags: &'u HashMap<&'u [u8], usize>,
        api_members: &'u [Option<&'u [u8]>],
    ) -> Self {
        Types { units, tags, api_members, nodes: Vec::new(), memo: FxHashMap::default() }
    }

    pub fn node(&self, id: TypeId) -> Option<&TypeNode> {
        self.nodes.get(id)
    }

    /// Size in bytes of a resolved type, if known.
    pub fn size(&self, id: TypeId) -> Option<u64> {
        match &self.nodes.get(id)?.shape {
            Shape::Pending => None,
            Shape::Kobject { size, .. } | Shape::Record { size, .. } | Shape::Leaf { size } => *size,
            Shape::Array { dims, elem, size } => {
                size.or_else(|| dims.iter().try_fold(self.size(*elem)?, |acc, d| acc.checked_mul((*d)?)))
            }
        }
    }

    fn push(&mut self, shape: Shape, contains: bool) -> TypeId {
        self.nodes.push(TypeNode { shape, contains });
        self.nodes.len() - 1
    }

    /// Resolve the type DIE `die`; `None` (no type) is `void`.
    pub fn resolve(&mut self, die: Option<DieRef>) -> Result<TypeId> {
        self.resolve_at(die, 0)
    }

    fn resolve_at(&mut self, die: Option<DieRef>, depth: usize) -> Result<TypeId> {
        let units = self.units;
        let Some(first) = die else {
            return Ok(self.push(Shape::Leaf { size: None }, false));
        };
        if depth > MAX_DEPTH {
            return Err(Error::Unsupported {
                at: units.location(first),
                message: format!("types nested more than {MAX_DEPTH} deep"),
            });
        }
        // Follow typedef and qualifier chains iteratively, then memoise every link.
        let mut chain = Vec::new();
        let mut current = first;
        let id = loop {
            if let Some(&id) = self.memo.get(&current) {
                if matches!(self.nodes.get(id).map(|n| &n.shape), Some(Shape::Pending)) {
                    return Err(Error::Unsupported {
                        at: units.location(current),
                        message: "type contains itself by value".into(),
                    });
                }
                break id;
            }
            let (unit, entry) = units.entry(current)?;
            match entry.tag() {
                constants::DW_TAG_typedef
                | constants::DW_TAG_const_type
                | constants::DW_TAG_volatile_type
                | constants::DW_TAG_atomic_type
                | constants::DW_TAG_restrict_type
                | constants::DW_TAG_immutable_type
                | constants::DW_TAG_packed_type
                | constants::DW_TAG_shared_type => {
                    chain.push(current);
                    if chain.len() > MAX_CHAIN {
                        return Err(Error::Unsupported {
                            at: units.location(current),
                            message: format!("typedef/qualifier chain longer than {MAX_CHAIN} (a cycle?)"),
                        });
                    }
                    match attr_ref(units, unit, &entry, constants::DW_AT_type)? {
                        Some(next) => current = next,
                        None => break self.push(Shape::Leaf { size: None }, false),
                    }
                }
                _ => break self.build(current, unit, &entry, depth)?,
            }
        };
        for link in chain {
            self.memo.insert(link, id);
        }
        Ok(id)
    }

    fn build(
        &mut self,
        die: DieRef,
        unit: &UnitEntry<'a>,
        entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'a>>,
        depth: usize,
    ) -> Result<TypeId> {
        let units = self.units;
        let size = attr(unit, entry, constants::DW_AT_byte_size)?.and_then(|v| v.udata_value());
        let tag = entry.tag();
        let id = match tag {
            constants::DW_TAG_structure_type
            | constants::DW_TAG_class_type
            | constants::DW_TAG_union_type => {
                // A stub naming its type unit (GCC omits DW_AT_declaration on these).
                if let Some(definition) = attr_ref(units, unit, entry, constants::DW_AT_signature)? {
                    let id = self.resolve_at(Some(definition), depth + 1)?;
                    self.memo.insert(die, id);
                    return Ok(id);
                }
                let declaration = attr(unit, entry, constants::DW_AT_declaration)?.is_some();
                let name = match attr(unit, entry, constants::DW_AT_name)? {
                    Some(value) => Some(
                        units
                            .dwarf
                            .attr_string(&unit.unit, value)
                            .map_err(|source| Error::Dwarf { at: unit.location(Some(die.offset)), source })?
                            .slice(),
                    ),
                    None => None,
                };
                let spec = name
                    .filter(|_| tag != constants::DW_TAG_union_type)
                    .and_then(|n| self.tags.get(n).copied());
                match spec {
                    Some(spec) => {
                        let api_offset = match self.api_members.get(spec).copied().flatten() {
                            Some(member) if !declaration => {
                                Some(self.member_offset(die, unit, member)?.ok_or_else(|| {
                                    Error::Unsupported {
                                        at: unit.location(Some(die.offset)),
                                        message: format!(
                                            "device struct has no member `{}` (the manifest's api_member)",
                                            String::from_utf8_lossy(member)
                                        ),
                                    }
                                })?)
                            }
                            _ => None,
                        };
                        self.push(Shape::Kobject { spec, size, api_offset, die }, true)
                    }
                    None => {
                        let id = self.push(Shape::Pending, false);
                        self.memo.insert(die, id);
                        let members = self.members(die, unit, depth)?;
                        let contains =
                            members.iter().any(|m| self.nodes.get(m.ty).is_some_and(|n| n.contains));
                        if let Some(node) = self.nodes.get_mut(id) {
                            *node = TypeNode {
                                shape: Shape::Record {
                                    union: tag == constants::DW_TAG_union_type,
                                    members,
                                    size,
                                },
                                contains,
                            };
                        }
                        id
                    }
                }
            }
            constants::DW_TAG_array_type => {
                let id = self.push(Shape::Pending, false);
                self.memo.insert(die, id);
                let mut dims = self.dimensions(die, unit)?;
                let elem_die = attr_ref(units, unit, entry, constants::DW_AT_type)?;
                let mut elem = self.resolve_at(elem_die, depth + 1)?;
                // An array of (typedef'd) arrays is one array with all the dimensions.
                if let Some(TypeNode { shape: Shape::Array { dims: inner, elem: inner_elem, .. }, .. }) =
                    self.nodes.get(elem)
                {
                    dims.extend_from_slice(inner);
                    elem = *inner_elem;
                }
                let contains = self.nodes.get(elem).is_some_and(|n| n.contains);
                if let Some(node) = self.nodes.get_mut(id) {
                    *node = TypeNode { shape: Shape::Array { dims, elem, size }, contains };
                }
                id
            }
            _ => self.push(Shape::Leaf { size }, false),
        };
        self.memo.insert(die, id);
        Ok(id)
    }

    fn members(&mut self, die: DieRef, unit: &UnitEntry<'a>, depth: usize) -> Result<Vec<Member>> {
        let units = self.units;
        let dwarf_error = |at: usize| move |source| Error::Dwarf { at: unit.location(Some(at)), source };
        let mut tree =
            unit.unit.entries_tree(Some(unit.unit_offset(die))).map_err(dwarf_error(die.offset))?;
        let root = tree.root().map_err(dwarf_error(die.offset))?;
        let mut children = root.children();
        let mut found = Vec::new();
        while let Some(child) = children.next().map_err(dwarf_error(die.offset))? {
            let entry = child.entry();
            if entry.tag() != constants::DW_TAG_member {
                continue;
            }
            let at = unit.start + entry.offset().0;
            // Bit-fields are integers, never objects.
            if attr(unit, entry, constants::DW_AT_bit_size)?.is_some() {
                continue;
            }
            let name = match attr(unit, entry, constants::DW_AT_name)? {
                Some(value) => Some(
                    units
                        .dwarf
                        .attr_string(&unit.unit, value)
                        .map_err(dwarf_error(at))?
                        .to_string_lossy()
                        .into_owned(),
                ),
                None => None,
            };
            let offset = match attr(unit, entry, constants::DW_AT_data_member_location)? {
                None => 0,
                Some(value) => constant_offset(unit, &value).ok_or_else(|| Error::Unsupported {
                    at: unit.location(Some(at)),
                    message: "member location is neither a constant nor DW_OP_plus_uconst".into(),
                })?,
            };
            let ty = attr_ref(units, unit, entry, constants::DW_AT_type)?;
            found.push((name, offset, ty));
        }
        let mut members = Vec::with_capacity(found.len());
        for (name, offset, ty) in found {
            let ty = self.resolve_at(ty, depth + 1)?;
            members.push(Member { name, offset, ty });
        }
        Ok(members)
    }

    /// Offset of the member called `name` (searched through anonymous members too).
    fn member_offset(&mut self, die: DieRef, unit: &UnitEntry<'a>, name: &[u8]) -> Result<Option<u64>> {
        let units = self.units;
        let dwarf_error = |source| Error::Dwarf { at: unit.location(Some(die.offset)), source };
        let mut tree = unit.unit.entries_tree(Some(unit.unit_offset(die))).map_err(dwarf_error)?;
        let root = tree.root().map_err(dwarf_error)?;
        let mut children = root.children();
        while let Some(child) = children.next().map_err(dwarf_error)? {
            let entry = child.entry();
            if entry.tag() != constants::DW_TAG_member {
                continue;
            }
            let Some(value) = attr(unit, entry, constants::DW_AT_name)? else {
                continue;
            };
            let member = units.dwarf.attr_string(&unit.unit, value).map_err(dwarf_error)?;
            if member.slice() != name {
                continue;
            }
            return match attr(unit, entry, constants::DW_AT_data_member_location)? {
                None => Ok(Some(0)),
                Some(value) => constant_offset(unit, &value).map(Some).ok_or_else(|| Error::Unsupported {
                    at: unit.location(Some(unit.start + entry.offset().0)),
                    message: "member location is neither a constant nor DW_OP_plus_uconst".into(),
                }),
            };
        }
        Ok(None)
    }

    /// Element counts of an array's subranges, outermost first.
    fn dimensions(&mut self, die: DieRef, unit: &UnitEntry<'a>) -> Result<Vec<Option<u64>>> {
        let dwarf_error = |source| Error::Dwarf { at: unit.location(Some(die.offset)), source };
        let mut tree = unit.unit.entries_tree(Some(unit.unit_offset(die))).map_err(dwarf_error)?;
        let root = tree.root().map_err(dwarf_error)?;
        let mut children = root.children();
        let mut dims = Vec::new();
        while let Some(child) = children.next().map_err(dwarf_error)? {
            let entry = child.entry();
            if entry.tag() != constants::DW_TAG_subrange_type {
                continue;
            }
            let count = match attr(unit, entry, constants::DW_AT_count)? {
                Some(count) => constant(&count).and_then(|c| u64::try_from(c.max(0)).ok()),
                None => {
                    let lower = match attr(unit, entry, constants::DW_AT_lower_bound)? {
                        Some(lower) => constant(&lower),
                        None => Some(0),
                    };
                    match attr(unit, entry, constants::DW_AT_upper_bound)? {
                        // No upper bound: a flexible array member or `[]` declaration.
                        None => None,
                        Some(upper) => match (lower, constant(&upper)) {
                            (Some(l), Some(u)) => u64::try_from((u - l + 1).max(0)).ok(),
                            _ => None,
                        },
                    }
                }
            };
            dims.push(count);
        }
        Ok(dims)
    }
}

fn attr<'a>(
    unit: &UnitEntry<'a>,
    entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'a>>,
    name: constants::DwAt,
) -> Result<Option<AttributeValue<Reader<'a>>>> {
    entry
        .attr_value(name)
        .map_err(|source| Error::Dwarf { at: unit.location(Some(unit.start + entry.offset().0)), source })
}

fn attr_ref<'a>(
    units: &Units<'a>,
    unit: &UnitEntry<'a>,
    entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'a>>,
    name: constants::DwAt,
) -> Result<Option<DieRef>> {
    match attr(unit, entry, name)? {
        Some(value) => units.reference(unit, unit.start + entry.offset().0, &value),
        None => Ok(None),
    }
}

/// A bound in any constant form. Fixed-size data forms carry no sign; compilers use the
/// narrow ones for small unsigned bounds (`255` as one byte), and all-ones in four or eight
/// bytes can only be `-1` (a 2^32-element array cannot exist in a 32-bit address space).
fn constant(value: &AttributeValue<Reader<'_>>) -> Option<i128> {
    Some(match *value {
        AttributeValue::Data4(v) if v == u32::MAX => -1,
        AttributeValue::Data8(v) if v == u64::MAX => -1,
        AttributeValue::Sdata(v) => i128::from(v),
        AttributeValue::Data1(_)
        | AttributeValue::Data2(_)
        | AttributeValue::Data4(_)
        | AttributeValue::Data8(_)
        | AttributeValue::Udata(_) => i128::from(value.udata_value()?),
        _ => return None,
    })
}

/// A member offset: a constant, or (DWARF 2/3) an expression `DW_OP_plus_uconst n` / `DW_OP_constu n`.
fn constant_offset(unit: &UnitEntry<'_>, value: &AttributeValue<Reader<'_>>) -> Option<u64> {
    if let Some(v) = value.udata_value() {
        return Some(v);
    }
    let expression = value.exprloc_value()?;
    let mut ops = expression.operations(unit.unit.encoding());
    let offset = match ops.next().ok()?? {
        Operation::PlusConstant { value } | Operation::UnsignedConstant { value } => value,
        _ => return None,
    };
    ops.next().ok()?.is_none().then_some(offset)
}
