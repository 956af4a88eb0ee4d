//! DWARF access: units of `.debug_info` and `.debug_types`, global DIE references across them,
//! a DIE reader that prepares units on demand, and the first pass that finds every variable
//! with a static address.

mod abbrev;
mod form;
pub mod types;
mod walk;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gimli::{AttributeValue, EndianSlice, Reader as _, RunTimeEndian, Section as _, UnitSectionOffset};
use rustc_hash::FxHashMap;

use crate::error::{Boxed as Result, DieLocation, Error};

use abbrev::{Abbrev, AbbrevTable, Anchor, Place, VariablePlan};
pub use abbrev::{Role, TypeAttr};
pub(crate) use walk::static_address;
pub use walk::{walk_unit, StructDef, StructSizes, Variable, WalkResult};

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

/// One unit (compilation or type unit): its header and where it lies.
pub struct UnitEntry<'a> {
    pub sect: Sect,
    pub start: usize,
    pub end: usize,
    pub header: gimli::UnitHeader<Reader<'a>>,
}

impl UnitEntry<'_> {
    pub fn location(&self, die: Option<usize>) -> DieLocation {
        DieLocation { section: self.sect.name(), unit: self.start as u64, die: die.map(|d| d as u64) }
    }

    pub fn die_ref(&self, offset: gimli::UnitOffset) -> DieRef {
        DieRef { sect: self.sect, offset: self.start + offset.0 }
    }
}

/// All units of an image, indexed for lookups by global DIE offset and by type signature. Only
/// headers are read here; a unit's abbreviations are parsed when a [`Dies`] first reads it.
pub struct Units<'a> {
    pub dwarf: &'a gimli::Dwarf<Reader<'a>>,
    /// Sorted by (section, start).
    pub units: Vec<UnitEntry<'a>>,
    signatures: HashMap<u64, DieRef>,
    /// gimli's attribute decoder wants an abbreviation table it never consults.
    no_abbreviations: gimli::Abbreviations,
}

fn section_of(offset: UnitSectionOffset) -> (Sect, usize) {
    match offset {
        UnitSectionOffset::DebugInfoOffset(o) => (Sect::Info, o.0),
        UnitSectionOffset::DebugTypesOffset(o) => (Sect::Types, o.0),
    }
}

impl<'a> Units<'a> {
    pub fn load(dwarf: &'a gimli::Dwarf<Reader<'a>>) -> Result<Units<'a>> {
        let mut units = Vec::new();
        let mut next = |header: gimli::UnitHeader<Reader<'a>>| {
            let (sect, start) = section_of(header.offset());
            let end = start + header.length_including_self();
            units.push(UnitEntry { sect, start, end, header });
            end
        };
        let mut offset = 0;
        let mut iter = dwarf.units();
        loop {
            match iter.next() {
                Ok(Some(header)) => offset = next(header),
                Ok(None) => break,
                Err(source) => {
                    return Err(Box::new(Error::UnitHeader {
                        section: Sect::Info.name(),
                        offset: offset as u64,
                        source,
                    }))
                }
            }
        }
        let mut offset = 0;
        let mut iter = dwarf.type_units();
        loop {
            match iter.next() {
                Ok(Some(header)) => offset = next(header),
                Ok(None) => break,
                Err(source) => {
                    return Err(Box::new(Error::UnitHeader {
                        section: Sect::Types.name(),
                        offset: offset as u64,
                        source,
                    }))
                }
            }
        }
        units.sort_by_key(|u| (u.sect, u.start));
        let mut signatures = HashMap::new();
        for unit in &units {
            if let gimli::UnitType::Type { type_signature, type_offset } = unit.header.type_() {
                signatures.insert(type_signature.0, unit.die_ref(type_offset));
            }
        }
        Ok(Units { dwarf, units, signatures, no_abbreviations: gimli::Abbreviations::default() })
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
        let unsupported =
            |message: String| Box::new(Error::Unsupported { at: from.location(Some(die)), message });
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
}

/// One DIE: where it is, its abbreviation, and where its attributes start.
#[derive(Debug, Clone, Copy)]
pub struct Die {
    pub offset: usize,
    pub abbrev: Abbrev,
    attrs: usize,
}

impl Die {
    pub fn tag(&self) -> gimli::DwTag {
        self.abbrev.tag
    }
}

/// A unit prepared for reading: its abbreviation table and the root attributes that decode
/// its string and address indices.
pub struct UnitDies<'u, 'a> {
    pub index: usize,
    pub entry: &'u UnitEntry<'a>,
    table: Rc<AbbrevTable<'a>>,
    /// The unit's DIE bytes, from its first DIE to its end.
    entries: Reader<'a>,
    /// Section offset of `entries`.
    entries_start: usize,
    str_offsets_base: gimli::DebugStrOffsetsBase,
    addr_base: gimli::DebugAddrBase,
    /// The root DIE's `DW_AT_name` (the main source file).
    name: Option<AttributeValue<Reader<'a>>>,
    units: &'u Units<'a>,
}

/// Cursor over a unit's DIE bytes.
pub type Cursor<'a> = Reader<'a>;

impl<'u, 'a> UnitDies<'u, 'a> {
    pub fn units(&self) -> &'u Units<'a> {
        self.units
    }

    /// gimli's `source` error, found at the DIE at `die`.
    #[cold]
    pub fn error(&self, die: usize, source: gimli::Error) -> Box<Error> {
        Box::new(Error::Dwarf { at: self.entry.location(Some(die)), source })
    }

    /// A cursor at section offset `offset` (which must lie in the unit's DIEs).
    pub fn cursor_at(&self, offset: usize) -> gimli::Result<Cursor<'a>> {
        offset
            .checked_sub(self.entries_start)
            .and_then(|o| self.entries.slice().get(o..))
            .map(|rest| EndianSlice::new(rest, self.entries.endian()))
            .ok_or(gimli::Error::OffsetOutOfBounds)
    }

    /// The section offset `cursor` is at.
    pub fn offset_of(&self, cursor: &Cursor<'a>) -> usize {
        self.entries_start + (self.entries.len() - cursor.len())
    }

    /// Cursor at the unit's first (root) DIE.
    pub fn first(&self) -> Cursor<'a> {
        self.entries
    }

    /// Read the DIE at `cursor`, advancing past its abbreviation code. `None`: a null entry.
    #[inline]
    pub fn read_die(&self, cursor: &mut Cursor<'a>) -> gimli::Result<Option<Die>> {
        let offset = self.offset_of(cursor);
        let before = cursor.len();
        let code = form::uleb128(cursor)?;
        if code == 0 {
            return Ok(None);
        }
        let abbrev = *self.table.get(code)?;
        Ok(Some(Die { offset, abbrev, attrs: offset + (before - cursor.len()) }))
    }

    /// Advance `cursor` (just past `die`'s code) past its attributes.
    #[inline]
    pub fn skip_attributes(&self, cursor: &mut Cursor<'a>, die: &Die) -> gimli::Result<()> {
        let bytes = self.entries.slice();
        let at = bytes.len() - cursor.len();
        match self.table.skip_raw(bytes, at, &die.abbrev).and_then(|end| bytes.get(end..)) {
            Some(rest) => {
                *cursor = EndianSlice::new(rest, cursor.endian());
                Ok(())
            }
            None => self.table.skip_attributes(cursor, &die.abbrev),
        }
    }

    /// The DIE at section offset `offset`. Inline, so that the DIE is built where its caller
    /// keeps it: returned through memory and copied on, the copy stalled type resolution.
    #[inline]
    pub fn die_at(&self, offset: usize) -> Result<Die> {
        let mut cursor = self.cursor_at(offset).map_err(|e| self.error(offset, e))?;
        self.read_die(&mut cursor)
            .map_err(|e| self.error(offset, e))?
            .ok_or_else(|| self.error(offset, gimli::Error::NoEntryAtGivenOffset))
    }

    /// Call `each` with every attribute of `die` whose name `wanted` accepts (runs of others
    /// are skipped without decoding). Returns the offset just past the attributes.
    pub fn attributes(
        &self,
        die: &Die,
        wanted: impl Fn(gimli::DwAt) -> bool,
        mut each: impl FnMut(gimli::DwAt, AttributeValue<Reader<'a>>) -> Result<()>,
    ) -> Result<usize> {
        let error = |source| self.error(die.offset, source);
        let mut cursor = self.cursor_at(die.attrs).map_err(error)?;
        let encoding = self.encoding();
        let mut pending = 0;
        for (spec, size) in self.table.specs_and_sizes(&die.abbrev) {
            if !wanted(spec.name()) {
                form::skip_unread(&mut cursor, &mut pending, size, spec.form(), encoding).map_err(error)?;
                continue;
            }
            cursor.skip(pending).map_err(error)?;
            pending = 0;
            let value = if form::decodes(spec.name()) {
                form::read(&mut cursor, spec, encoding).map_err(error)?
            } else {
                // Rare attributes (the root's bases) go through gimli's cursor.
                let at = gimli::UnitOffset(self.offset_of(&cursor) - self.entry.start);
                let mut entries =
                    self.entry.header.entries_raw(&self.units.no_abbreviations, Some(at)).map_err(error)?;
                let value = entries.read_attribute(*spec).map_err(error)?.value();
                cursor = self.cursor_at(self.entry.start + entries.next_offset().0).map_err(error)?;
                value
            };
            each(spec.name(), value)?;
        }
        cursor.skip(pending).map_err(error)?;
        Ok(self.offset_of(&cursor))
    }

    /// Call `each` with the attributes type resolution reads ([`TypeAttr`]) of `die`, the first
    /// of a repeated one only, when its abbreviation has a type plan: each read where the plan
    /// puts it, the others not visited. `Ok(false)`: no plan, nothing read.
    #[inline]
    pub fn type_attributes(
        &self,
        die: &Die,
        mut each: impl FnMut(TypeAttr, AttributeValue<Reader<'a>>),
    ) -> Result<bool> {
        let Some((plan, reads)) = self.table.type_plan_of(&die.abbrev) else {
            return Ok(false);
        };
        let error = |source| self.error(die.offset, source);
        let start = self.cursor_at(die.attrs).map_err(error)?;
        let mut after_name = start;
        if plan.string_name {
            after_name.read_null_terminated_slice().map_err(error)?;
        }
        let encoding = self.encoding();
        for read in reads {
            let mut cursor = if read.place.anchor == Anchor::Start { start } else { after_name };
            cursor.skip(usize::from(read.place.offset)).map_err(error)?;
            each(read.attr, form::read(&mut cursor, &read.spec, encoding).map_err(error)?);
        }
        Ok(true)
    }

    /// The attributes of a variable DIE the first pass reads, in one pass over them: for the
    /// variables the planned readers ([`UnitDies::planned_layout`]) leave undecided. Cheaper
    /// than [`UnitDies::attributes`]: the name is only located (most variables never need it),
    /// and the usual forms of location and references are read without the general decoder.
    /// A repeated attribute: the last counts. Returns the offset just past the attributes.
    pub fn variable_attributes(&self, die: &Die, out: &mut VariableAttrs<'a>) -> Result<usize> {
        use gimli::constants as c;
        let error = |source| self.error(die.offset, source);
        let mut cursor = self.cursor_at(die.attrs).map_err(error)?;
        let encoding = self.encoding();
        let mut pending = 0;
        for (spec, size) in self.table.specs_and_sizes(&die.abbrev) {
            let name = spec.name();
            let reference = matches!(name, c::DW_AT_type | c::DW_AT_specification | c::DW_AT_abstract_origin);
            if !reference && name != c::DW_AT_location {
                if name == c::DW_AT_name {
                    out.name = Some(AttributeAt { offset: self.offset_of(&cursor) + pending, spec: *spec });
                }
                form::skip_unread(&mut cursor, &mut pending, size, spec.form(), encoding).map_err(error)?;
                continue;
            }
            cursor.skip(pending).map_err(error)?;
            pending = 0;
            if !reference {
                out.location = Some(if spec.form() == c::DW_FORM_exprloc {
                    let len = form::uleb128(&mut cursor).map_err(error)?;
                    let len = usize::try_from(len).map_err(|_| error(gimli::Error::UnsupportedOffset))?;
                    AttributeValue::Exprloc(gimli::Expression(cursor.split(len).map_err(error)?))
                } else {
                    form::read(&mut cursor, spec, encoding).map_err(error)?
                });
                continue;
            }
            let value = if spec.form() == c::DW_FORM_ref4 {
                AttributeValue::UnitRef(gimli::UnitOffset(cursor.read_u32().map_err(error)? as usize))
            } else {
                form::read(&mut cursor, spec, encoding).map_err(error)?
            };
            let target = self.units.reference(self.entry, die.offset, &value)?;
            if name == c::DW_AT_type {
                out.ty = target;
            } else {
                out.origin = target;
            }
        }
        cursor.skip(pending).map_err(error)?;
        Ok(self.offset_of(&cursor))
    }

    /// Where the attributes of a planned variable lie, read straight from the unit's bytes: its
    /// attributes start at `start` (an offset in the unit's DIE bytes). `None` when this cannot
    /// tell (the DIE runs past the end): the general reader then gives the result or the error.
    #[inline]
    pub(crate) fn planned_layout(&self, plan: &VariablePlan, start: usize) -> Option<PlannedLayout> {
        let bytes = self.entries.slice();
        let after_name = match plan.string_name {
            Some(offset) => {
                let name = start.checked_add(usize::from(offset))?;
                name + bytes.get(name..)?.iter().position(|&b| b == 0)? + 1
            }
            None => start,
        };
        let anchor = if plan.location.anchor == Anchor::Start { start } else { after_name };
        let (len, expression) = form::uleb128_raw(bytes, anchor + usize::from(plan.location.offset))?;
        let after_location = expression.checked_add(usize::try_from(len).ok()?)?;
        let end = after_location.checked_add(usize::from(plan.tail))?;
        (end <= bytes.len()).then_some(PlannedLayout { start, after_name, expression, after_location, end })
    }

    /// The location expression's bytes of a planned variable.
    #[inline]
    pub(crate) fn planned_location(&self, layout: &PlannedLayout) -> &'a [u8] {
        self.entries.slice().get(layout.expression..layout.after_location).unwrap_or_default()
    }

    /// Name, type and origin of a planned variable; `None` when a reference leaves the unit
    /// (the general reader then resolves it).
    #[inline]
    pub(crate) fn planned_references(
        &self,
        plan: &VariablePlan,
        layout: &PlannedLayout,
    ) -> Option<(Option<AttributeAt>, Option<DieRef>, Option<DieRef>)> {
        let bytes = self.entries.slice();
        let at = |place: Place| {
            usize::from(place.offset)
                + match place.anchor {
                    Anchor::Start => layout.start,
                    Anchor::Name => layout.after_name,
                    Anchor::Location => layout.after_location,
                }
        };
        let reference = |(place, size): (Place, u8)| {
            let at = at(place);
            let offset = form::uint_raw(bytes.get(at..at + usize::from(size))?, self.entries.endian())?;
            let target = self.entry.start.checked_add(usize::try_from(offset).ok()?)?;
            (target < self.entry.end).then_some(DieRef { sect: self.entry.sect, offset: target })
        };
        let ty = match plan.ty {
            Some(ty) => Some(reference(ty)?),
            None => None,
        };
        let origin = match plan.origin {
            Some(origin) => Some(reference(origin)?),
            None => None,
        };
        let name = plan.name.and_then(|(place, index)| {
            let spec = self.table.spec(index)?;
            Some(AttributeAt { offset: self.entries_start + at(place), spec })
        });
        Some((name, ty, origin))
    }

    /// The value of the attribute at `at`, located earlier (by [`UnitDies::variable_attributes`]).
    #[inline]
    pub fn attribute_at(&self, at: AttributeAt) -> Result<AttributeValue<Reader<'a>>> {
        let error = |source| self.error(at.offset, source);
        let mut cursor = self.cursor_at(at.offset).map_err(error)?;
        form::read(&mut cursor, &at.spec, self.encoding()).map_err(error)
    }

    /// The direct children of `die`, in order.
    pub fn children<'x>(&'x self, die: &Die) -> Children<'x, 'u, 'a> {
        let mut cursor = self.cursor_at(die.attrs).map_err(|e| self.error(die.offset, e));
        if let Ok(cursor) = &mut cursor {
            if let Err(e) = self.skip_attributes(cursor, die) {
                return Children {
                    unit: self,
                    parent: die.offset,
                    state: Err(Some(self.error(die.offset, e))),
                };
            }
        }
        let state = match cursor {
            _ if !die.abbrev.has_children => Err(None),
            Ok(cursor) => Ok((cursor, 0)),
            Err(e) => Err(Some(e)),
        };
        Children { unit: self, parent: die.offset, state }
    }

    /// Resolve a string-class attribute value (a name) to its bytes.
    #[inline]
    pub fn string(&self, value: AttributeValue<Reader<'a>>) -> gimli::Result<&'a [u8]> {
        let dwarf = self.units.dwarf;
        let string = match value {
            AttributeValue::String(string) => string,
            AttributeValue::DebugStrRef(offset) => dwarf.debug_str.get_str(offset)?,
            AttributeValue::DebugStrRefSup(offset) => dwarf.sup_string(offset)?,
            AttributeValue::DebugLineStrRef(offset) => dwarf.debug_line_str.get_str(offset)?,
            AttributeValue::DebugStrOffsetsIndex(index) => {
                let offset = dwarf.debug_str_offsets.get_str_offset(
                    self.entry.header.format(),
                    self.str_offsets_base,
                    index,
                )?;
                dwarf.debug_str.get_str(offset)?
            }
            _ => return Err(gimli::Error::ExpectedStringAttributeValue),
        };
        Ok(string.slice())
    }

    /// The address at `index` in this unit's part of `.debug_addr`.
    pub fn address(&self, index: gimli::DebugAddrIndex) -> gimli::Result<u64> {
        self.units.dwarf.debug_addr.get_address(self.entry.header.address_size(), self.addr_base, index)
    }

    pub fn encoding(&self) -> gimli::Encoding {
        self.entry.header.encoding()
    }

    /// The unit's `DW_AT_name` (its main source file), for messages.
    pub fn name(&self) -> String {
        match self.name.and_then(|value| self.string(value).ok()) {
            Some(name) => String::from_utf8_lossy(name).into_owned(),
            None => format!("<unnamed unit at {:#x}>", self.entry.start),
        }
    }
}

/// A DWARF string as text: `String::from_utf8_lossy`, with the quicker check for valid UTF-8
/// (every name a compiler writes) first.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Where an attribute's value is: section offset and specification.
#[derive(Debug, Clone, Copy)]
pub struct AttributeAt {
    offset: usize,
    spec: gimli::AttributeSpecification,
}

/// Where a planned variable's attributes lie: offsets into its unit's DIE bytes.
pub(crate) struct PlannedLayout {
    start: usize,
    after_name: usize,
    /// The location expression: from `expression` to `after_location`.
    expression: usize,
    after_location: usize,
    /// Just past the DIE's attributes.
    pub end: usize,
}

/// What [`UnitDies::variable_attributes`] reads.
#[derive(Default)]
pub struct VariableAttrs<'a> {
    pub location: Option<AttributeValue<Reader<'a>>>,
    pub name: Option<AttributeAt>,
    /// `DW_AT_specification` / `DW_AT_abstract_origin`.
    pub origin: Option<DieRef>,
    pub ty: Option<DieRef>,
}

/// Iterator over the direct children of a DIE.
pub struct Children<'x, 'u, 'a> {
    unit: &'x UnitDies<'u, 'a>,
    parent: usize,
    /// The cursor and the depth below the children (0 while reading them); or done, with an
    /// error still to report.
    state: std::result::Result<(Cursor<'a>, usize), Option<Box<Error>>>,
}

impl Iterator for Children<'_, '_, '_> {
    type Item = Result<Die>;

    /// Inline, like [`UnitDies::die_at`]: each child is built where the loop keeps it.
    #[inline]
    fn next(&mut self) -> Option<Result<Die>> {
        let (cursor, depth) = match &mut self.state {
            Ok(state) => state,
            Err(error) => return error.take().map(Err),
        };
        while !cursor.is_empty() {
            let child = match self.unit.read_die(cursor).and_then(|child| match child {
                Some(child) => self.unit.skip_attributes(cursor, &child).map(|()| Some(child)),
                None => Ok(None),
            }) {
                Ok(child) => child,
                Err(e) => {
                    self.state = Err(None);
                    return Some(Err(self.unit.error(self.parent, e)));
                }
            };
            match child {
                None if *depth == 0 => break,
                None => *depth -= 1,
                Some(child) => {
                    let direct = *depth == 0;
                    *depth += usize::from(child.abbrev.has_children);
                    if direct {
                        return Some(Ok(child));
                    }
                }
            }
        }
        self.state = Err(None);
        None
    }
}

/// Abbreviation tables and prepared units kept for reuse; beyond this many units both are
/// dropped, which bounds memory whatever the references between units look like.
const CACHED_UNITS: usize = 64;

/// Reads DIEs anywhere in the image, preparing units on first use. One per thread.
pub struct Dies<'u, 'a> {
    pub units: &'u Units<'a>,
    prepared: RefCell<FxHashMap<usize, Rc<UnitDies<'u, 'a>>>>,
    /// The unit of the last DIE read: most references stay in their unit.
    last: RefCell<Option<Rc<UnitDies<'u, 'a>>>>,
    /// Tables by (`.debug_abbrev` offset, encoding): type units share their unit's table.
    tables: RefCell<FxHashMap<(usize, gimli::Encoding), Rc<AbbrevTable<'a>>>>,
    /// The table parsed or reused last, for the next unit to compare its bytes with.
    recent_table: RefCell<Option<Rc<AbbrevTable<'a>>>>,
}

impl<'u, 'a> Dies<'u, 'a> {
    pub fn new(units: &'u Units<'a>) -> Self {
        Dies {
            units,
            prepared: RefCell::default(),
            last: RefCell::default(),
            tables: RefCell::default(),
            recent_table: RefCell::default(),
        }
    }

    /// Unit `index`, prepared for reading.
    pub fn unit(&self, index: usize) -> Result<Rc<UnitDies<'u, 'a>>> {
        if let Some(unit) = self.prepared.borrow().get(&index) {
            return Ok(Rc::clone(unit));
        }
        let units = self.units;
        let entry = units.units.get(index).ok_or_else(|| Error::Unsupported {
            at: DieLocation { section: Sect::Info.name(), unit: 0, die: None },
            message: format!("no unit number {index}"),
        })?;
        let error = |source| Error::Dwarf { at: entry.location(None), source };
        if self.prepared.borrow().len() >= CACHED_UNITS {
            self.prepared.borrow_mut().clear();
            self.tables.borrow_mut().clear();
        }
        let encoding = entry.header.encoding();
        let abbrev_offset = entry.header.debug_abbrev_offset().0;
        let cached = self.tables.borrow().get(&(abbrev_offset, encoding)).cloned();
        let table = match cached {
            Some(table) => table,
            None => {
                let mut input = *units.dwarf.debug_abbrev.reader();
                input.skip(abbrev_offset).map_err(error)?;
                // Compilers give each unit its own table, but units compiled alike have the
                // same bytes there: the same bytes parse to the same table.
                let same = self.recent_table.borrow().as_ref().and_then(|table| {
                    let bytes = table.bytes()?;
                    input.slice().starts_with(bytes).then(|| Rc::clone(table))
                });
                let table = match same {
                    Some(table) if table.encoding() == encoding => table,
                    _ => Rc::new(AbbrevTable::parse(input, encoding).map_err(error)?),
                };
                *self.recent_table.borrow_mut() = Some(Rc::clone(&table));
                self.tables.borrow_mut().insert((abbrev_offset, encoding), Rc::clone(&table));
                table
            }
        };
        let entries_start = entry.start + entry.header.header_size();
        let section = match entry.sect {
            Sect::Info => units.dwarf.debug_info.reader(),
            Sect::Types => units.dwarf.debug_types.reader(),
        };
        let entries = section
            .slice()
            .get(entries_start..entry.end)
            .ok_or_else(|| error(gimli::Error::OffsetOutOfBounds))?;
        let mut unit = UnitDies {
            index,
            entry,
            table,
            entries: EndianSlice::new(entries, section.endian()),
            entries_start,
            str_offsets_base: gimli::DebugStrOffsetsBase::default_for_encoding_and_file(
                encoding,
                units.dwarf.file_type,
            ),
            addr_base: gimli::DebugAddrBase(0),
            name: None,
            units,
        };
        let mut cursor = unit.first();
        let root =
            unit.read_die(&mut cursor).map_err(error)?.ok_or_else(|| error(gimli::Error::MissingUnitDie))?;
        let (mut name, mut str_offsets_base, mut addr_base) = (None, None, None);
        unit.attributes(
            &root,
            |name| {
                matches!(
                    name,
                    gimli::DW_AT_name
                        | gimli::DW_AT_str_offsets_base
                        | gimli::DW_AT_addr_base
                        | gimli::DW_AT_GNU_addr_base
                )
            },
            |attr, value| {
                match (attr, value) {
                    (gimli::DW_AT_name, value) => name = Some(value),
                    (gimli::DW_AT_str_offsets_base, AttributeValue::DebugStrOffsetsBase(base)) => {
                        str_offsets_base = Some(base)
                    }
                    (
                        gimli::DW_AT_addr_base | gimli::DW_AT_GNU_addr_base,
                        AttributeValue::DebugAddrBase(base),
                    ) => addr_base = Some(base),
                    _ => {}
                }
                Ok(())
            },
        )?;
        unit.name = name;
        unit.str_offsets_base = str_offsets_base.unwrap_or(unit.str_offsets_base);
        unit.addr_base = addr_base.unwrap_or(unit.addr_base);
        let unit = Rc::new(unit);
        self.prepared.borrow_mut().insert(index, Rc::clone(&unit));
        Ok(unit)
    }

    /// The DIE at `die` and its unit.
    pub fn die(&self, die: DieRef) -> Result<(Rc<UnitDies<'u, 'a>>, Die)> {
        let last = self.last.borrow().clone();
        let unit = match last {
            Some(unit)
                if unit.entry.sect == die.sect
                    && (unit.entry.start..unit.entry.end).contains(&die.offset) =>
            {
                unit
            }
            _ => {
                let index = self.units.unit_of(die).ok_or_else(|| Error::Unsupported {
                    at: self.units.location(die),
                    message: "DIE offset outside every unit".into(),
                })?;
                let unit = self.unit(index)?;
                *self.last.borrow_mut() = Some(Rc::clone(&unit));
                unit
            }
        };
        let entry = unit.die_at(die.offset)?;
        Ok((unit, entry))
    }

    /// Name, type and origin of the DIE at `die`.
    pub fn basics(&self, die: DieRef) -> Result<DieBasics<'a>> {
        let (unit, entry) = self.die(die)?;
        let mut basics = DieBasics { name: None, ty: None, origin: None };
        let units = self.units;
        unit.attributes(
            &entry,
            |name| {
                matches!(
                    name,
                    gimli::DW_AT_name
                        | gimli::DW_AT_type
                        | gimli::DW_AT_specification
                        | gimli::DW_AT_abstract_origin
                )
            },
            |attr, value| {
                match attr {
                    gimli::DW_AT_name => {
                        basics.name = Some(unit.string(value).map_err(|e| unit.error(die.offset, e))?)
                    }
                    gimli::DW_AT_type => basics.ty = units.reference(unit.entry, die.offset, &value)?,
                    _ => basics.origin = units.reference(unit.entry, die.offset, &value)?,
                }
                Ok(())
            },
        )?;
        Ok(basics)
    }

    /// Name and type of a DIE, completed from its chain of declarations/abstract origins.
    pub fn name_and_type(
        &self,
        mut name: Option<&'a [u8]>,
        mut ty: Option<DieRef>,
        mut origin: Option<DieRef>,
    ) -> Result<(Option<&'a [u8]>, Option<DieRef>)> {
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

/// Name, type and origin (`DW_AT_specification` or `DW_AT_abstract_origin`) of one DIE.
pub struct DieBasics<'a> {
    pub name: Option<&'a [u8]>,
    pub ty: Option<DieRef>,
    pub origin: Option<DieRef>,
}
