//! From variables to the inventory: enumerate the kernel objects inside each variable's type,
//! then apply the rules (kernel sections, device API resolution, one object per address,
//! thread indices).

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;

use crate::dwarf::types::{Shape, TypeId, Types};
use crate::dwarf::{StructDef, Units, Variable};
use crate::error::{DieLocation, Error, Result};
use crate::image::Image;
use crate::manifest::Manifest;
use crate::model::{DriverApi, Inventory, Kind, Object, Reason, Rejected, SymbolRef, TypeInfo};

/// Candidates beyond this are refused: only corrupt DWARF gets anywhere near it.
const CANDIDATE_LIMIT: usize = 1 << 24;

/// Candidates found in some units, before the rules. Objects carry section 0 until the rules
/// place them.
#[derive(Debug, Default)]
pub struct Found {
    pub objects: Vec<Object>,
    pub symbols: String,
    /// Candidates already known not to be objects (index into `objects`, ascending).
    pub problems: Vec<(u32, Reason)>,
    /// Devices: offset of the API pointer in the device struct (index into `objects`).
    pub api_offsets: Vec<(u32, u64)>,
    pub driver_apis: Vec<DriverApi>,
}

impl Found {
    /// Join parts in order, allocating the result exactly once.
    pub fn join(parts: Vec<Found>) -> Found {
        let mut joined = Found::default();
        joined.objects.reserve_exact(parts.iter().map(|p| p.objects.len()).sum());
        joined.symbols.reserve_exact(parts.iter().map(|p| p.symbols.len()).sum());
        for part in parts {
            joined.append(part);
        }
        joined
    }

    /// Append `other`, keeping its order after ours.
    fn append(&mut self, other: Found) {
        let base = self.objects.len() as u32;
        let text_base = self.symbols.len() as u32;
        self.symbols.push_str(&other.symbols);
        self.objects.extend(other.objects.into_iter().map(|mut o| {
            o.symbol.start += text_base;
            o
        }));
        self.problems.extend(other.problems.into_iter().map(|(i, r)| (i + base, r)));
        self.api_offsets.extend(other.api_offsets.into_iter().map(|(i, o)| (i + base, o)));
        self.driver_apis.extend(other.driver_apis);
    }
}

pub struct Enumerator<'t, 'u, 'a> {
    types: &'t Types<'u, 'a>,
    manifest: &'t Manifest,
    found: &'t mut Found,
    /// Where the current variable is, for the candidate-limit error.
    at: DieLocation,
    /// Path of the value being enumerated; extended and truncated while descending.
    path: &'t mut String,
}

impl<'t, 'u, 'a> Enumerator<'t, 'u, 'a> {
    /// `path` is a scratch buffer, reused across variables.
    pub fn new(
        types: &'t Types<'u, 'a>,
        manifest: &'t Manifest,
        found: &'t mut Found,
        path: &'t mut String,
    ) -> Self {
        Enumerator { types, manifest, found, at: DieLocation { section: "", unit: 0, die: None }, path }
    }

    /// Enumerate the objects in variable `var` (of resolved type `id`).
    pub fn variable(&mut self, units: &Units<'_>, var: &Variable<'_>, id: TypeId) -> Result<()> {
        self.at = units.location(var.die);
        self.path.clear();
        variable_symbol(units, var, self.path)?;
        let problem = (var.address == 0).then_some(Reason::AddressZero);
        self.enumerate(id, var.address, None, problem.as_ref())
    }

    fn limit_error(&self) -> Error {
        Error::TooManyCandidates { limit: CANDIDATE_LIMIT, at: self.at }
    }

    fn push(
        &mut self,
        spec: usize,
        address: u64,
        size: Option<u64>,
        problem: Option<Reason>,
        api_offset: Option<u64>,
    ) -> Result<()> {
        let Some(ty) = self.manifest.types.get(spec) else {
            return Ok(());
        };
        if ty.kind == Kind::DriverApi {
            if problem != Some(Reason::AddressZero) {
                self.found.driver_apis.push(DriverApi {
                    address,
                    type_name: ty.tag.clone(),
                    symbol: self.path.clone(),
                });
            }
            return Ok(());
        }
        let found = &mut *self.found;
        if found.objects.len() >= CANDIDATE_LIMIT || found.symbols.len() + self.path.len() > u32::MAX as usize
        {
            return Err(self.limit_error());
        }
        let index = found.objects.len() as u32;
        let symbol = SymbolRef { start: found.symbols.len() as u32, len: self.path.len() as u32 };
        found.symbols.push_str(self.path);
        let problem = problem.or_else(|| size.is_none().then_some(Reason::UnknownSize));
        if let Some(problem) = problem {
            found.problems.push((index, problem));
        }
        if let Some(offset) = api_offset {
            found.api_offsets.push((index, offset));
        }
        // The manifest has at most u16::MAX types (checked when it is parsed).
        let spec = spec as u16;
        found.objects.push(Object {
            address,
            size: size.unwrap_or(0),
            data: 0,
            api: None,
            type_index: spec,
            struct_index: spec,
            kind: ty.kind,
            section: 0,
            symbol,
        });
        Ok(())
    }

    /// The first manifest type inside `id`, to label a rejection that covers a whole array.
    fn first_spec(&self, id: TypeId) -> Option<usize> {
        match &self.types.node(id)?.shape {
            Shape::Kobject { spec, .. } => Some(*spec),
            Shape::Record { members, .. } => members.iter().find_map(|m| self.first_spec(m.ty)),
            Shape::Array { elem, .. } => self.first_spec(*elem),
            Shape::Leaf { .. } | Shape::Pending => None,
        }
    }

    fn reject_whole(&mut self, id: TypeId, address: u64, reason: Reason) -> Result<()> {
        match self.first_spec(id) {
            Some(spec) => self.push(spec, address, self.types.size(id), Some(reason), None),
            None => Ok(()),
        }
    }

    /// Every object inside a value of type `id` at `address`, named by `self.path`.
    /// `union_at`: length of the path of the innermost enclosing union, if any.
    fn enumerate(
        &mut self,
        id: TypeId,
        address: u64,
        union_at: Option<usize>,
        problem: Option<&Reason>,
    ) -> Result<()> {
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
                    union_path: this.path.get(..len).unwrap_or_default().to_string(),
                })
            })
        };
        match &node.shape {
            Shape::Kobject { spec, size, api_offset, .. } => {
                let problem = why(self);
                self.push(*spec, address, *size, problem, *api_offset)
            }
            Shape::Record { union, members, .. } => {
                let here = self.path.len();
                let inner_union = if *union { Some(here) } else { union_at };
                for member in members {
                    if !types.node(member.ty).is_some_and(|n| n.contains) {
                        continue;
                    }
                    if let Some(name) = &member.name {
                        self.path.push('.');
                        self.path.push_str(name);
                    }
                    let result =
                        self.enumerate(member.ty, address.wrapping_add(member.offset), inner_union, problem);
                    self.path.truncate(here);
                    result?;
                }
                Ok(())
            }
            Shape::Array { dims, elem, .. } => {
                let elem = *elem;
                let Some(dims) = dims.iter().copied().collect::<Option<Vec<u64>>>() else {
                    return self.reject_whole(id, address, Reason::UnknownBound);
                };
                let Some(elem_size) = types.size(elem) else {
                    return self.reject_whole(id, address, Reason::UnknownSize);
                };
                let stack = match types.node(elem).map(|n| &n.shape) {
                    Some(Shape::Kobject { spec, .. })
                        if self.manifest.types.get(*spec).map(|t| t.kind) == Some(Kind::Stack) =>
                    {
                        Some(*spec)
                    }
                    _ => None,
                };
                match stack {
                    // The innermost dimension is the stack; outer ones enumerate stacks.
                    Some(spec) => {
                        let (outer, stack_len) = match dims.split_last() {
                            Some((last, outer)) => (outer, *last),
                            None => (&[][..], 1),
                        };
                        let stack_size = stack_len.checked_mul(elem_size);
                        let stride = stack_size.unwrap_or(0);
                        self.each_index(outer, |this, flat| {
                            let problem = why(this);
                            this.push(
                                spec,
                                address.wrapping_add(flat.wrapping_mul(stride)),
                                stack_size,
                                problem,
                                None,
                            )
                        })
                    }
                    None => self.each_index(&dims, |this, flat| {
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

    /// Call `f` for each index tuple of `dims` in row-major order with the flat index, the
    /// path extended by `[i][j]…`.
    fn each_index(&mut self, dims: &[u64], mut f: impl FnMut(&mut Self, u64) -> Result<()>) -> Result<()> {
        let room = CANDIDATE_LIMIT.saturating_sub(self.found.objects.len()) as u64;
        let total = dims
            .iter()
            .try_fold(1u64, |acc, d| acc.checked_mul(*d))
            .filter(|&t| t <= room)
            .ok_or_else(|| self.limit_error())?;
        let here = self.path.len();
        let mut index = vec![0u64; dims.len()];
        for flat in 0..total {
            for &i in &index {
                push_index(self.path, i);
            }
            let result = f(self, flat);
            self.path.truncate(here);
            result?;
            // Odometer increment, innermost dimension fastest.
            for (i, d) in index.iter_mut().zip(dims).rev() {
                *i += 1;
                if *i < *d {
                    break;
                }
                *i = 0;
            }
        }
        Ok(())
    }
}

/// Append `[i]` to `path` (hot: one call per array element holding an object).
fn push_index(path: &mut String, mut i: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    path.push('[');
    for &d in &digits[start..] {
        path.push(char::from(d));
    }
    path.push(']');
}

/// Write the path of a variable to `out`: `name`, or `function::name` for a function static.
fn variable_symbol(units: &Units<'_>, var: &Variable<'_>, out: &mut String) -> Result<()> {
    if let Some(scope) = var.scope {
        let basics = units.basics(scope)?;
        let (function, _) = units.name_and_type(basics.name, basics.ty, basics.origin)?;
        out.push_str(function.as_deref().unwrap_or("<unnamed function>"));
        out.push_str("::");
    }
    // The common case, a name on the DIE itself, is copied straight from `.debug_str`.
    if let (Some(value), Some(unit)) = (var.name, units.units.get(var.unit)) {
        let name = units
            .dwarf
            .attr_string(&unit.unit, value)
            .map_err(|source| Error::Dwarf { at: units.location(var.die), source })?;
        out.push_str(&name.to_string_lossy());
        return Ok(());
    }
    match units.name_and_type(None, Some(var.die), var.origin)?.0 {
        Some(name) => out.push_str(&name),
        None => out.push_str(&format!("<unnamed variable at {:#x}>", var.die.offset)),
    }
    Ok(())
}

/// Apply the rules to the candidates and build the inventory.
pub fn build_inventory(
    image: &Image<'_>,
    units: &Units<'_>,
    manifest: &Manifest,
    found: Found,
    structs: &[StructDef],
) -> Result<Inventory> {
    let Found { mut objects, symbols, problems, api_offsets, driver_apis } = found;
    let mut notes = Vec::new();
    let types = type_sizes(units, manifest, structs, &mut notes);
    let text = |o: &Object| {
        let start = o.symbol.start as usize;
        symbols.get(start..start + o.symbol.len as usize).unwrap_or("")
    };

    // Driver API instances by address (the first found wins; duplicates are one instance).
    let mut apis: BTreeMap<u64, DriverApi> = BTreeMap::new();
    for api in driver_apis {
        apis.entry(api.address).or_insert(api);
    }
    let api_spec: HashMap<&str, u16> =
        manifest.types.iter().enumerate().map(|(i, t)| (t.tag.as_str(), i as u16)).collect();

    let sections = image.sections();
    // Per section: may ordinary objects / stacks live there? Computed once per section.
    let mut allowed: Vec<Option<[bool; 2]>> = vec![None; sections.len()];
    let mut problems = problems.into_iter().peekable();
    let mut api_offsets = api_offsets.into_iter().peekable();
    let mut rejected = Vec::new();
    let mut keep = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter_mut().enumerate() {
        let index = index as u32;
        let mut problem = None;
        while let Some((_, p)) = problems.next_if(|(i, _)| *i <= index) {
            problem = Some(p);
        }
        let mut api_offset = None;
        while let Some((_, o)) = api_offsets.next_if(|(i, _)| *i <= index) {
            api_offset = Some(o);
        }
        if problem == Some(Reason::UnknownSize) {
            // Declared-only in its unit: another unit may define the type.
            if let Some(size) = types.get(usize::from(object.type_index)).and_then(|t| t.size) {
                object.size = size;
                problem = None;
            }
        }
        let section = image.section_containing(object.address, object.size);
        if let Some(s) = section {
            object.section = s as u32;
        }
        let reason = problem.or_else(|| match section {
            None => Some(Reason::NoSection),
            Some(s) => {
                let [objects_ok, stacks_ok] = *allowed.get_mut(s)?.get_or_insert_with(|| {
                    let name = sections.get(s).map_or("", |sec| sec.name.as_str());
                    [manifest.may_live_in(Kind::Object, name), manifest.may_live_in(Kind::Stack, name)]
                });
                let ok = if object.kind == Kind::Stack { stacks_ok } else { objects_ok };
                if !ok {
                    return Some(Reason::NotKernelSection {
                        section: sections.get(s).map(|sec| sec.name.clone()).unwrap_or_default(),
                    });
                }
                if object.kind != Kind::Device {
                    return None;
                }
                let pointer = api_offset
                    .and_then(|off| image.read_address(object.address.wrapping_add(off)))
                    .unwrap_or(0);
                let Some(nonzero) = NonZeroU64::new(pointer) else {
                    return Some(Reason::NullApi);
                };
                match apis.get(&pointer).and_then(|a| api_spec.get(a.type_name.as_str())) {
                    None => Some(Reason::UnknownApi { pointer }),
                    Some(&spec) => {
                        object.type_index = spec;
                        object.api = Some(nonzero);
                        None
                    }
                }
            }
        });
        keep.push(reason.is_none());
        if let Some(reason) = reason {
            rejected.push(reject(object, text(object), &types, reason));
        }
    }
    let mut keep = keep.into_iter();
    objects.retain(|_| keep.next().unwrap_or(false));

    // By address (a plain integer key: fast), then each run of equal addresses by symbol, so
    // the order is total and deterministic.
    objects.sort_unstable_by_key(|o| o.address);
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
    objects.dedup_by(|b, a| {
        (a.address, a.size, a.kind, a.type_index, text(a))
            == (b.address, b.size, b.kind, b.type_index, text(b))
    });
    one_per_address(&mut objects, &text, &types, &mut rejected, &mut notes);
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
        driver_apis: apis.into_values().collect(),
        notes,
        symbols,
    })
}

fn reject(object: &Object, symbol: &str, types: &[TypeInfo], reason: Reason) -> Rejected {
    Rejected {
        symbol: symbol.to_string(),
        address: object.address,
        size: object.size,
        type_name: types.get(usize::from(object.struct_index)).map(|t| t.tag.clone()).unwrap_or_default(),
        kind: object.kind,
        reason_text: reason.to_string(),
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
    let threads = objects.iter().filter(|o| o.kind == Kind::Thread).count();
    let max = manifest.kernel.max_threads;
    if threads > max as usize {
        return Err(Error::TooManyThreads {
            count: threads,
            max,
            list: objects
                .iter()
                .filter(|o| o.kind == Kind::Thread)
                .map(|t| format!("{}@{:#x}", text(t), t.address))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut next_thread = 0;
    for object in &mut objects {
        match object.kind {
            Kind::Thread => {
                object.data = next_thread;
                next_thread += 1;
            }
            Kind::Stack => object.data = object.size,
            Kind::Object | Kind::Device | Kind::DriverApi => {}
        }
    }
    Ok(objects)
}

/// Size of each manifest type across units; a tag with different sizes gets a warning.
fn type_sizes(
    units: &Units<'_>,
    manifest: &Manifest,
    structs: &[StructDef],
    notes: &mut Vec<String>,
) -> Vec<TypeInfo> {
    let mut by_spec: HashMap<usize, BTreeMap<u64, &StructDef>> = HashMap::new();
    for def in structs {
        if let Some(size) = def.size {
            by_spec.entry(def.spec).or_default().entry(size).or_insert(def);
        }
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
                        let unit = units.units.get(def.unit);
                        format!(
                            "{size} bytes in {} ({})",
                            unit.map(|u| u.name()).unwrap_or_default(),
                            units.location(def.die)
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
