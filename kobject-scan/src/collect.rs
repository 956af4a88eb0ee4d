//! From variables to the inventory: enumerate the kernel objects inside each variable's type,
//! then apply the rules (kernel sections, device API resolution, one object per address,
//! thread indices).

use std::collections::{BTreeMap, HashMap};

use crate::dwarf::types::{Shape, TypeId, Types};
use crate::dwarf::{Units, Variable};
use crate::error::{DieLocation, Error, Result};
use crate::image::Image;
use crate::manifest::Manifest;
use crate::model::{DriverApi, Inventory, Kind, Object, Reason, Rejected, TypeInfo};

/// Candidates beyond this are refused: only corrupt DWARF gets anywhere near it.
const CANDIDATE_LIMIT: usize = 1 << 24;

/// A kernel object (or driver API instance) found inside a variable, before the rules.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub address: u64,
    pub size: Option<u64>,
    /// Manifest type index.
    pub spec: usize,
    pub symbol: String,
    /// Set when the candidate is already known not to be an object.
    pub problem: Option<Reason>,
    pub api_offset: Option<u64>,
}

pub struct Enumerator<'t, 'u, 'a> {
    pub types: &'t Types<'u, 'a>,
    pub manifest: &'t Manifest,
    pub out: Vec<Candidate>,
    /// Where the current variable is, for the candidate-limit error.
    pub at: DieLocation,
}

impl Enumerator<'_, '_, '_> {
    fn push(&mut self, candidate: Candidate) -> Result<()> {
        if self.out.len() >= CANDIDATE_LIMIT {
            return Err(Error::TooManyCandidates { limit: CANDIDATE_LIMIT, at: self.at });
        }
        self.out.push(candidate);
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

    fn reject_whole(&mut self, id: TypeId, address: u64, symbol: String, reason: Reason) -> Result<()> {
        match self.first_spec(id) {
            Some(spec) => self.push(Candidate {
                address,
                size: self.types.size(id),
                spec,
                symbol,
                problem: Some(reason),
                api_offset: None,
            }),
            None => Ok(()),
        }
    }

    /// Every object inside a value of type `id` at `address`, named from `symbol`.
    /// `union_path`: the innermost enclosing union, if any.
    pub fn enumerate(
        &mut self,
        id: TypeId,
        address: u64,
        symbol: &str,
        union_path: Option<&str>,
        problem: Option<&Reason>,
    ) -> Result<()> {
        let Some(node) = self.types.node(id) else {
            return Ok(());
        };
        if !node.contains {
            return Ok(());
        }
        let in_union =
            || problem.cloned().or_else(|| union_path.map(|u| Reason::InUnion { union_path: u.to_string() }));
        match &node.shape {
            Shape::Kobject { spec, size, api_offset, .. } => self.push(Candidate {
                address,
                size: *size,
                spec: *spec,
                symbol: symbol.to_string(),
                problem: in_union(),
                api_offset: *api_offset,
            }),
            Shape::Record { union, members, .. } => {
                for member in members {
                    let path = match &member.name {
                        Some(name) => format!("{symbol}.{name}"),
                        None => symbol.to_string(),
                    };
                    let inner_union = if *union { Some(symbol) } else { union_path };
                    self.enumerate(
                        member.ty,
                        address.wrapping_add(member.offset),
                        &path,
                        inner_union,
                        problem,
                    )?;
                }
                Ok(())
            }
            Shape::Array { dims, elem, .. } => {
                let elem = *elem;
                let Some(dims) = dims.iter().copied().collect::<Option<Vec<u64>>>() else {
                    return self.reject_whole(id, address, symbol.to_string(), Reason::UnknownBound);
                };
                let Some(elem_size) = self.types.size(elem) else {
                    return self.reject_whole(id, address, symbol.to_string(), Reason::UnknownSize);
                };
                let stack = match self.types.node(elem).map(|n| &n.shape) {
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
                        self.each_index(outer, symbol, |this, flat, path| {
                            this.push(Candidate {
                                address: address.wrapping_add(flat.wrapping_mul(stack_size.unwrap_or(0))),
                                size: stack_size,
                                spec,
                                symbol: path,
                                problem: in_union(),
                                api_offset: None,
                            })
                        })
                    }
                    None => self.each_index(&dims, symbol, |this, flat, path| {
                        this.enumerate(
                            elem,
                            address.wrapping_add(flat.wrapping_mul(elem_size)),
                            &path,
                            union_path,
                            problem,
                        )
                    }),
                }
            }
            Shape::Leaf { .. } | Shape::Pending => Ok(()),
        }
    }

    /// Call `f` for each index tuple of `dims` in row-major order with the flat index and the
    /// path `symbol[i][j]…`.
    fn each_index(
        &mut self,
        dims: &[u64],
        symbol: &str,
        mut f: impl FnMut(&mut Self, u64, String) -> Result<()>,
    ) -> Result<()> {
        let total = dims.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d));
        match total {
            Some(total) if total <= (CANDIDATE_LIMIT - self.out.len().min(CANDIDATE_LIMIT)) as u64 => {}
            _ => return Err(Error::TooManyCandidates { limit: CANDIDATE_LIMIT, at: self.at }),
        }
        let mut index = vec![0u64; dims.len()];
        for flat in 0..total.unwrap_or(0) {
            let mut path = String::with_capacity(symbol.len() + 8 * dims.len());
            path.push_str(symbol);
            for i in &index {
                path.push('[');
                path.push_str(&i.to_string());
                path.push(']');
            }
            f(self, flat, path)?;
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

/// The path of a variable: `name`, or `function::name` for a function static.
pub fn variable_symbol(units: &Units<'_>, var: &Variable<'_>) -> Result<String> {
    let own_name = var.name.map(|n| String::from_utf8_lossy(n).into_owned());
    let (name, _) = units.name_and_type(own_name, Some(var.die), var.origin)?;
    let name = name.unwrap_or_else(|| format!("<unnamed variable at {:#x}>", var.die.offset));
    let symbol = match var.scope {
        Some(scope) => {
            let basics = units.basics(scope)?;
            let (function, _) = units.name_and_type(basics.name, basics.ty, basics.origin)?;
            format!("{}::{name}", function.as_deref().unwrap_or("<unnamed function>"))
        }
        None => name,
    };
    Ok(symbol)
}

/// Apply the rules to the candidates and build the inventory.
pub fn build_inventory(
    image: &Image<'_>,
    units: &Units<'_>,
    manifest: &Manifest,
    candidates: Vec<Candidate>,
    structs: &[crate::dwarf::StructDef],
) -> Result<Inventory> {
    let mut notes = Vec::new();
    let types = type_sizes(units, manifest, structs, &mut notes);
    let tag = |spec: usize| manifest.types.get(spec).map(|t| t.tag.clone()).unwrap_or_default();
    let kind = |spec: usize| manifest.types.get(spec).map(|t| t.kind).unwrap_or(Kind::Object);

    // Driver API instances first: devices are resolved against them.
    let mut apis: BTreeMap<u64, DriverApi> = BTreeMap::new();
    for c in &candidates {
        if kind(c.spec) == Kind::DriverApi && c.problem != Some(Reason::AddressZero) {
            apis.entry(c.address).or_insert_with(|| DriverApi {
                address: c.address,
                type_name: tag(c.spec),
                symbol: c.symbol.clone(),
            });
        }
    }

    let mut objects = Vec::new();
    let mut rejected = Vec::new();
    for c in candidates {
        let k = kind(c.spec);
        if k == Kind::DriverApi {
            continue;
        }
        let size = c.size.or_else(|| types.get(c.spec).and_then(|t| t.size));
        let mut object = Object {
            address: c.address,
            size: size.unwrap_or(0),
            type_name: tag(c.spec),
            kind: k,
            symbol: c.symbol,
            section: String::new(),
            data: 0,
            instance_type: None,
            api: None,
        };
        let section = image.section_containing(object.address, object.size);
        let reason = if let Some(problem) = c.problem {
            Some(problem)
        } else if size.is_none() {
            Some(Reason::UnknownSize)
        } else {
            match section {
                None => Some(Reason::NoSection),
                Some(s) if !manifest.is_kernel_section(&s.name) => {
                    Some(Reason::NotKernelSection { section: s.name.clone() })
                }
                Some(_) if k == Kind::Device => {
                    let pointer = c
                        .api_offset
                        .and_then(|off| image.read_address(object.address.wrapping_add(off)))
                        .unwrap_or(0);
                    match apis.get(&pointer) {
                        _ if pointer == 0 => Some(Reason::NullApi),
                        None => Some(Reason::UnknownApi { pointer }),
                        Some(api) => {
                            object.instance_type = Some(std::mem::take(&mut object.type_name));
                            object.type_name = api.type_name.clone();
                            object.api = Some(pointer);
                            None
                        }
                    }
                }
                Some(_) => None,
            }
        };
        if let Some(s) = section {
            object.section = s.name.clone();
        }
        match reason {
            None => objects.push(object),
            Some(reason) => rejected.push(reject(object, reason)),
        }
    }

    objects.sort_by(|a, b| (a.address, &a.symbol).cmp(&(b.address, &b.symbol)));
    // The same object reached twice (a common symbol in two units, an abstract and a concrete
    // instance of one function static) is one object.
    objects.dedup();
    let objects = one_per_address(objects, &mut rejected, &mut notes);
    let objects = number_objects(objects, manifest)?;

    rejected
        .sort_by(|a, b| (a.address, &a.symbol, &a.reason_text).cmp(&(b.address, &b.symbol, &b.reason_text)));
    rejected.dedup();
    Ok(Inventory {
        target: image.target,
        objects,
        rejected,
        driver_apis: apis.into_values().collect(),
        types,
        notes,
    })
}

fn reject(object: Object, reason: Reason) -> Rejected {
    Rejected {
        symbol: object.symbol,
        address: object.address,
        size: object.size,
        type_name: object.instance_type.unwrap_or(object.type_name),
        kind: object.kind,
        reason_text: reason.to_string(),
        reason,
    }
}

/// Two objects starting at one address cannot both be keys of the object table. Rule: keep the
/// largest; on equal sizes the first by kind order (object, thread, stack, device), then by
/// symbol. The others are rejected and a note names them all.
fn one_per_address(
    objects: Vec<Object>,
    rejected: &mut Vec<Rejected>,
    notes: &mut Vec<String>,
) -> Vec<Object> {
    let mut kept: Vec<Object> = Vec::with_capacity(objects.len());
    let mut group: Vec<Object> = Vec::new();
    let mut flush = |group: &mut Vec<Object>, kept: &mut Vec<Object>| {
        group.sort_by(|a, b| b.size.cmp(&a.size).then(a.kind.cmp(&b.kind)).then(a.symbol.cmp(&b.symbol)));
        let mut members = group.drain(..);
        let Some(winner) = members.next() else { return };
        let losers: Vec<Object> = members.collect();
        if !losers.is_empty() {
            notes.push(format!(
                "{} objects start at {:#x}: kept `{}`, rejected {}",
                losers.len() + 1,
                winner.address,
                winner.symbol,
                losers.iter().map(|o| format!("`{}`", o.symbol)).collect::<Vec<_>>().join(", ")
            ));
            for loser in losers {
                let reason = Reason::SharedAddress { kept: winner.symbol.clone() };
                rejected.push(reject(loser, reason));
            }
        }
        kept.push(winner);
    };
    for object in objects {
        if group.first().is_some_and(|g| g.address != object.address) {
            flush(&mut group, &mut kept);
        }
        group.push(object);
    }
    flush(&mut group, &mut kept);
    kept
}

/// Data words: thread indices by address, stack sizes.
fn number_objects(mut objects: Vec<Object>, manifest: &Manifest) -> Result<Vec<Object>> {
    let threads: Vec<&Object> = objects.iter().filter(|o| o.kind == Kind::Thread).collect();
    let max = manifest.kernel.max_threads;
    if threads.len() > max as usize {
        return Err(Error::TooManyThreads {
            count: threads.len(),
            max,
            list: threads
                .iter()
                .map(|t| format!("{}@{:#x}", t.symbol, t.address))
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
    structs: &[crate::dwarf::StructDef],
    notes: &mut Vec<String>,
) -> Vec<TypeInfo> {
    let mut by_spec: HashMap<usize, BTreeMap<u64, &crate::dwarf::StructDef>> = HashMap::new();
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
