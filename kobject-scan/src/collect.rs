//! From variables to the inventory: enumerate the kernel objects inside each variable's type,
//! then apply the rules (kernel sections, device API resolution, one object per address,
//! thread indices).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::num::NonZeroU64;
use std::ops::Range;

use crate::dwarf::types::{Shape, TypeId, Types};
use crate::dwarf::{lossy, DieRef, Dies, StructDef, StructSizes, UnitDies, Variable};
use crate::error::{Error, Result};
use crate::image::{Image, LastSection};
use crate::manifest::Manifest;
use crate::model::{DriverApi, Inventory, Kind, Object, Reason, Rejected, SymbolRef, TypeInfo};

/// Candidates beyond this are refused: only corrupt DWARF gets anywhere near it.
const CANDIDATE_LIMIT: usize = 1 << 24;

/// `Candidate::flags`: the candidate has an entry in `Found::problems`.
const HAS_PROBLEM: u8 = 1;
/// `Candidate::flags`: the candidate has an entry in `Found::api_offsets`.
const HAS_API_OFFSET: u8 = 2;

/// A possible kernel object before the rules. Half an [`Object`]'s size: images hold
/// tens of thousands and the memory target counts them next to the finished inventory.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    address: u64,
    /// Bytes (a stack's size for stacks); 0 when unknown, which is recorded as a problem.
    size: u64,
    /// Start of the symbol path in `Found::symbols`.
    symbol: u32,
    /// Index into the manifest's types.
    spec: u16,
    flags: u8,
}

/// A list grown in chunks, each at least twice the last, so growth never copies what is
/// stored (a `Vec` copies everything on each doubling).
#[derive(Debug)]
struct Chunked<T> {
    full: Vec<Vec<T>>,
    /// Elements in `full`.
    full_len: usize,
    last: Vec<T>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { full: Vec::new(), full_len: 0, last: Vec::new() }
    }
}

/// Elements in a first chunk: small parts stay small.
const FIRST_CHUNK: usize = 256;

impl<T> Chunked<T> {
    fn len(&self) -> usize {
        self.full_len + self.last.len()
    }

    /// The chunk to append `need` elements to.
    #[inline]
    fn room(&mut self, need: usize) -> &mut Vec<T> {
        if self.last.capacity() - self.last.len() < need {
            self.grow(need);
        }
        &mut self.last
    }

    #[cold]
    fn grow(&mut self, need: usize) {
        let capacity = (self.last.capacity() * 2).max(need).max(FIRST_CHUNK);
        let full = std::mem::replace(&mut self.last, Vec::with_capacity(capacity));
        if !full.is_empty() {
            self.full_len += full.len();
            self.full.push(full);
        }
    }

    fn chunks(self) -> impl Iterator<Item = Vec<T>> {
        self.full.into_iter().chain(std::iter::once(self.last))
    }
}

/// Candidates found in some units, before the rules.
#[derive(Debug, Default)]
pub struct Found {
    candidates: Chunked<Candidate>,
    /// Every candidate's symbol path followed by a NUL, in candidate order; a path never spans
    /// two chunks, so offsets count through the chunks as if they were one buffer. Bytes, so a
    /// name is copied without a UTF-8 check of its own: see [`push_name`].
    symbols: Chunked<u8>,
    /// Candidates already known not to be objects (index into `candidates`, ascending).
    problems: Vec<(u32, Reason)>,
    /// Devices: offset of the API pointer in the device struct (index into `candidates`).
    api_offsets: Vec<(u32, u64)>,
    driver_apis: Vec<FoundApi>,
    /// The last function static's scope and its name: a function's statics are neighbours,
    /// and looking the name up costs more than the rest of the path. One buffer, refilled,
    /// rather than a string per function.
    scope: (Option<DieRef>, String),
    /// Path of the value being enumerated, extended and truncated while descending; a scratch
    /// buffer reused across variables. Bytes, as in `symbols`.
    path: Vec<u8>,
}

impl Found {
    /// Join parts in order. Candidates stay in the chunks they were written to (the rules read
    /// them there); the symbol paths become one arena, allocated exactly once.
    pub fn join(parts: Vec<Found>) -> Joined {
        let mut joined = Joined {
            chunks: Vec::new(),
            symbols: Vec::with_capacity(parts.iter().map(|p| p.symbols.len()).sum()),
            problems: Vec::new(),
            api_offsets: Vec::new(),
            driver_apis: Vec::new(),
        };
        let mut first = 0;
        for part in parts {
            let symbol_base = joined.symbols.len() as u32;
            for chunk in part.symbols.chunks() {
                joined.symbols.extend_from_slice(&chunk);
            }
            joined.problems.extend(part.problems.into_iter().map(|(i, r)| (i + first, r)));
            joined.api_offsets.extend(part.api_offsets.into_iter().map(|(i, o)| (i + first, o)));
            joined.driver_apis.extend(part.driver_apis);
            for candidates in part.candidates.chunks().filter(|c| !c.is_empty()) {
                let len = candidates.len() as u32;
                joined.chunks.push(CandidateChunk { candidates, first, symbol_base });
                first += len;
            }
        }
        joined
    }

    /// Give back growth slack: parts wait for the join next to each other, and the slack of
    /// all of them together would make the join the scan's memory peak.
    pub fn shrink_to_fit(&mut self) {
        self.candidates.last.shrink_to_fit();
        self.symbols.last.shrink_to_fit();
        self.problems.shrink_to_fit();
        self.api_offsets.shrink_to_fit();
    }
}

/// Every part's candidates, for the rules.
#[derive(Debug)]
pub struct Joined {
    /// The parts' candidate chunks in order; a candidate's index counts through all of them.
    chunks: Vec<CandidateChunk>,
    /// Every candidate's symbol path followed by a NUL, in candidate order.
    symbols: Vec<u8>,
    /// Candidates already known not to be objects (index of the candidate, ascending).
    problems: Vec<(u32, Reason)>,
    /// Devices: offset of the API pointer in the device struct (index of the candidate).
    api_offsets: Vec<(u32, u64)>,
    driver_apis: Vec<FoundApi>,
}

/// A driver API instance as found: its manifest type is a device's type when the device points
/// at it.
#[derive(Debug)]
struct FoundApi {
    address: u64,
    /// Index into the manifest's types.
    spec: u16,
    symbol: String,
}

/// Candidates as one part wrote them.
#[derive(Debug)]
struct CandidateChunk {
    candidates: Vec<Candidate>,
    /// Index of the first.
    first: u32,
    /// Start of the part's paths in [`Joined::symbols`] (the candidates count from their part's).
    symbol_base: u32,
}

/// The entry for candidate `index` in a list sorted by index.
fn lookup<T>(list: &[(u32, T)], index: u32) -> Option<&T> {
    list.binary_search_by_key(&index, |(i, _)| *i).ok().and_then(|at| list.get(at)).map(|(_, v)| v)
}

/// A kernel-object type about to be recorded, with what every element of an array of it shares.
struct Entry {
    /// Index into the manifest's types. The manifest has at most u16::MAX types (checked when
    /// it is parsed).
    spec: u16,
    kind: Kind,
    size: Option<u64>,
    /// Why the candidates are not objects, if already known (`UnknownSize` for no size).
    problem: Option<Reason>,
    api_offset: Option<u64>,
}

/// More candidates than [`CANDIDATE_LIMIT`]; [`Enumerator::variable`] says where.
struct LimitReached;

pub struct Enumerator<'t, 'd, 'u, 'a> {
    types: &'t Types<'d, 'u, 'a>,
    manifest: &'t Manifest,
    found: &'t mut Found,
}

impl<'t, 'd, 'u, 'a> Enumerator<'t, 'd, 'u, 'a> {
    /// Paths are built as bytes in `found`'s own scratch buffer, reused across variables.
    pub fn new(types: &'t Types<'d, 'u, 'a>, manifest: &'t Manifest, found: &'t mut Found) -> Self {
        Enumerator { types, manifest, found }
    }

    /// Enumerate the objects in variable `var` of `unit` (of resolved type `id`).
    pub fn variable(
        &mut self,
        dies: &Dies<'_, 'a>,
        unit: &UnitDies<'_, 'a>,
        var: &Variable,
        id: TypeId,
    ) -> Result<()> {
        self.found.path.clear();
        variable_symbol(dies, unit, var, &mut self.found.scope, &mut self.found.path)?;
        let problem = (var.address == 0).then_some(Reason::AddressZero);
        self.enumerate(id, var.address, None, problem.as_ref()).map_err(|LimitReached| {
            Error::TooManyCandidates { limit: CANDIDATE_LIMIT, at: unit.entry.location(Some(var.die.offset)) }
        })
    }

    /// The entry for manifest type `spec`; `None` for an index outside the manifest.
    fn entry(
        &self,
        spec: usize,
        size: Option<u64>,
        problem: Option<Reason>,
        api_offset: Option<u64>,
    ) -> Option<Entry> {
        let kind = self.manifest.types.get(spec)?.kind;
        let problem = problem.or_else(|| size.is_none().then_some(Reason::UnknownSize));
        Some(Entry { spec: spec as u16, kind, size, problem, api_offset })
    }

    /// Record a candidate (or a driver API instance) of `entry` at `address`, named by the path.
    fn push(&mut self, entry: &Entry, address: u64) -> Result<(), LimitReached> {
        if entry.kind == Kind::DriverApi {
            if entry.problem != Some(Reason::AddressZero) {
                self.found.driver_apis.push(FoundApi {
                    address,
                    spec: entry.spec,
                    symbol: String::from_utf8_lossy(&self.found.path).into_owned(),
                });
            }
            return Ok(());
        }
        let found = &mut *self.found;
        if found.candidates.len() >= CANDIDATE_LIMIT
            || found.symbols.len() + found.path.len() + 1 > u32::MAX as usize
        {
            return Err(LimitReached);
        }
        let index = found.candidates.len() as u32;
        let mut flags = 0;
        if let Some(problem) = &entry.problem {
            found.problems.push((index, problem.clone()));
            flags |= HAS_PROBLEM;
        }
        if let Some(offset) = entry.api_offset {
            found.api_offsets.push((index, offset));
            flags |= HAS_API_OFFSET;
        }
        let symbol = found.symbols.len() as u32;
        found.candidates.room(1).push(Candidate {
            address,
            size: entry.size.unwrap_or(0),
            symbol,
            spec: entry.spec,
            flags,
        });
        let symbols = found.symbols.room(found.path.len() + 1);
        symbols.extend_from_slice(&found.path);
        symbols.push(0);
        Ok(())
    }

    /// The first manifest type inside `id`, to label a rejection that covers a whole array.
    fn first_spec(&self, id: TypeId) -> Option<usize> {
        match &self.types.node(id)?.shape {
            Shape::Kobject { spec, .. } => Some(*spec),
            Shape::Record { members, .. } => {
                self.types.members(*members).iter().find_map(|m| self.first_spec(m.ty))
            }
            Shape::Array { elem, .. } => self.first_spec(*elem),
            Shape::Leaf { .. } | Shape::Pending => None,
        }
    }

    fn reject_whole(&mut self, id: TypeId, address: u64, reason: Reason) -> Result<(), LimitReached> {
        match self.first_spec(id).and_then(|spec| self.entry(spec, self.types.size(id), Some(reason), None)) {
            Some(entry) => self.push(&entry, address),
            None => Ok(()),
        }
    }

    /// Every object inside a value of type `id` at `address`, named by `self.found.path`.
    /// `union_at`: length of the path of the innermost enclosing union, if any.
    fn enumerate(
        &mut self,
        id: TypeId,
        address: u64,
        union_at: Option<usize>,
        problem: Option<&Reason>,
    ) -> Result<(), LimitReached> {
        let types = self.types;
        let Some(node) = types.node(id) else {
            return Ok(());
        };
        if !node.contains {
            return Ok(());
        }
        let why = |this: &Self| {
            problem.cloned().or_else(|| {
                union_at.map(|len| Reason::InUnion {
                    union_path: String::from_utf8_lossy(this.found.path.get(..len).unwrap_or_default())
                        .into_owned(),
                })
            })
        };
        match &node.shape {
            Shape::Kobject { spec, size, api_offset, .. } => {
                match self.entry(*spec, *size, why(self), *api_offset) {
                    Some(entry) => self.push(&entry, address),
                    None => Ok(()),
                }
            }
            Shape::Record { union, members, .. } => {
                let here = self.found.path.len();
                let inner_union = if *union { Some(here) } else { union_at };
                for member in types.members(*members) {
                    if !types.node(member.ty).is_some_and(|n| n.contains) {
                        continue;
                    }
                    if let Some(name) = &member.name {
                        self.found.path.push(b'.');
                        self.found.path.extend_from_slice(name.as_bytes());
                    }
                    let result =
                        self.enumerate(member.ty, address.wrapping_add(member.offset), inner_union, problem);
                    self.found.path.truncate(here);
                    result?;
                }
                Ok(())
            }
            Shape::Array { dims, bounded, elem, .. } => {
                let (dims, elem) = (types.dims(*dims), *elem);
                if !bounded {
                    return self.reject_whole(id, address, Reason::UnknownBound);
                }
                let Some(elem_size) = types.size(elem) else {
                    return self.reject_whole(id, address, Reason::UnknownSize);
                };
                match types.node(elem).map(|n| &n.shape) {
                    Some(&Shape::Kobject { spec, size, api_offset, .. }) => {
                        let stack = self.manifest.types.get(spec).is_some_and(|t| t.kind == Kind::Stack);
                        // The innermost dimension is the stack; outer ones enumerate stacks.
                        let (dims, entry, stride) = if stack {
                            let (outer, stack_len) = match dims.split_last() {
                                Some((last, outer)) => (outer, *last),
                                None => (&[][..], 1),
                            };
                            let stack_size = stack_len.checked_mul(elem_size);
                            (outer, self.entry(spec, stack_size, why(self), None), stack_size.unwrap_or(0))
                        } else {
                            // An array of objects, the common case, without the descent per element.
                            (dims, self.entry(spec, size, why(self), api_offset), elem_size)
                        };
                        let Some(entry) = entry else {
                            return Ok(());
                        };
                        self.push_array(&entry, address, stride, dims)
                    }
                    _ => self.each_index(dims, |this, flat| {
                        this.enumerate(
                            elem,
                            address.wrapping_add(flat.wrapping_mul(elem_size)),
                            union_at,
                            problem,
                        )
                    }),
                }
            }
            Shape::Leaf { .. } | Shape::Pending => Ok(()),
        }
    }

    /// How many elements an array of `dims` has, if the candidates still have room for them.
    fn element_count(&self, dims: &[u64]) -> Result<u64, LimitReached> {
        let room = CANDIDATE_LIMIT.saturating_sub(self.found.candidates.len()) as u64;
        dims.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d)).filter(|&t| t <= room).ok_or(LimitReached)
    }

    /// Call `f` for each index tuple of `dims` in row-major order with the flat index, the
    /// path extended by `[i][j]…`.
    fn each_index(
        &mut self,
        dims: &[u64],
        mut f: impl FnMut(&mut Self, u64) -> Result<(), LimitReached>,
    ) -> Result<(), LimitReached> {
        let total = self.element_count(dims)?;
        let here = self.found.path.len();
        let mut odometer = Odometer::new(dims, &mut self.found.path);
        for flat in 0..total {
            let result = f(self, flat);
            self.found.path.truncate(odometer.end);
            result?;
            if flat + 1 < total {
                odometer.step(&mut self.found.path);
            }
        }
        self.found.path.truncate(here);
        Ok(())
    }

    /// An array of `dims` elements of `entry`, `stride` bytes apart from `address`.
    fn push_array(
        &mut self,
        entry: &Entry,
        address: u64,
        stride: u64,
        dims: &[u64],
    ) -> Result<(), LimitReached> {
        if entry.kind == Kind::DriverApi || entry.problem.is_some() {
            return self.each_index(dims, |this, flat| {
                this.push(entry, address.wrapping_add(flat.wrapping_mul(stride)))
            });
        }
        // The common case, hot: what `push` checks per candidate holds for the whole array.
        let total = self.element_count(dims)?;
        let found = &mut *self.found;
        let path = &mut found.path;
        let here = path.len();
        let mut odometer = Odometer::new(dims, path);
        let mut flags = 0;
        if let Some(offset) = entry.api_offset {
            let first = found.candidates.len() as u32;
            found.api_offsets.extend((0..total as u32).map(|k| (first + k, offset)));
            flags |= HAS_API_OFFSET;
        }
        let size = entry.size.unwrap_or(0);
        for flat in 0..total {
            let symbol = found.symbols.len();
            if symbol + path.len() + 1 > u32::MAX as usize {
                return Err(LimitReached);
            }
            found.candidates.room(1).push(Candidate {
                address: address.wrapping_add(flat.wrapping_mul(stride)),
                size,
                symbol: symbol as u32,
                spec: entry.spec,
                flags,
            });
            let symbols = found.symbols.room(path.len() + 1);
            symbols.extend_from_slice(path);
            symbols.push(0);
            if flat + 1 < total {
                odometer.step(path);
            }
        }
        path.truncate(here);
        Ok(())
    }
}

/// The index tuple of an array element, in row-major order, kept as text at the end of a path:
/// a step rewrites only what changed, usually the last digit.
struct Odometer<'d> {
    dims: &'d [u64],
    /// Per dimension: its index and where its `[i]` starts in the path. Real arrays have a few
    /// dimensions (and a small odometer is quick to set up). The innermost index is kept in
    /// `inner` instead.
    inline: [(u64, usize); 4],
    spilled: Vec<(u64, usize)>,
    /// The innermost index and dimension.
    inner: u64,
    inner_len: u64,
    /// Length of the path with all the indices.
    end: usize,
}

impl<'d> Odometer<'d> {
    /// Start at the first element, extending `path` by `[0][0]…`.
    fn new(dims: &'d [u64], path: &mut Vec<u8>) -> Self {
        let mut odometer = Odometer {
            dims,
            inline: [(0, 0); 4],
            spilled: Vec::new(),
            inner: 0,
            inner_len: dims.last().copied().unwrap_or(1),
            end: 0,
        };
        for (_, start) in odometer.indices().iter_mut() {
            *start = path.len();
            path.extend_from_slice(b"[0]");
        }
        odometer.end = path.len();
        odometer
    }

    fn indices(&mut self) -> &mut [(u64, usize)] {
        if self.dims.len() > self.inline.len() && self.spilled.is_empty() {
            self.spilled.resize(self.dims.len(), (0, 0));
        }
        match self.inline.get_mut(..self.dims.len()) {
            Some(indices) => indices,
            None => self.spilled.as_mut_slice(),
        }
    }

    /// Go to the next element (innermost dimension fastest); `path` ends with the indices.
    #[inline]
    fn step(&mut self, path: &mut Vec<u8>) {
        let next = self.inner + 1;
        if next < self.inner_len && next % 10 != 0 {
            // Only the last digit changes (nine steps in ten), the one before the closing `]`.
            if let Some(digit) = self.end.checked_sub(2).and_then(|at| path.get_mut(at)) {
                *digit += 1;
                self.inner = next;
                return;
            }
        }
        self.step_rewriting(path);
    }

    #[cold]
    fn step_rewriting(&mut self, path: &mut Vec<u8>) {
        let (dims, inner, end) = (self.dims, self.inner, self.end);
        let indices = self.indices();
        if let Some((i, _)) = indices.last_mut() {
            *i = inner;
        }
        // `from`: the outermost dimension that changes; the text from there on is rewritten.
        let mut from = 0;
        for (k, ((i, _), d)) in indices.iter_mut().zip(dims).enumerate().rev() {
            from = k;
            *i += 1;
            if *i < *d {
                break;
            }
            *i = 0;
        }
        let rest = indices.get_mut(from..).unwrap_or_default();
        path.truncate(rest.first().map_or(end, |&(_, start)| start));
        for (i, start) in rest.iter_mut() {
            *start = path.len();
            push_index(path, *i);
        }
        self.inner = indices.last().map_or(0, |&(i, _)| i);
        self.end = path.len();
    }
}

/// Append `[i]` to `path`.
fn push_index(path: &mut Vec<u8>, i: u64) {
    match u8::try_from(i) {
        // Most indices: one copy of three bytes.
        Ok(digit @ 0..=9) => path.extend_from_slice(&[b'[', b'0' + digit, b']']),
        _ => {
            path.push(b'[');
            push_decimal(path, i);
            path.push(b']');
        }
    }
}

/// Append `i` in decimal to `path`.
fn push_decimal(path: &mut Vec<u8>, i: u64) {
    if i >= 10 {
        push_decimal(path, i / 10);
    }
    path.push(b'0' + (i % 10) as u8);
}

/// Append a DWARF name to `path`: as it is when ASCII (nearly always, and quicker to check than
/// UTF-8), else its lossy conversion. Only valid UTF-8 is appended, which lets the joined arena
/// be checked once rather than each name.
fn push_name(path: &mut Vec<u8>, name: &[u8]) {
    if name.is_ascii() {
        path.extend_from_slice(name);
    } else {
        path.extend_from_slice(lossy(name).as_bytes());
    }
}

/// Write the path of a variable to `out`: `name`, or `function::name` for a function static.
/// `last_scope`: the scope of the last function static met and its name.
fn variable_symbol<'a>(
    dies: &Dies<'_, 'a>,
    unit: &UnitDies<'_, 'a>,
    var: &Variable,
    last_scope: &mut (Option<DieRef>, String),
    out: &mut Vec<u8>,
) -> Result<()> {
    if let Some(scope) = var.scope {
        let (die, function) = last_scope;
        if *die != Some(scope) {
            // Not a name for any scope until it is complete.
            *die = None;
            function.clear();
            let basics = dies.basics(scope)?;
            match dies.name_and_type(basics.name, basics.ty, basics.origin)?.0 {
                Some(name) => function.push_str(&lossy(name)),
                None => function.push_str("<unnamed function>"),
            }
            *die = Some(scope);
        }
        out.extend_from_slice(function.as_bytes());
        out.extend_from_slice(b"::");
    }
    // The common case, a name on the DIE itself, is copied straight from `.debug_str`.
    if let Some(at) = var.name {
        let name = unit.string(unit.attribute_at(at)?).map_err(|e| unit.error(var.die.offset, e))?;
        push_name(out, name);
        return Ok(());
    }
    match dies.name_and_type(None, Some(var.die), var.origin)?.0 {
        Some(name) => push_name(out, name),
        None => out.extend_from_slice(format!("<unnamed variable at {:#x}>", var.die.offset).as_bytes()),
    }
    Ok(())
}

/// Apply the rules to the candidates and build the inventory.
pub fn build_inventory(
    image: &Image<'_>,
    dies: &Dies<'_, '_>,
    manifest: &Manifest,
    found: Joined,
    structs: &StructSizes,
) -> Result<Inventory> {
    let mut notes = Vec::new();
    let types = type_sizes(dies, manifest, structs, &mut notes);
    let Joined { chunks, symbols, problems, api_offsets, mut driver_apis } = found;
    // Only valid UTF-8 was appended (see `push_name`), so this check, one pass over text that is
    // nearly all ASCII, cannot fail.
    let symbols =
        String::from_utf8(symbols).map_err(|_| Error::Internal("symbol paths that are not UTF-8"))?;

    // Driver API instances by address (the first found wins; duplicates are one instance).
    driver_apis.sort_by_key(|api| api.address);
    driver_apis.dedup_by_key(|api| api.address);

    let AddressOrder { stretches, shared } = address_order(&chunks);
    let sections = image.sections();
    let mut rules = Rules {
        image,
        manifest,
        types: &types,
        problems,
        api_offsets,
        driver_apis: &driver_apis,
        allowed: vec![None; sections.len()],
        last_allowed: (usize::MAX, [false; 2]),
        last_section: LastSection::default(),
    };
    let mut rejected = Vec::new();
    let mut objects = Vec::with_capacity(chunks.iter().map(|c| c.candidates.len()).sum());
    for Stretch { chunk, range } in stretches {
        if let Some(chunk) = chunks.get(chunk as usize) {
            rules.apply(chunk, range, &symbols, &mut objects, &mut rejected);
        }
    }
    drop(chunks);
    let text = |o: &Object| text(&symbols, o);

    // Candidates sharing an address are rare; only then can objects need merging and the rule.
    if shared {
        // Runs of equal addresses by symbol, so the order is total and deterministic.
        for run in objects.chunk_by_mut(|a, b| a.address == b.address) {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| {
                    text(a).cmp(text(b)).then_with(|| {
                        (a.type_index, a.struct_index, a.size, a.kind).cmp(&(
                            b.type_index,
                            b.struct_index,
                            b.size,
                            b.kind,
                        ))
                    })
                });
            }
        }
        // The same object reached twice (a common symbol in two units, an abstract and a concrete
        // instance of one function static) is one object.
        // Addresses first: they almost always differ, and the symbols need not be looked up then.
        objects.dedup_by(|b, a| {
            a.address == b.address
                && (a.size, a.kind, a.type_index, text(a)) == (b.size, b.kind, b.type_index, text(b))
        });
        one_per_address(&mut objects, &text, &types, &mut rejected, &mut notes);
    }
    let objects = number_objects(objects, &text, manifest)?;

    rejected
        .sort_by(|a, b| (a.address, &a.symbol, &a.reason_text).cmp(&(b.address, &b.symbol, &b.reason_text)));
    rejected.dedup();
    Ok(Inventory {
        target: image.target,
        types,
        sections: sections.iter().map(|s| s.name.clone()).collect(),
        objects,
        rejected,
        driver_apis: driver_apis
            .into_iter()
            .map(|api| DriverApi {
                address: api.address,
                type_name: manifest
                    .types
                    .get(usize::from(api.spec))
                    .map(|t| t.tag.clone())
                    .unwrap_or_default(),
                symbol: api.symbol,
            })
            .collect(),
        notes,
        symbols,
    })
}

/// What the rules consult for each candidate, and the answers they keep at hand.
struct Rules<'r, 'data> {
    image: &'r Image<'data>,
    manifest: &'r Manifest,
    types: &'r [TypeInfo],
    /// Candidates already known not to be objects (index of the candidate, ascending).
    problems: Vec<(u32, Reason)>,
    /// Devices: offset of the API pointer in the device struct (index of the candidate).
    api_offsets: Vec<(u32, u64)>,
    /// Driver API instances, one per address, by address.
    driver_apis: &'r [FoundApi],
    /// Per section: may ordinary objects / stacks live there? Computed once per section.
    allowed: Vec<Option<[bool; 2]>>,
    /// The last section asked about, with its answers.
    last_allowed: (usize, [bool; 2]),
    last_section: LastSection,
}

impl Rules<'_, '_> {
    fn may_live(&mut self, s: usize, kind: Kind) -> Option<bool> {
        if self.last_allowed.0 != s {
            let (sections, manifest) = (self.image.sections(), self.manifest);
            let rules = *self.allowed.get_mut(s)?.get_or_insert_with(|| {
                let name = sections.get(s).map_or("", |sec| sec.name.as_str());
                [manifest.may_live_in(Kind::Object, name), manifest.may_live_in(Kind::Stack, name)]
            });
            self.last_allowed = (s, rules);
        }
        let [objects_ok, stacks_ok] = self.last_allowed.1;
        Some(if kind == Kind::Stack { stacks_ok } else { objects_ok })
    }

    /// The common case, without the rule machinery: the section of a candidate that has no known
    /// problem and is not a device, when it may live there.
    #[inline]
    fn quick_section(&mut self, candidate: &Candidate, kind: Kind) -> Option<u32> {
        if candidate.flags != 0 || kind == Kind::Device {
            return None;
        }
        let s =
            self.image.section_containing_after(candidate.address, candidate.size, &mut self.last_section)?;
        (self.may_live(s, kind) == Some(true)).then_some(s as u32)
    }

    /// Candidates `range` of `chunk`, in address order: objects to `objects`, the others to
    /// `rejected`. Out of line, so that the buffers, as distinct references, are known not to
    /// overlap the rules' state, which then stays in registers.
    #[inline(never)]
    fn apply(
        &mut self,
        chunk: &CandidateChunk,
        range: Range<u32>,
        symbols: &str,
        objects: &mut Vec<Object>,
        rejected: &mut Vec<Rejected>,
    ) {
        let Some(run) = chunk.candidates.get(range.start as usize..range.end as usize) else {
            return;
        };
        for (index, candidate) in (chunk.first + range.start..).zip(run) {
            let kind = self.types.get(usize::from(candidate.spec)).map_or(Kind::Object, |t| t.kind);
            let object = |section| Object {
                address: candidate.address,
                size: candidate.size,
                data: 0,
                api: None,
                type_index: candidate.spec,
                struct_index: candidate.spec,
                kind,
                section,
                symbol: SymbolRef { start: chunk.symbol_base + candidate.symbol },
            };
            if let Some(section) = self.quick_section(candidate, kind) {
                // Written straight into the list: built first and then moved, its fields would be
                // read back before their writes had settled, which stalls.
                objects.push(object(section));
                continue;
            }
            let mut object = object(0);
            match self.judge(index, candidate.flags, &mut object) {
                Some(reason) => rejected.push(reject(&object, text(symbols, &object), self.types, reason)),
                None => objects.push(object),
            }
        }
    }

    /// Why candidate `index` (with `flags`), made `object`, is not a kernel object, if it is not.
    /// Settles the object's section, its size when its unit did not know it and, for a device,
    /// its type and API. Out of line, like [`address_order`]: inlined, either crowds the
    /// registers of the rules loop, which then spills (~0.5 M instructions more per bench scan).
    #[inline(never)]
    fn judge(&mut self, index: u32, flags: u8, object: &mut Object) -> Option<Reason> {
        let mut problem =
            if flags & HAS_PROBLEM != 0 { lookup(&self.problems, index).cloned() } else { None };
        let api_offset =
            if flags & HAS_API_OFFSET != 0 { lookup(&self.api_offsets, index).copied() } else { None };
        if problem == Some(Reason::UnknownSize) {
            // Declared-only in its unit: another unit may define the type.
            if let Some(size) = self.types.get(usize::from(object.type_index)).and_then(|t| t.size) {
                object.size = size;
                problem = None;
            }
        }
        let section =
            self.image.section_containing_after(object.address, object.size, &mut self.last_section);
        if let Some(s) = section {
            object.section = s as u32;
        }
        if problem.is_some() {
            return problem;
        }
        let Some(s) = section else {
            return Some(Reason::NoSection);
        };
        // (`None`, a section the image does not list, cannot happen; it is refused all the same.)
        if self.may_live(s, object.kind) != Some(true) {
            let section = self.image.sections().get(s).map(|sec| sec.name.clone()).unwrap_or_default();
            return Some(Reason::NotKernelSection { section });
        }
        if object.kind != Kind::Device {
            return None;
        }
        let pointer =
            api_offset.and_then(|off| self.image.read_address(object.address.wrapping_add(off))).unwrap_or(0);
        let Some(nonzero) = NonZeroU64::new(pointer) else {
            return Some(Reason::NullApi);
        };
        let api = self.driver_apis.binary_search_by_key(&pointer, |a| a.address).ok();
        match api.and_then(|at| self.driver_apis.get(at)) {
            None => Some(Reason::UnknownApi { pointer }),
            Some(api) => {
                object.type_index = api.spec;
                object.api = Some(nonzero);
                None
            }
        }
    }
}

/// Candidates in address order, equal addresses by index: see [`address_order`].
struct AddressOrder {
    stretches: Vec<Stretch>,
    /// Whether two candidates start at one address.
    shared: bool,
}

/// Consecutive candidates of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stretch {
    /// Index into the chunks.
    chunk: u32,
    /// Candidates in the chunk.
    range: Range<u32>,
}

/// Each variable's candidates ascend already, so this merges the ascending runs (hundreds in a
/// large image) rather than sorting every candidate, and takes from one run all that comes
/// before the other runs' next candidates at once: runs interleave in long stretches (a unit's
/// data, then its bss), so the heap is consulted per stretch, not per candidate. A run ends
/// with its chunk, so the chunks are read where they are.
#[inline(never)]
fn address_order(chunks: &[CandidateChunk]) -> AddressOrder {
    // Per run: (address of its next candidate, its chunk, that candidate's index in the chunk,
    // end of the run). Chunks and runs are in candidate order, so on an equal address the heap
    // yields the run of the smaller candidate index first.
    let mut runs: Vec<Reverse<(u64, u32, u32, u32)>> = Vec::new();
    let mut shared = false;
    for (c, chunk) in (0..).zip(chunks) {
        let Some(head) = chunk.candidates.first() else {
            continue;
        };
        let mut start = (head.address, 0);
        for (i, pair) in (1..).zip(chunk.candidates.windows(2)) {
            // Candidates mostly ascend: one comparison each, the rest is rare.
            if let [previous, candidate] = pair {
                if candidate.address <= previous.address {
                    if candidate.address == previous.address {
                        shared = true;
                    } else {
                        runs.push(Reverse((start.0, c, start.1, i)));
                        start = (candidate.address, i);
                    }
                }
            }
        }
        runs.push(Reverse((start.0, c, start.1, chunk.candidates.len() as u32)));
    }
    let address = |chunk: u32, i: u32| {
        chunks.get(chunk as usize).and_then(|c| c.candidates.get(i as usize)).map_or(0, |c| c.address)
    };
    let mut heads = BinaryHeap::from(runs);
    let mut stretches: Vec<Stretch> = Vec::new();
    while let Some(Reverse((first, chunk, next, end))) = heads.pop() {
        let run = chunks
            .get(chunk as usize)
            .and_then(|c| c.candidates.get(next as usize..end as usize))
            .unwrap_or_default();
        let take = match heads.peek() {
            None => run.len(),
            // On an equal address this run goes first exactly when its candidates come first.
            Some(Reverse((address, other, index, _))) if (chunk, next) < (*other, *index) => {
                run.partition_point(|c| c.address <= *address)
            }
            Some(Reverse((address, ..))) => run.partition_point(|c| c.address < *address),
        };
        // The head itself is the smallest of all: at least one is taken.
        let split = next + take.max(1) as u32;
        if let Some(last) = stretches.last() {
            shared |= address(last.chunk, last.range.end - 1) == first;
        }
        stretches.push(Stretch { chunk, range: next..split });
        if split < end {
            heads.push(Reverse((address(chunk, split), chunk, split, end)));
        }
    }
    AddressOrder { stretches, shared }
}

/// An object's symbol path in `symbols`.
fn text<'s>(symbols: &'s str, object: &Object) -> &'s str {
    object.symbol.text(symbols)
}

fn reject(object: &Object, symbol: &str, types: &[TypeInfo], reason: Reason) -> Rejected {
    Rejected {
        symbol: symbol.to_string(),
        address: object.address,
        size: object.size,
        type_name: types.get(usize::from(object.struct_index)).map(|t| t.tag.clone()).unwrap_or_default(),
        kind: object.kind,
        reason_text: reason.text(),
        reason,
    }
}

/// Two objects starting at one address cannot both be keys of the object table. Rule: keep the
/// largest; on equal sizes the first by kind order (object, thread, stack, device), then by
/// symbol. The others are rejected and a note names them all.
fn one_per_address<'s>(
    objects: &mut Vec<Object>,
    text: &impl Fn(&Object) -> &'s str,
    types: &[TypeInfo],
    rejected: &mut Vec<Rejected>,
    notes: &mut Vec<String>,
) {
    // In place (objects are sorted by address): each group of equal addresses is ordered by
    // the rule and its first member moved down to `kept`.
    let mut kept = 0;
    let mut start = 0;
    while start < objects.len() {
        let address = objects.get(start).map_or(0, |o| o.address);
        let end = start
            + objects.get(start..).map_or(0, |rest| rest.iter().take_while(|o| o.address == address).count());
        if let Some(group) = objects.get_mut(start..end) {
            if group.len() > 1 {
                group
                    .sort_by(|a, b| b.size.cmp(&a.size).then(a.kind.cmp(&b.kind)).then(text(a).cmp(text(b))));
                if let Some((winner, losers)) = group.split_first() {
                    let describe = |o: &Object| {
                        let tag = types.get(usize::from(o.struct_index)).map_or("?", |t| t.tag.as_str());
                        format!("`{}` ({tag}, {} bytes)", text(o), o.size)
                    };
                    notes.push(format!(
                        "{} objects start at {:#x}: kept {}, rejected {}",
                        group.len(),
                        address,
                        describe(winner),
                        losers.iter().map(describe).collect::<Vec<_>>().join(", ")
                    ));
                    for loser in losers {
                        let reason = Reason::SharedAddress { kept: text(winner).to_string() };
                        rejected.push(reject(loser, text(loser), types, reason));
                    }
                }
            }
        }
        objects.swap(kept, start);
        kept += 1;
        start = end.max(start + 1);
    }
    objects.truncate(kept);
}

/// Data words: thread indices by address, stack sizes.
fn number_objects<'s>(
    mut objects: Vec<Object>,
    text: &impl Fn(&Object) -> &'s str,
    manifest: &Manifest,
) -> Result<Vec<Object>> {
    let mut threads = 0;
    for object in &mut objects {
        match object.kind {
            Kind::Thread => {
                object.data = threads;
                threads += 1;
            }
            Kind::Stack => object.data = object.size,
            Kind::Object | Kind::Device | Kind::DriverApi => {}
        }
    }
    let max = manifest.kernel.max_threads;
    if threads > u64::from(max) {
        return Err(Error::TooManyThreads {
            count: threads as usize,
            max,
            list: objects
                .iter()
                .filter(|o| o.kind == Kind::Thread)
                .map(|t| format!("{}@{:#x}", text(t), t.address))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(objects)
}

/// Size of each manifest type across units; a tag with different sizes gets a warning.
fn type_sizes(
    dies: &Dies<'_, '_>,
    manifest: &Manifest,
    structs: &StructSizes,
    notes: &mut Vec<String>,
) -> Vec<TypeInfo> {
    let mut by_spec: HashMap<usize, BTreeMap<u64, &StructDef>> = HashMap::new();
    for (&(spec, size), def) in structs {
        by_spec.entry(spec).or_default().insert(size, def);
    }
    manifest
        .types
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let sizes = by_spec.get(&i);
            if let Some(sizes) = sizes.filter(|s| s.len() > 1) {
                let described: Vec<String> = sizes
                    .iter()
                    .map(|(size, def)| {
                        format!(
                            "{size} bytes in {} ({})",
                            dies.unit(def.unit).map(|u| u.name()).unwrap_or_default(),
                            dies.units.location(def.die)
                        )
                    })
                    .collect();
                notes.push(format!(
                    "warning: struct {} has different sizes in different units: {}",
                    spec.tag,
                    described.join(" but ")
                ));
            }
            TypeInfo {
                tag: spec.tag.clone(),
                kind: spec.kind,
                size: sizes.and_then(|s| s.keys().next_back().copied()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candidate(address: u64) -> Candidate {
        Candidate { address, size: 0, symbol: 0, spec: 0, flags: 0 }
    }

    /// `name[i][j]…` for the element at `flat` in row-major order.
    fn element_path(name: &str, dims: &[u64], flat: u64) -> String {
        let mut rest = flat;
        let mut indices = Vec::new();
        for d in dims.iter().rev() {
            indices.push(rest % d);
            rest /= d;
        }
        indices.iter().rev().fold(name.to_string(), |path, i| format!("{path}[{i}]"))
    }

    /// Address order of candidates at `addresses`, cut into chunks of `chunk_lens` (the last
    /// takes the rest): by address, then by index; shared exactly when two addresses are equal.
    fn check_address_order(addresses: &[u64], chunk_lens: &[usize]) -> Result<(), TestCaseError> {
        let mut chunks = Vec::new();
        let mut rest = addresses;
        for (k, &len) in chunk_lens.iter().enumerate() {
            let len = if k + 1 == chunk_lens.len() { rest.len() } else { len.min(rest.len()) };
            let (head, tail) = rest.split_at(len);
            let first = (addresses.len() - rest.len()) as u32;
            let candidates = head.iter().map(|&a| candidate(a)).collect();
            chunks.push(CandidateChunk { candidates, first, symbol_base: 0 });
            rest = tail;
        }
        let order = address_order(&chunks);
        let merged: Vec<u32> = order
            .stretches
            .into_iter()
            .flat_map(|s| {
                let first = chunks[s.chunk as usize].first;
                s.range.map(move |i| first + i)
            })
            .collect();
        let mut expected: Vec<u32> = (0..addresses.len() as u32).collect();
        expected.sort_by_key(|&i| (addresses.get(i as usize).copied(), i));
        prop_assert_eq!(merged, expected);
        let mut sorted = addresses.to_vec();
        sorted.sort_unstable();
        prop_assert_eq!(order.shared, sorted.windows(2).any(|pair| pair.first() == pair.last()));
        Ok(())
    }

    #[test]
    fn names_are_copied_as_they_are_unless_not_utf8() {
        let mut path = Vec::new();
        push_name(&mut path, b"sem");
        push_name(&mut path, "_\u{e9}t\u{e9}".as_bytes());
        push_name(&mut path, b"_a\xffb");
        assert_eq!(String::from_utf8(path).ok().as_deref(), Some("sem_\u{e9}t\u{e9}_a\u{fffd}b"));
    }

    proptest! {
        #[test]
        fn address_order_sorts_by_address_then_index(
            addresses in prop::collection::vec(0u64..64, 0..300),
            chunk_lens in prop::collection::vec(1usize..80, 1..8),
        ) {
            check_address_order(&addresses, &chunk_lens)?;
        }

        #[test]
        fn address_order_of_pieces_of_one_sorted_sequence(
            mut sorted in prop::collection::vec(0u64..400, 0..300),
            cuts in prop::collection::vec((1usize..40, any::<u32>()), 1..20),
            chunk_lens in prop::collection::vec(1usize..80, 1..8),
        ) {
            // Pieces of one sorted sequence, in an arbitrary order (as units' sections are).
            sorted.sort_unstable();
            let mut pieces = Vec::new();
            let mut rest = &sorted[..];
            for &(len, key) in &cuts {
                let (piece, tail) = rest.split_at(len.min(rest.len()));
                pieces.push((key, piece));
                rest = tail;
            }
            pieces.push((0, rest));
            pieces.sort_by_key(|&(key, _)| key);
            let addresses: Vec<u64> = pieces.iter().flat_map(|&(_, piece)| piece.iter().copied()).collect();
            check_address_order(&addresses, &chunk_lens)?;
        }

        #[test]
        fn odometer_writes_each_index_tuple(
            dims in prop_oneof![prop::collection::vec(1u64..13, 0..4), prop::collection::vec(1u64..3, 5..10)]
        ) {
            let mut path = b"v".to_vec();
            let mut odometer = Odometer::new(&dims, &mut path);
            let total: u64 = dims.iter().product();
            for flat in 0..total {
                prop_assert_eq!(String::from_utf8_lossy(&path), element_path("v", &dims, flat));
                if flat + 1 < total {
                    odometer.step(&mut path);
                }
            }
        }
    }
}
