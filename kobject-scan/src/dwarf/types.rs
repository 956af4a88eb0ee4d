//! Type resolution: turns a type DIE into a shape that says where kernel objects sit inside it.
//! Typedefs and qualifiers are looked through; arrays of arrays (also through typedefs) become one
//! array with all dimensions; struct and union members are resolved recursively. Shapes are
//! memoised per DIE, and type-unit signatures are followed, so DIE order never matters.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use gimli::{constants, AttributeValue, Operation};

use super::{lossy, Die, DieRef, Dies, Reader, Sect, TypeAttr, UnitDies};
use crate::error::{Boxed as Result, Error};

pub type TypeId = usize;

/// Types nested deeper than this (by value) are refused rather than risking the stack.
const MAX_DEPTH: usize = 256;
/// Longest typedef/qualifier chain accepted; longer ones are treated as cycles.
const MAX_CHAIN: usize = 128;

#[derive(Debug, Clone)]
pub struct Member<'a> {
    /// `None` for anonymous struct/union members, whose members C names directly. Borrowed
    /// from the string section unless it is not UTF-8.
    pub name: Option<Cow<'a, str>>,
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
        /// The members that hold an object somewhere inside (the others never matter):
        /// read them with [`Types::members`].
        members: Span,
        size: Option<u64>,
    },
    /// Dimensions outermost first ([`Types::dims`]); `bounded` is false when any bound is not
    /// a constant (its dimension then reads 0).
    Array { dims: Span, bounded: bool, elem: TypeId, size: Option<u64> },
    /// Anything that cannot contain an object: base, pointer, enum, function types.
    Leaf { size: Option<u64> },
}

/// A run of entries in one of the arenas of [`Types`]: every type's members and dimensions
/// share two vectors per unit, rather than a vector each (thousands per scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: usize,
    len: usize,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start..self.start + self.len
    }
}

#[derive(Debug, Clone)]
pub struct TypeNode {
    pub shape: Shape,
    /// Whether a kernel object (or driver API instance) sits anywhere inside.
    pub contains: bool,
}

/// The attributes type resolution reads, decoded in one pass over a DIE. The first of a
/// repeated attribute counts. Over 300 bytes: callers keep one and refill it ([`type_attrs`])
/// rather than moving a fresh one out of each read, which costs a `memcpy` call per DIE.
#[derive(Default)]
struct TypeAttrs<'a> {
    name: Option<AttributeValue<Reader<'a>>>,
    ty: Option<AttributeValue<Reader<'a>>>,
    signature: Option<AttributeValue<Reader<'a>>>,
    byte_size: Option<AttributeValue<Reader<'a>>>,
    declaration: bool,
    bit_size: bool,
    member_location: Option<AttributeValue<Reader<'a>>>,
    count: Option<AttributeValue<Reader<'a>>>,
    lower_bound: Option<AttributeValue<Reader<'a>>>,
    upper_bound: Option<AttributeValue<Reader<'a>>>,
}

impl TypeAttrs<'_> {
    /// Forget every attribute (field by field: only the discriminants are written).
    fn clear(&mut self) {
        self.name = None;
        self.ty = None;
        self.signature = None;
        self.byte_size = None;
        self.declaration = false;
        self.bit_size = false;
        self.member_location = None;
        self.count = None;
        self.lower_bound = None;
        self.upper_bound = None;
    }
}

impl<'a> TypeAttrs<'a> {
    /// Keep `value` as `attr`, unless an earlier one was kept (the first counts).
    fn store(&mut self, attr: TypeAttr, value: AttributeValue<Reader<'a>>) {
        let slot = match attr {
            TypeAttr::Name => &mut self.name,
            TypeAttr::Type => &mut self.ty,
            TypeAttr::Signature => &mut self.signature,
            TypeAttr::ByteSize => &mut self.byte_size,
            TypeAttr::Declaration | TypeAttr::BitSize => {
                // Only their presence counts.
                match attr {
                    TypeAttr::Declaration => self.declaration = true,
                    _ => self.bit_size = true,
                }
                return;
            }
            TypeAttr::MemberLocation => &mut self.member_location,
            TypeAttr::Count => &mut self.count,
            TypeAttr::LowerBound => &mut self.lower_bound,
            TypeAttr::UpperBound => &mut self.upper_bound,
        };
        slot.get_or_insert(value);
    }
}

/// Read `die`'s attributes into `attrs`, replacing what it held.
fn type_attrs<'a>(unit: &UnitDies<'_, 'a>, die: &Die, attrs: &mut TypeAttrs<'a>) -> Result<()> {
    attrs.clear();
    if unit.type_attributes(die, |attr, value| attrs.store(attr, value))? {
        return Ok(());
    }
    unit.attributes(
        die,
        |name| TypeAttr::of(name).is_some(),
        |name, value| {
            if let Some(attr) = TypeAttr::of(name) {
                attrs.store(attr, value);
            }
            Ok(())
        },
    )?;
    Ok(())
}

/// A reference-class value found on `die`, as a global DIE.
fn reference<'a>(
    unit: &UnitDies<'_, 'a>,
    die: &Die,
    value: Option<AttributeValue<Reader<'a>>>,
) -> Result<Option<DieRef>> {
    match value {
        Some(value) => Ok(unit.units().reference(unit.entry, die.offset, &value)?),
        None => Ok(None),
    }
}

/// Units up to this size index their memo directly by DIE offset (4 bytes per byte of DIEs);
/// larger ones, and DIEs outside the unit being scanned, go through a hash map.
const DIRECT_MEMO_UNIT: usize = 1 << 18;

/// The resolved type of each DIE met so far.
#[derive(Default)]
struct Memo {
    /// The unit being scanned: section, start and end offsets.
    home: Option<(Sect, usize, usize)>,
    /// `TypeId + 1` by offset from the home unit's start; 0: not resolved.
    direct: Vec<u32>,
    /// The entries of `direct` in use, to clear only those.
    used: Vec<u32>,
    other: FxHashMap<DieRef, TypeId>,
}

impl Memo {
    fn reset(&mut self, home: Option<(Sect, usize, usize)>) {
        for &i in &self.used {
            if let Some(slot) = self.direct.get_mut(i as usize) {
                *slot = 0;
            }
        }
        self.used.clear();
        self.other.clear();
        self.home = home.filter(|&(_, start, end)| end.saturating_sub(start) <= DIRECT_MEMO_UNIT);
        if let Some((_, start, end)) = self.home {
            if self.direct.len() < end - start {
                self.direct.resize(end - start, 0);
            }
        }
    }

    /// The slot of `die` in `direct`, if it is in the home unit.
    #[inline]
    fn index(&self, die: DieRef) -> Option<usize> {
        let (sect, start, end) = self.home?;
        (die.sect == sect && (start..end).contains(&die.offset)).then(|| die.offset - start)
    }

    #[inline]
    fn get(&self, die: DieRef) -> Option<TypeId> {
        match self.index(die) {
            Some(i) => self.direct.get(i).and_then(|&v| v.checked_sub(1)).map(|id| id as TypeId),
            None => self.other.get(&die).copied(),
        }
    }

    #[inline]
    fn insert(&mut self, die: DieRef, id: TypeId) {
        let direct = self.index(die).zip(u32::try_from(id + 1).ok());
        match direct.and_then(|(i, v)| Some((i, v, self.direct.get_mut(i)?))) {
            Some((i, v, slot)) => {
                if *slot == 0 {
                    self.used.push(i as u32);
                }
                *slot = v;
            }
            None => {
                self.other.insert(die, id);
            }
        }
    }
}

pub struct Types<'d, 'u, 'a> {
    dies: &'d Dies<'u, 'a>,
    tags: &'d FxHashMap<&'d [u8], usize>,
    /// Manifest `api_member` per type index (devices only).
    api_members: &'d [Option<&'d [u8]>],
    nodes: Vec<TypeNode>,
    /// The arenas [`Span`]s point into.
    members: Vec<Member<'a>>,
    dims: Vec<u64>,
    /// Members and dimensions of the types being built, innermost last: a type's entries move
    /// to the arena when it is complete, so each type's entries stay contiguous there although
    /// building it builds others.
    pending_members: Vec<Member<'a>>,
    pending_dims: Vec<u64>,
    memo: Memo,
    /// Scratch for [`Types::resolve_at`]'s typedef/qualifier chains.
    chain: Vec<DieRef>,
}

impl<'d, 'u, 'a> Types<'d, 'u, 'a> {
    pub fn new(
        dies: &'d Dies<'u, 'a>,
        tags: &'d FxHashMap<&'d [u8], usize>,
        api_members: &'d [Option<&'d [u8]>],
    ) -> Self {
        Types {
            dies,
            tags,
            api_members,
            nodes: Vec::new(),
            members: Vec::new(),
            dims: Vec::new(),
            pending_members: Vec::new(),
            pending_dims: Vec::new(),
            memo: Memo::default(),
            chain: Vec::new(),
        }
    }

    /// Forget every resolved type, keeping the memory for the next unit's, `home` (section,
    /// start and end), whose DIEs are memoised by offset.
    pub fn clear(&mut self, home: Option<(Sect, usize, usize)>) {
        self.nodes.clear();
        self.members.clear();
        self.dims.clear();
        self.pending_members.clear();
        self.pending_dims.clear();
        self.memo.reset(home);
    }

    pub fn node(&self, id: TypeId) -> Option<&TypeNode> {
        self.nodes.get(id)
    }

    /// The members of a [`Shape::Record`].
    pub fn members(&self, span: Span) -> &[Member<'a>] {
        self.members.get(span.range()).unwrap_or_default()
    }

    /// The dimensions of a [`Shape::Array`].
    pub fn dims(&self, span: Span) -> &[u64] {
        self.dims.get(span.range()).unwrap_or_default()
    }

    /// Size in bytes of a resolved type, if known.
    pub fn size(&self, id: TypeId) -> Option<u64> {
        match &self.nodes.get(id)?.shape {
            Shape::Pending => None,
            Shape::Kobject { size, .. } | Shape::Record { size, .. } | Shape::Leaf { size } => *size,
            Shape::Array { dims, bounded, elem, size } => size.or_else(|| {
                let elem_size = self.size(*elem).filter(|_| *bounded)?;
                self.dims(*dims).iter().try_fold(elem_size, |acc, &d| acc.checked_mul(d))
            }),
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
        let units = self.dies.units;
        let Some(first) = die else {
            return Ok(self.push(Shape::Leaf { size: None }, false));
        };
        // Most lookups are of types met before in the unit.
        if let Some(id) = self.memo.get(first) {
            if !matches!(self.nodes.get(id).map(|n| &n.shape), Some(Shape::Pending)) {
                return Ok(id);
            }
        }
        if depth > MAX_DEPTH {
            return Err(Box::new(Error::Unsupported {
                at: units.location(first),
                message: format!("types nested more than {MAX_DEPTH} deep"),
            }));
        }
        // Follow typedef and qualifier chains iteratively, then memoise every link.
        // The scratch list of links, taken for the duration (a nested resolution starts its own).
        let mut chain = std::mem::take(&mut self.chain);
        chain.clear();
        let mut current = first;
        let mut attrs = TypeAttrs::default();
        let id = loop {
            if let Some(id) = self.memo.get(current) {
                if matches!(self.nodes.get(id).map(|n| &n.shape), Some(Shape::Pending)) {
                    return Err(Box::new(Error::Unsupported {
                        at: units.location(current),
                        message: "type contains itself by value".into(),
                    }));
                }
                break id;
            }
            let (unit, entry) = self.dies.die(current)?;
            type_attrs(&unit, &entry, &mut attrs)?;
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
                        return Err(Box::new(Error::Unsupported {
                            at: units.location(current),
                            message: format!("typedef/qualifier chain longer than {MAX_CHAIN} (a cycle?)"),
                        }));
                    }
                    match reference(&unit, &entry, attrs.ty)? {
                        Some(next) => current = next,
                        None => break self.push(Shape::Leaf { size: None }, false),
                    }
                }
                _ => break self.build(current, &unit, &entry, &attrs, depth)?,
            }
        };
        for &link in &chain {
            self.memo.insert(link, id);
        }
        self.chain = chain;
        Ok(id)
    }

    fn build(
        &mut self,
        die: DieRef,
        unit: &UnitDies<'u, 'a>,
        entry: &Die,
        attrs: &TypeAttrs<'a>,
        depth: usize,
    ) -> Result<TypeId> {
        let size = attrs.byte_size.and_then(|v| v.udata_value());
        let tag = entry.tag();
        let id = match tag {
            constants::DW_TAG_structure_type
            | constants::DW_TAG_class_type
            | constants::DW_TAG_union_type => {
                // A stub naming its type unit (GCC omits DW_AT_declaration on these).
                if let Some(definition) = reference(unit, entry, attrs.signature)? {
                    let id = self.resolve_at(Some(definition), depth + 1)?;
                    self.memo.insert(die, id);
                    return Ok(id);
                }
                let name = match attrs.name {
                    Some(value) => Some(unit.string(value).map_err(|e| unit.error(die.offset, e))?),
                    None => None,
                };
                let spec = name
                    .filter(|_| tag != constants::DW_TAG_union_type)
                    .and_then(|n| self.tags.get(n).copied());
                match spec {
                    Some(spec) => {
                        let api_offset = match self.api_members.get(spec).copied().flatten() {
                            Some(member) if !attrs.declaration => {
                                Some(self.member_offset(unit, entry, member)?.ok_or_else(|| {
                                    Error::Unsupported {
                                        at: unit.entry.location(Some(die.offset)),
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
                        let members = self.read_members(unit, entry, depth)?;
                        let contains = members.len != 0;
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
                let start = self.pending_dims.len();
                let read = self.read_dimensions(unit, entry).and_then(|bounded| {
                    let elem_die = reference(unit, entry, attrs.ty)?;
                    Ok((bounded, self.resolve_at(elem_die, depth + 1)?))
                });
                let (mut bounded, mut elem) = match read {
                    Ok(read) => read,
                    Err(e) => {
                        self.pending_dims.truncate(start);
                        return Err(e);
                    }
                };
                let first = self.dims.len();
                self.dims.extend(self.pending_dims.drain(start..));
                // An array of (typedef'd) arrays is one array with all the dimensions.
                if let Some(&TypeNode {
                    shape: Shape::Array { dims: inner, bounded: inner_bounded, elem: inner_elem, .. },
                    ..
                }) = self.nodes.get(elem)
                {
                    self.dims.extend_from_within(inner.range());
                    bounded &= inner_bounded;
                    elem = inner_elem;
                }
                let dims = Span { start: first, len: self.dims.len() - first };
                let contains = self.nodes.get(elem).is_some_and(|n| n.contains);
                if let Some(node) = self.nodes.get_mut(id) {
                    *node = TypeNode { shape: Shape::Array { dims, bounded, elem, size }, contains };
                }
                id
            }
            _ => self.push(Shape::Leaf { size }, false),
        };
        self.memo.insert(die, id);
        Ok(id)
    }

    /// The members of `entry` that hold an object, moved to the arena once all are read.
    fn read_members(&mut self, unit: &UnitDies<'u, 'a>, entry: &Die, depth: usize) -> Result<Span> {
        let start = self.pending_members.len();
        if let Err(e) = self.push_members(unit, entry, depth) {
            self.pending_members.truncate(start);
            return Err(e);
        }
        let first = self.members.len();
        self.members.extend(self.pending_members.drain(start..));
        Ok(Span { start: first, len: self.members.len() - first })
    }

    fn push_members(&mut self, unit: &UnitDies<'u, 'a>, entry: &Die, depth: usize) -> Result<()> {
        let mut attrs = TypeAttrs::default();
        for child in unit.children(entry) {
            let child = child?;
            if child.tag() != constants::DW_TAG_member {
                continue;
            }
            type_attrs(unit, &child, &mut attrs)?;
            // Bit-fields are integers, never objects.
            if attrs.bit_size {
                continue;
            }
            let offset = member_location(unit, &child, attrs.member_location)?;
            let ty = reference(unit, &child, attrs.ty)?;
            let ty = self.resolve_at(ty, depth + 1)?;
            // Only members holding an object matter; most hold none, and their names stay unread.
            if !self.nodes.get(ty).is_some_and(|n| n.contains) {
                continue;
            }
            let name = match attrs.name {
                Some(value) => Some(lossy(unit.string(value).map_err(|e| unit.error(child.offset, e))?)),
                None => None,
            };
            self.pending_members.push(Member { name, offset, ty });
        }
        Ok(())
    }

    /// Offset of the member called `name` (searched through anonymous members too).
    fn member_offset(&mut self, unit: &UnitDies<'u, 'a>, entry: &Die, name: &[u8]) -> Result<Option<u64>> {
        let mut attrs = TypeAttrs::default();
        for child in unit.children(entry) {
            let child = child?;
            if child.tag() != constants::DW_TAG_member {
                continue;
            }
            type_attrs(unit, &child, &mut attrs)?;
            let Some(value) = attrs.name else {
                continue;
            };
            if unit.string(value).map_err(|e| unit.error(entry.offset, e))? != name {
                continue;
            }
            return member_location(unit, &child, attrs.member_location).map(Some);
        }
        Ok(None)
    }

    /// Push the element counts of an array's subranges, outermost first, to the pending
    /// dimensions; whether all are constants.
    fn read_dimensions(&mut self, unit: &UnitDies<'u, 'a>, entry: &Die) -> Result<bool> {
        let mut bounded = true;
        let mut attrs = TypeAttrs::default();
        for child in unit.children(entry) {
            let child = child?;
            if child.tag() != constants::DW_TAG_subrange_type {
                continue;
            }
            type_attrs(unit, &child, &mut attrs)?;
            let count = match attrs.count {
                Some(count) => constant(&count).and_then(|c| u64::try_from(c.max(0)).ok()),
                None => {
                    let lower = match attrs.lower_bound {
                        Some(lower) => constant(&lower),
                        None => Some(0),
                    };
                    match attrs.upper_bound {
                        // No upper bound: a flexible array member or `[]` declaration.
                        None => None,
                        Some(upper) => match (lower, constant(&upper)) {
                            (Some(l), Some(u)) => u64::try_from((u - l + 1).max(0)).ok(),
                            _ => None,
                        },
                    }
                }
            };
            bounded &= count.is_some();
            self.pending_dims.push(count.unwrap_or(0));
        }
        Ok(bounded)
    }
}

/// A member's offset: none is 0, otherwise a constant or a one-operation expression.
fn member_location(
    unit: &UnitDies<'_, '_>,
    member: &Die,
    value: Option<AttributeValue<Reader<'_>>>,
) -> Result<u64> {
    match value {
        None => Ok(0),
        Some(value) => constant_offset(unit, &value).ok_or_else(|| {
            Box::new(Error::Unsupported {
                at: unit.entry.location(Some(member.offset)),
                message: "member location is neither a constant nor DW_OP_plus_uconst".into(),
            })
        }),
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
fn constant_offset(unit: &UnitDies<'_, '_>, value: &AttributeValue<Reader<'_>>) -> Option<u64> {
    if let Some(v) = value.udata_value() {
        return Some(v);
    }
    let expression = value.exprloc_value()?;
    let mut ops = expression.operations(unit.encoding());
    let offset = match ops.next().ok()?? {
        Operation::PlusConstant { value } | Operation::UnsignedConstant { value } => value,
        _ => return None,
    };
    ops.next().ok()?.is_none().then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::{Memo, DIRECT_MEMO_UNIT};
    use crate::dwarf::{DieRef, Sect};

    fn die(sect: Sect, offset: usize) -> DieRef {
        DieRef { sect, offset }
    }

    #[test]
    fn memo_holds_home_and_other_dies_and_forgets_them_on_reset() {
        let mut memo = Memo::default();
        memo.reset(Some((Sect::Info, 100, 200)));
        let (home, before, after, types) =
            (die(Sect::Info, 150), die(Sect::Info, 99), die(Sect::Info, 200), die(Sect::Types, 150));
        for (i, d) in [home, before, after, types].into_iter().enumerate() {
            assert_eq!(memo.get(d), None);
            memo.insert(d, i);
        }
        memo.insert(home, 7);
        assert_eq!([home, before, after, types].map(|d| memo.get(d)), [Some(7), Some(1), Some(2), Some(3)]);
        assert_eq!(memo.other.len(), 3, "only the home unit's DIE is indexed directly");
        memo.reset(Some((Sect::Info, 200, 220)));
        assert_eq!([home, before, after, types].map(|d| memo.get(d)), [None; 4]);
        memo.insert(after, 0);
        assert_eq!(memo.get(after), Some(0));
        assert!(memo.other.is_empty());
        // A unit too large for a direct index uses the map alone.
        memo.reset(Some((Sect::Info, 0, DIRECT_MEMO_UNIT + 1)));
        memo.insert(home, 3);
        assert_eq!((memo.get(home), memo.other.len()), (Some(3), 1));
    }
}
