//! Abbreviation tables laid out for a fast DIE walk. gimli's `Abbreviations` costs as much to
//! parse as the walk itself and sizes every attribute again at each DIE; here each abbreviation
//! carries the total size of its attributes when all its forms have a fixed size, so most DIEs
//! are skipped with one addition (the others in a step per variable-size attribute), and each variable abbreviation carries where the attributes
//! the first pass reads lie (a [`VariablePlan`]), so most variables are read without visiting
//! every attribute. Attribute values are decoded in `form`.

use gimli::{constants, AttributeSpecification, Encoding, Reader as _};

use super::{form, Reader};

/// Size of a form whose encoding has no fixed size.
const VARIABLE_FORM: u8 = u8::MAX;
/// Codes up to this bound (and up to a small multiple of the table's length) index a dense
/// map; others are looked up in a sorted list, so a huge code in a corrupt table costs nothing.
const DENSE_CODES: u64 = 1 << 16;

/// Initial capacity for a table's abbreviations.
const TYPICAL_ABBREVS: usize = 64;

/// What the first pass does with a DIE of this abbreviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A variable with a location: a candidate.
    Variable,
    /// A struct or class definition: checked against the manifest's tags.
    Struct,
    /// A subprogram: the scope of function statics.
    Subprogram,
    Other,
}

#[derive(Debug, Clone, Copy)]
pub struct Abbrev {
    pub tag: constants::DwTag,
    pub has_children: bool,
    pub role: Role,
    /// Bytes of the fixed-size attributes after the last variable-size one (all of them when
    /// none is variable).
    tail: u32,
    /// The variable-size attributes: `step_count` entries of `AbbrevTable::steps`.
    first_step: u32,
    step_count: u32,
    first_spec: u32,
    spec_count: u32,
    /// Variables: index into `AbbrevTable::plans`; structs: into `AbbrevTable::struct_plans`;
    /// or `NO_PLAN`.
    plan: u32,
    /// Index into `AbbrevTable::type_plans`, or `NO_PLAN`.
    type_plan: u32,
}

/// `Abbrev::plan` of an abbreviation without a [`VariablePlan`].
const NO_PLAN: u32 = u32::MAX;

/// An empty slot of `AbbrevTable::dense` (no abbreviation has tag 0).
const NO_ABBREV: Abbrev = Abbrev {
    tag: constants::DwTag(0),
    has_children: false,
    role: Role::Other,
    tail: 0,
    first_step: 0,
    step_count: 0,
    first_spec: 0,
    spec_count: 0,
    plan: NO_PLAN,
    type_plan: NO_PLAN,
};

/// What a [`Place`] counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The start of the attributes.
    Start,
    /// The end of the `DW_FORM_string` name.
    Name,
    /// The end of the location expression.
    Location,
}

/// Where an attribute of a planned variable lies: bytes from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub anchor: Anchor,
    pub offset: u16,
}

/// The layout of a variable abbreviation whose only variable-size attributes are one
/// `DW_FORM_exprloc` location and possibly a `DW_FORM_string` name before it (GCC's form for
/// short names): every attribute the first pass reads is at a known place, so a DIE is read
/// without going through its attributes one by one. Compilers write nearly every variable so.
#[derive(Debug, Clone, Copy)]
pub struct VariablePlan {
    /// The start of the location's length.
    pub location: Place,
    /// Bytes after the location expression.
    pub tail: u16,
    /// `DW_AT_type` and the origin (`DW_AT_specification` or `DW_AT_abstract_origin`): where,
    /// and the size of their `DW_FORM_ref1/2/4/8` offset.
    pub ty: Option<(Place, u8)>,
    pub origin: Option<(Place, u8)>,
    /// `DW_AT_name`: where, and its index into `AbbrevTable::specs`.
    pub name: Option<(Place, u32)>,
    /// A `DW_FORM_string` name: where (counted from the start).
    pub string_name: Option<u16>,
}

/// Where a struct abbreviation's name and size lie, for the first pass's check of manifest
/// tags: both at fixed offsets from the start of the attributes, the name as `DW_FORM_strp`.
/// Whether a DIE is a declaration is a property of its abbreviation (`DW_AT_declaration`
/// present), so a declaration is skipped without reading anything.
#[derive(Debug, Clone, Copy)]
pub struct StructPlan {
    pub declaration: bool,
    /// Offset and byte count of the name's `.debug_str` offset, if the struct has a name.
    pub name: Option<(u16, u8)>,
    /// Offset and byte count of `DW_AT_byte_size` (`DW_FORM_data1/2/4/8`).
    pub byte_size: Option<(u16, u8)>,
}

/// An attribute type resolution reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeAttr {
    Name,
    Type,
    Signature,
    ByteSize,
    Declaration,
    BitSize,
    MemberLocation,
    Count,
    LowerBound,
    UpperBound,
}

impl TypeAttr {
    /// The type attribute `name` is, if it is one.
    pub fn of(name: constants::DwAt) -> Option<TypeAttr> {
        Some(match name {
            constants::DW_AT_name => TypeAttr::Name,
            constants::DW_AT_type => TypeAttr::Type,
            constants::DW_AT_signature => TypeAttr::Signature,
            constants::DW_AT_byte_size => TypeAttr::ByteSize,
            constants::DW_AT_declaration => TypeAttr::Declaration,
            constants::DW_AT_bit_size => TypeAttr::BitSize,
            constants::DW_AT_data_member_location => TypeAttr::MemberLocation,
            constants::DW_AT_count => TypeAttr::Count,
            constants::DW_AT_lower_bound => TypeAttr::LowerBound,
            constants::DW_AT_upper_bound => TypeAttr::UpperBound,
            _ => return None,
        })
    }
}

/// Where the attributes type resolution reads lie in DIEs of one abbreviation, when each
/// starts at a known place: after fixed-size attributes only, or after those and a leading
/// `DW_FORM_string` name. A DIE is then read without visiting its other attributes.
#[derive(Debug, Clone, Copy)]
pub struct TypePlan {
    /// `reads` entries of `AbbrevTable::type_reads`.
    first: u32,
    reads: u32,
    /// A `DW_FORM_string` name at the start: where [`Anchor::Name`] places count from.
    pub string_name: bool,
}

/// One attribute of a [`TypePlan`]: which, where, and its index into `AbbrevTable::specs`.
#[derive(Debug, Clone, Copy)]
pub struct TypeRead {
    pub attr: TypeAttr,
    pub place: Place,
    pub spec: AttributeSpecification,
}

/// One abbreviation table, for one encoding (form sizes depend on it).
#[derive(Debug)]
pub struct AbbrevTable<'a> {
    /// The abbreviations by code (tag 0: no such code). A copy of `abbrevs` rather than an
    /// index into it: the walk looks up every DIE's code, and one load fewer in that chain
    /// of dependent loads shows in its speed.
    dense: Vec<Abbrev>,
    /// (code, index into `abbrevs`) for codes beyond `dense`, sorted by code.
    sparse: Vec<(u64, u32)>,
    abbrevs: Vec<Abbrev>,
    specs: Vec<AttributeSpecification>,
    plans: Vec<VariablePlan>,
    struct_plans: Vec<StructPlan>,
    type_plans: Vec<TypePlan>,
    type_reads: Vec<TypeRead>,
    /// Per variable-size attribute of each abbreviation: the fixed-size bytes before it (since
    /// the previous one) and its form, so a DIE is skipped in a step per variable attribute.
    steps: Vec<(u32, constants::DwForm)>,
    /// Per spec: its fixed size or `VARIABLE_FORM`.
    sizes: Vec<u8>,
    encoding: Encoding,
    /// The bytes the table was parsed from, terminator included; `None` when the section
    /// ended first (the same bytes elsewhere could go on, so they are no proof of equality).
    bytes: Option<&'a [u8]>,
}

impl<'a> AbbrevTable<'a> {
    /// Parse the table at the start of `input` (the `.debug_abbrev` section from the table's
    /// offset), with gimli's validation: tag and form non-zero, children flag 0 or 1, codes
    /// unique. A missing terminator at the end of the section ends the table.
    pub fn parse(mut input: Reader<'a>, encoding: Encoding) -> gimli::Result<AbbrevTable<'a>> {
        let start = input.slice();
        // Typical compiler output: tens of abbreviations of a few attributes each; growing the
        // vectors from empty would cost more than the parse.
        let mut table = AbbrevTable {
            dense: Vec::with_capacity(TYPICAL_ABBREVS + 1),
            sparse: Vec::new(),
            abbrevs: Vec::with_capacity(TYPICAL_ABBREVS),
            specs: Vec::with_capacity(TYPICAL_ABBREVS * 4),
            sizes: Vec::with_capacity(TYPICAL_ABBREVS * 4),
            steps: Vec::new(),
            plans: Vec::new(),
            struct_plans: Vec::new(),
            type_plans: Vec::new(),
            type_reads: Vec::new(),
            encoding,
            bytes: None,
        };
        while !input.is_empty() {
            let code = form::uleb128(&mut input)?;
            if code == 0 {
                table.bytes = start.get(..start.len() - input.len());
                break;
            }
            let tag = constants::DwTag(form::uleb128_u16(&mut input)?);
            if tag.0 == 0 {
                return Err(gimli::Error::AbbreviationTagZero);
            }
            let has_children = match constants::DwChildren(input.read_u8()?) {
                constants::DW_CHILDREN_no => false,
                constants::DW_CHILDREN_yes => true,
                _ => return Err(gimli::Error::BadHasChildren),
            };
            let first_spec = table.specs.len();
            let first_step = table.steps.len();
            let mut tail = 0u32;
            let mut has_location = false;
            loop {
                let name = constants::DwAt(form::uleb128_u16(&mut input)?);
                let form = constants::DwForm(form::uleb128_u16(&mut input)?);
                if name.0 == 0 {
                    if form.0 != 0 {
                        return Err(gimli::Error::ExpectedZero);
                    }
                    break;
                }
                if form.0 == 0 {
                    return Err(gimli::Error::AttributeFormZero);
                }
                let implicit_const = if form == constants::DW_FORM_implicit_const {
                    Some(input.read_sleb128()?)
                } else {
                    None
                };
                let size = form::fixed_size(form, encoding);
                match size {
                    Some(size) => tail = tail.saturating_add(u32::from(size)),
                    None => {
                        table.steps.push((tail, form));
                        tail = 0;
                    }
                }
                has_location |= name == constants::DW_AT_location;
                table.specs.push(AttributeSpecification::new(name, form, implicit_const));
                table.sizes.push(size.unwrap_or(VARIABLE_FORM));
            }
            let role = match tag {
                constants::DW_TAG_variable if has_location => Role::Variable,
                constants::DW_TAG_structure_type | constants::DW_TAG_class_type => Role::Struct,
                constants::DW_TAG_subprogram => Role::Subprogram,
                _ => Role::Other,
            };
            let plan = match role {
                Role::Variable => table.plan(first_spec).map_or(NO_PLAN, |plan| {
                    table.plans.push(plan);
                    u32::try_from(table.plans.len() - 1).unwrap_or(NO_PLAN)
                }),
                Role::Struct => table.struct_plan(first_spec).map_or(NO_PLAN, |plan| {
                    table.struct_plans.push(plan);
                    u32::try_from(table.struct_plans.len() - 1).unwrap_or(NO_PLAN)
                }),
                _ => NO_PLAN,
            };
            let type_plan = match role {
                Role::Variable | Role::Subprogram => NO_PLAN,
                Role::Struct | Role::Other => table.type_plan(first_spec).map_or(NO_PLAN, |plan| {
                    table.type_plans.push(plan);
                    u32::try_from(table.type_plans.len() - 1).unwrap_or(NO_PLAN)
                }),
            };
            let index =
                u32::try_from(table.abbrevs.len()).map_err(|_| gimli::Error::DuplicateAbbreviationCode)?;
            // Specs beyond u32 cannot come from a section that fits the address space the
            // DWARF describes; the conversions saturate rather than wrap.
            table.abbrevs.push(Abbrev {
                tag,
                has_children,
                role,
                tail,
                first_step: u32::try_from(first_step).unwrap_or(u32::MAX),
                step_count: u32::try_from(table.steps.len() - first_step).unwrap_or(0),
                first_spec: u32::try_from(first_spec).unwrap_or(u32::MAX),
                spec_count: u32::try_from(table.specs.len() - first_spec).unwrap_or(0),
                plan,
                type_plan,
            });
            table.insert(code, index)?;
        }
        table.sparse.sort_unstable_by_key(|&(code, _)| code);
        if table.sparse.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return Err(gimli::Error::DuplicateAbbreviationCode);
        }
        Ok(table)
    }

    /// The [`VariablePlan`] of the variable abbreviation whose specs start at `first`, if its
    /// layout allows one.
    fn plan(&self, first: usize) -> Option<VariablePlan> {
        let specs = self.specs.get(first..)?;
        let sizes = self.sizes.get(first..)?;
        let (mut location, mut string_name) = (None, None);
        let (mut ty, mut origin, mut name) = (None, None, None);
        let mut anchor = Anchor::Start;
        let mut offset = 0u16;
        for (index, (spec, &size)) in specs.iter().zip(sizes).enumerate() {
            let place = Place { anchor, offset };
            let reference = || match spec.form() {
                constants::DW_FORM_ref1
                | constants::DW_FORM_ref2
                | constants::DW_FORM_ref4
                | constants::DW_FORM_ref8 => Some((place, size)),
                _ => None,
            };
            // A repeated attribute or an unusual form: no plan, the general reader handles it.
            match spec.name() {
                constants::DW_AT_location => {
                    if location.is_some() || spec.form() != constants::DW_FORM_exprloc {
                        return None;
                    }
                    location = Some(place);
                    (anchor, offset) = (Anchor::Location, 0);
                    continue;
                }
                constants::DW_AT_type if ty.is_none() => ty = Some(reference()?),
                constants::DW_AT_specification | constants::DW_AT_abstract_origin if origin.is_none() => {
                    origin = Some(reference()?)
                }
                constants::DW_AT_name if name.is_none() => {
                    name = Some((place, u32::try_from(first + index).ok()?));
                    if spec.form() == constants::DW_FORM_string && anchor == Anchor::Start {
                        string_name = Some(offset);
                        (anchor, offset) = (Anchor::Name, 0);
                        continue;
                    }
                }
                constants::DW_AT_type
                | constants::DW_AT_specification
                | constants::DW_AT_abstract_origin
                | constants::DW_AT_name => return None,
                _ => {}
            }
            if size == VARIABLE_FORM {
                return None;
            }
            offset = offset.checked_add(u16::from(size))?;
        }
        Some(VariablePlan { location: location?, tail: offset, ty, origin, name, string_name })
    }

    /// The [`StructPlan`] of the struct abbreviation whose specs start at `first`, if the name
    /// and size it has come before any variable-size attribute, in the usual forms, once each.
    fn struct_plan(&self, first: usize) -> Option<StructPlan> {
        let specs = self.specs.get(first..)?;
        let sizes = self.sizes.get(first..)?;
        let mut plan = StructPlan { declaration: false, name: None, byte_size: None };
        let (mut named, mut sized) = (false, false);
        // `None` once a variable-size attribute has been passed.
        let mut offset = Some(0u16);
        for (spec, &size) in specs.iter().zip(sizes) {
            match spec.name() {
                constants::DW_AT_declaration => plan.declaration = true,
                constants::DW_AT_name if !named && spec.form() == constants::DW_FORM_strp => {
                    (named, plan.name) = (true, Some((offset?, size)));
                }
                constants::DW_AT_byte_size
                    if !sized
                        && matches!(
                            spec.form(),
                            constants::DW_FORM_data1
                                | constants::DW_FORM_data2
                                | constants::DW_FORM_data4
                                | constants::DW_FORM_data8
                        ) =>
                {
                    (sized, plan.byte_size) = (true, Some((offset?, size)));
                }
                // Another form, or a repeat: the general reader decides.
                constants::DW_AT_name | constants::DW_AT_byte_size => return None,
                _ => {}
            }
            offset = match size {
                VARIABLE_FORM => None,
                size => offset.and_then(|o| o.checked_add(u16::from(size))),
            };
        }
        Some(plan)
    }

    /// The [`TypePlan`] of the abbreviation whose specs start at `first`, if its layout allows
    /// one; its reads are appended to `type_reads`.
    fn type_plan(&mut self, first: usize) -> Option<TypePlan> {
        let specs = self.specs.get(first..)?;
        let sizes = self.sizes.get(first..)?;
        let start = self.type_reads.len();
        let mut string_name = false;
        let mut anchor = Anchor::Start;
        // `None` once a variable-size attribute has been passed: nothing after it has a place.
        let mut offset = Some(0u16);
        for (index, (spec, &size)) in specs.iter().zip(sizes).enumerate() {
            // The first of a repeated attribute counts, as in the general reader.
            let planned = self.type_reads.get(start..).unwrap_or_default();
            if let Some(attr) = TypeAttr::of(spec.name()).filter(|a| planned.iter().all(|r| r.attr != *a)) {
                let Some(at) = offset else {
                    self.type_reads.truncate(start);
                    return None;
                };
                self.type_reads.push(TypeRead { attr, place: Place { anchor, offset: at }, spec: *spec });
            }
            if index == 0 && spec.name() == constants::DW_AT_name && spec.form() == constants::DW_FORM_string
            {
                string_name = true;
                (anchor, offset) = (Anchor::Name, Some(0));
                continue;
            }
            offset = match size {
                VARIABLE_FORM => None,
                size => offset.and_then(|o| o.checked_add(u16::from(size))),
            };
        }
        Some(TypePlan {
            first: u32::try_from(start).ok()?,
            reads: u32::try_from(self.type_reads.len() - start).ok()?,
            string_name,
        })
    }

    /// The type plan of an abbreviation and its reads, if it has one.
    #[inline]
    pub fn type_plan_of(&self, abbrev: &Abbrev) -> Option<(&TypePlan, &[TypeRead])> {
        let plan = self.type_plans.get(abbrev.type_plan as usize)?;
        let first = plan.first as usize;
        Some((plan, self.type_reads.get(first..first + plan.reads as usize)?))
    }

    /// The plan of a variable abbreviation, if it has one.
    #[inline]
    pub fn variable_plan(&self, abbrev: &Abbrev) -> Option<&VariablePlan> {
        self.plans.get(abbrev.plan as usize)
    }

    /// The plan of a struct abbreviation, if it has one.
    pub fn struct_plan_of(&self, abbrev: &Abbrev) -> Option<&StructPlan> {
        match abbrev.role {
            Role::Struct => self.struct_plans.get(abbrev.plan as usize),
            _ => None,
        }
    }

    /// Specification `index` (from a [`VariablePlan`]).
    pub fn spec(&self, index: u32) -> Option<AttributeSpecification> {
        self.specs.get(index as usize).copied()
    }

    /// The bytes the table was parsed from, if it ended with its terminator.
    pub fn bytes(&self) -> Option<&'a [u8]> {
        self.bytes
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn insert(&mut self, code: u64, index: u32) -> gimli::Result<()> {
        let dense_limit = DENSE_CODES.min(4 * self.abbrevs.len() as u64 + 64);
        if code < dense_limit {
            let slot = code as usize;
            let abbrev = *self.abbrevs.get(index as usize).ok_or(gimli::Error::UnknownAbbreviation(code))?;
            if self.dense.len() <= slot {
                self.dense.resize(slot + 1, NO_ABBREV);
            }
            match self.dense.get_mut(slot) {
                Some(entry) if entry.tag.0 == 0 => *entry = abbrev,
                _ => return Err(gimli::Error::DuplicateAbbreviationCode),
            }
        } else {
            self.sparse.push((code, index));
        }
        Ok(())
    }

    /// The abbreviation for `code` (non-zero).
    #[inline]
    pub fn get(&self, code: u64) -> gimli::Result<&Abbrev> {
        match usize::try_from(code).ok().and_then(|c| self.dense.get(c)) {
            Some(abbrev) if abbrev.tag.0 != 0 => Ok(abbrev),
            _ => self.get_sparse(code),
        }
    }

    #[cold]
    fn get_sparse(&self, code: u64) -> gimli::Result<&Abbrev> {
        self.sparse
            .binary_search_by_key(&code, |&(c, _)| c)
            .ok()
            .and_then(|i| self.sparse.get(i))
            .and_then(|&(_, index)| self.abbrevs.get(index as usize))
            .ok_or(gimli::Error::UnknownAbbreviation(code))
    }

    /// The attributes of `abbrev` with their fixed sizes (`None`: variable).
    pub fn specs_and_sizes(
        &self,
        abbrev: &Abbrev,
    ) -> impl Iterator<Item = (&AttributeSpecification, Option<u8>)> + '_ {
        let start = abbrev.first_spec as usize;
        let range = start..start + abbrev.spec_count as usize;
        let specs = self.specs.get(range.clone()).unwrap_or_default();
        let sizes = self.sizes.get(range).unwrap_or_default();
        specs.iter().zip(sizes).map(|(spec, &size)| (spec, (size != VARIABLE_FORM).then_some(size)))
    }

    /// The offset in `bytes` just past the attributes of a DIE of `abbrev` that start at `pos`,
    /// read straight from the bytes. `None` when this cannot tell (the DIE runs past the end, or
    /// a rare form): then [`AbbrevTable::skip_attributes`] decides, with gimli's error if any.
    #[inline]
    pub fn skip_raw(&self, bytes: &[u8], mut pos: usize, abbrev: &Abbrev) -> Option<usize> {
        if abbrev.step_count != 0 {
            let start = abbrev.first_step as usize;
            for &(before, form) in self.steps.get(start..start + abbrev.step_count as usize)? {
                pos = pos.checked_add(before as usize)?;
                pos = form::skip_variable_raw(bytes, pos, form)?;
            }
        }
        let end = pos.checked_add(abbrev.tail as usize)?;
        (end <= bytes.len()).then_some(end)
    }

    /// Skip the attributes of a DIE of `abbrev` whose attributes start at `input`.
    #[inline]
    pub fn skip_attributes(&self, input: &mut Reader<'_>, abbrev: &Abbrev) -> gimli::Result<()> {
        if abbrev.step_count != 0 {
            let start = abbrev.first_step as usize;
            for &(before, form) in
                self.steps.get(start..start + abbrev.step_count as usize).unwrap_or_default()
            {
                input.skip(before as usize)?;
                form::skip_variable(input, form, self.encoding)?;
            }
        }
        input.skip(abbrev.tail as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{EndianSlice, Format, RunTimeEndian};

    #[test]
    fn rejects_what_gimli_rejects() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        let parse =
            |bytes: &[u8]| AbbrevTable::parse(EndianSlice::new(bytes, RunTimeEndian::Little), encoding).err();
        assert_eq!(parse(&[1, 0, 0, 0, 0]), Some(gimli::Error::AbbreviationTagZero));
        assert_eq!(parse(&[1, 0x34, 2, 0, 0]), Some(gimli::Error::BadHasChildren));
        assert_eq!(parse(&[1, 0x34, 0, 3, 0]), Some(gimli::Error::AttributeFormZero));
        assert_eq!(parse(&[1, 0x34, 0, 0, 3]), Some(gimli::Error::ExpectedZero));
        assert_eq!(
            parse(&[1, 0x34, 0, 0, 0, 1, 0x34, 0, 0, 0, 0]),
            Some(gimli::Error::DuplicateAbbreviationCode)
        );
        // Huge codes go to the sparse list; duplicates are found there too.
        let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
        let mut twice = Vec::new();
        for _ in 0..2 {
            twice.extend_from_slice(&huge);
            twice.extend_from_slice(&[0x34, 0, 0, 0]);
        }
        assert_eq!(parse(&twice), Some(gimli::Error::DuplicateAbbreviationCode));
        let table =
            AbbrevTable::parse(EndianSlice::new(&twice[..9], RunTimeEndian::Little), encoding).expect("one");
        assert!(table.get(0xffff_ffff).is_ok());
        assert_eq!(table.get(2).err(), Some(gimli::Error::UnknownAbbreviation(2)));
    }

    #[test]
    fn variable_plans() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        // Code 1: name (string), line (data1), type (ref4), location (exprloc), external (flag);
        // code 2: like GCC's long names, name (strp) first; code 3: two locations, no plan.
        let bytes = [
            1, 0x34, 0, 0x03, 0x08, 0x3b, 0x0b, 0x49, 0x13, 0x02, 0x18, 0x3f, 0x0c, 0, 0, //
            2, 0x34, 0, 0x03, 0x0e, 0x49, 0x13, 0x02, 0x18, 0, 0, //
            3, 0x34, 0, 0x02, 0x18, 0x02, 0x18, 0, 0, 0,
        ];
        let table =
            AbbrevTable::parse(EndianSlice::new(&bytes, RunTimeEndian::Little), encoding).expect("table");
        let plan = |code| table.get(code).ok().and_then(|a| table.variable_plan(a)).copied();
        let short = plan(1).expect("plan for a short name");
        assert_eq!(short.string_name, Some(0));
        assert_eq!(short.name.map(|n| n.0), Some(Place { anchor: Anchor::Start, offset: 0 }));
        assert_eq!(short.ty, Some((Place { anchor: Anchor::Name, offset: 1 }, 4)));
        assert_eq!((short.location, short.tail), (Place { anchor: Anchor::Name, offset: 5 }, 1));
        let long = plan(2).expect("plan for a long name");
        assert_eq!(long.string_name, None);
        assert_eq!(long.ty, Some((Place { anchor: Anchor::Start, offset: 4 }, 4)));
        assert_eq!((long.location, long.tail), (Place { anchor: Anchor::Start, offset: 8 }, 0));
        assert!(plan(3).is_none());
    }

    #[test]
    fn type_plans() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        // Code 1: member with name (strp), line (data1), type (ref4), location (data1);
        // code 2: member with name (string), type (ref4), a repeated type (ref2);
        // code 3: a block before the type: no plan.
        let bytes = [
            1, 0x0d, 0, 0x03, 0x0e, 0x3b, 0x0b, 0x49, 0x13, 0x38, 0x0b, 0, 0, //
            2, 0x0d, 0, 0x03, 0x08, 0x49, 0x13, 0x49, 0x12, 0, 0, //
            3, 0x0d, 0, 0x0a, 0x0a, 0x49, 0x13, 0, 0, 0,
        ];
        let table =
            AbbrevTable::parse(EndianSlice::new(&bytes, RunTimeEndian::Little), encoding).expect("table");
        let reads = |code| {
            let (plan, reads) = table.type_plan_of(table.get(code).ok()?)?;
            Some((plan.string_name, reads.iter().map(|r| (r.attr, r.place)).collect::<Vec<_>>()))
        };
        let at = |anchor, offset| Place { anchor, offset };
        assert_eq!(
            reads(1),
            Some((
                false,
                vec![
                    (TypeAttr::Name, at(Anchor::Start, 0)),
                    (TypeAttr::Type, at(Anchor::Start, 5)),
                    (TypeAttr::MemberLocation, at(Anchor::Start, 9)),
                ]
            ))
        );
        assert_eq!(
            reads(2),
            Some((true, vec![(TypeAttr::Name, at(Anchor::Start, 0)), (TypeAttr::Type, at(Anchor::Name, 0))]))
        );
        assert_eq!(reads(3), None);
    }

    #[test]
    fn struct_plans() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        // Tag 0x13 (structure), with children. Code 1: name (strp), size (data2), line (data1),
        // sibling (ref4); code 2: a declaration, name (strp), declaration (flag_present);
        // code 3: a string name (strp expected): no plan; code 4: a block before the size:
        // no plan; code 5: two names: no plan; code 6: no name, size (data1).
        let bytes = [
            1, 0x13, 1, 0x03, 0x0e, 0x0b, 0x05, 0x3b, 0x0b, 0x01, 0x13, 0, 0, //
            2, 0x13, 0, 0x03, 0x0e, 0x3c, 0x19, 0, 0, //
            3, 0x13, 1, 0x03, 0x08, 0x0b, 0x0b, 0, 0, //
            4, 0x13, 1, 0x03, 0x0e, 0x0a, 0x0a, 0x0b, 0x0b, 0, 0, //
            5, 0x13, 1, 0x03, 0x0e, 0x03, 0x0e, 0x0b, 0x0b, 0, 0, //
            6, 0x13, 1, 0x0b, 0x0b, 0, 0, 0,
        ];
        let table =
            AbbrevTable::parse(EndianSlice::new(&bytes, RunTimeEndian::Little), encoding).expect("table");
        let plan = |code| {
            let plan = table.struct_plan_of(table.get(code).ok()?)?;
            Some((plan.declaration, plan.name, plan.byte_size))
        };
        assert_eq!(plan(1), Some((false, Some((0, 4)), Some((4, 2)))));
        assert_eq!(plan(2), Some((true, Some((0, 4)), None)));
        assert_eq!(plan(3), None);
        assert_eq!(plan(4), None);
        assert_eq!(plan(5), None);
        assert_eq!(plan(6), Some((false, None, Some((0, 1)))));
    }

    #[test]
    fn fixed_sizes_add_up() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        // Code 1: variable with name (strp), line (data1), type (ref4) and location (exprloc);
        // code 2: base type with name (strp), size (data1) and encoding (data1).
        let bytes = [
            1, 0x34, 0, 0x03, 0x0e, 0x3b, 0x0b, 0x49, 0x13, 0x02, 0x18, 0, 0, 2, 0x24, 0, 0x03, 0x0e, 0x0b,
            0x0b, 0x3e, 0x0b, 0, 0, 0,
        ];
        let table =
            AbbrevTable::parse(EndianSlice::new(&bytes, RunTimeEndian::Little), encoding).expect("table");
        let variable = table.get(1).expect("variable");
        assert_eq!((variable.role, variable.step_count, variable.tail), (Role::Variable, 1, 0));
        let base = table.get(2).expect("base type");
        assert_eq!((base.role, base.step_count, base.tail), (Role::Other, 0, 6));
        // name, line, type, then a 3-byte expression: 4 + 1 + 4 + 1 + 3 bytes.
        let die = [0u8, 0, 0, 0, 7, 0, 0, 0, 0, 3, 3, 1, 2, 0xee];
        let mut input = EndianSlice::new(&die, RunTimeEndian::Little);
        table.skip_attributes(&mut input, variable).expect("skip");
        assert_eq!(input.len(), 1);
    }
}
