//! kobject-scan: finds every kernel object in an ELF image from its DWARF.
//!
//! The flow is read → model → emit: [`image`] and [`dwarf`] read the ELF and its DWARF,
//! [`collect`] applies the rules and builds the [`model::Inventory`], [`emit`] prints it.
//! The type manifest format is documented in [`manifest`].
//!
//! # Rules
//! - A variable is a candidate when its location is a static address (`DW_OP_addr` or
//!   `DW_OP_addrx`, optionally plus a constant). Globals, file statics and function statics
//!   count; stack locals, optimised-out variables and declarations do not. A variable at
//!   address 0 was removed by the linker and is rejected.
//! - Inside a variable, objects are found through struct members at any depth and arrays of
//!   any rank. A kernel object's own members are not searched: its interior belongs to the
//!   kernel, and exposing an inner object would let a thread operate on part of another one.
//! - Objects inside a union are rejected: the memory is not exclusively the object's.
//! - Stacks: an array of the stack element type is one stack; an array of such arrays gives one
//!   stack per outer element. The stack size is the innermost dimension times the element size.
//! - Devices: the API pointer is read from the image at the `api_member` offset and must point
//!   at a driver API instance; the object's type is that API's struct. Null or unknown pointers
//!   are rejected.
//! - An object must lie wholly in a section matching `[kernel] sections`.
//! - One object per address: the same object reached twice (common symbols, abstract and
//!   concrete instances) is merged; otherwise the largest is kept, then by kind order
//!   (object, thread, stack, device), then by symbol, and a note names the others.
//! - Threads get indices 0, 1, … in address order; more than `max_threads` is an error.
//! - A manifest struct tag defined with different sizes in different units is a warning.

pub mod collect;
pub mod dwarf;
pub mod emit;
pub mod error;
pub mod explain;
pub mod image;
pub mod manifest;
pub mod model;
pub mod table;

pub use error::{Error, Result};
pub use manifest::Manifest;
pub use model::{Inventory, Kind, Object, Reason, Rejected};

use dwarf::types::TypeId;
use dwarf::{DieRef, Dies, Reader, Units};
use gimli::RunTimeEndian;
use rustc_hash::FxHashMap;

/// The DWARF sections of an image, decompressed where needed, ready to borrow.
pub(crate) struct DwarfData<'data> {
    sections: gimli::DwarfSections<std::borrow::Cow<'data, [u8]>>,
    endian: RunTimeEndian,
}

impl<'data> DwarfData<'data> {
    pub(crate) fn load(image: &image::Image<'data>) -> Result<Self> {
        if !image.has_section(".debug_info") {
            return Err(Error::NoDwarf);
        }
        let sections = gimli::DwarfSections::load(|id| image.section_bytes(id.name()))?;
        let endian = if image.target.big_endian { RunTimeEndian::Big } else { RunTimeEndian::Little };
        Ok(DwarfData { sections, endian })
    }

    pub(crate) fn dwarf(&self) -> gimli::Dwarf<Reader<'_>> {
        self.sections.borrow(|section| gimli::EndianSlice::new(section, self.endian))
    }
}

/// Manifest lookups shared by the passes.
pub(crate) struct TagIndex<'m> {
    pub tags: FxHashMap<&'m [u8], usize>,
    pub api_members: Vec<Option<&'m [u8]>>,
}

impl<'m> TagIndex<'m> {
    pub(crate) fn new(manifest: &'m Manifest) -> Self {
        TagIndex {
            tags: manifest.types.iter().enumerate().map(|(i, t)| (t.tag.as_bytes(), i)).collect(),
            api_members: manifest.types.iter().map(|t| t.api_member.as_deref().map(str::as_bytes)).collect(),
        }
    }
}

/// Units per parallel task for each thread: enough tasks that a core slowed by other work
/// does not hold up the rest, few enough that per-task costs stay small.
const TASKS_PER_THREAD: usize = 4;

/// Find every kernel object in the ELF image `image`.
pub fn scan(image: &[u8], manifest: &Manifest) -> Result<Inventory> {
    use rayon::prelude::*;

    let image = image::Image::parse(image)?;
    let data = DwarfData::load(&image)?;
    let dwarf = data.dwarf();
    let units = Units::load(&dwarf)?;
    let index = TagIndex::new(manifest);
    // Units are independent until the rules: contiguous runs of them are scanned in parallel
    // and joined in unit order, so the result does not depend on scheduling.
    let count = units.units.len();
    let per_task = count.div_ceil(rayon::current_num_threads() * TASKS_PER_THREAD).max(1);
    let parts = (0..count.div_ceil(per_task))
        .into_par_iter()
        .map(|task| {
            let first = task * per_task;
            scan_units(&units, &index, manifest, first..(first + per_task).min(count))
        })
        .collect::<Vec<Result<_>>>()
        .into_iter()
        // The first failing run in unit order, whichever core failed first.
        .collect::<Result<Vec<_>>>()?;
    let mut structs = dwarf::StructSizes::new();
    let mut found = Vec::with_capacity(parts.len());
    for (part, defs) in parts {
        found.push(part);
        for (key, def) in defs {
            // The first definition in unit order names a size.
            structs.entry(key).or_insert(def);
        }
    }
    let found = collect::Found::join(found);
    collect::build_inventory(&image, &Dies::new(&units), manifest, found, &structs)
}

/// The candidates in units `range`, one unit at a time so memory holds one unit's variables
/// and types at once.
fn scan_units(
    units: &Units<'_>,
    index: &TagIndex<'_>,
    manifest: &Manifest,
    range: std::ops::Range<usize>,
) -> Result<(collect::Found, dwarf::StructSizes)> {
    let dies = Dies::new(units);
    let mut found = collect::Found::default();
    let mut walked = dwarf::WalkResult::default();
    let mut types = dwarf::types::Types::new(&dies, &index.tags, &index.api_members);
    for unit in range {
        walked.variables.clear();
        let unit = dies.unit(unit)?;
        dwarf::walk_unit(&unit, &index.tags, &mut walked)?;
        // Types are resolved per unit: most are defined in it, and memory stays one unit's.
        types.clear(Some((unit.entry.sect, unit.entry.start, unit.entry.end)));
        // Neighbouring variables often share a type (`int a, b, c;`): the last one is remembered.
        let mut last: Option<(DieRef, TypeId)> = None;
        for var in &walked.variables {
            let ty = match var.ty {
                Some(ty) => Some(ty),
                None => dies.name_and_type(None, None, var.origin)?.1,
            };
            let id = match (ty, last) {
                (Some(ty), Some((die, id))) if die == ty => id,
                _ => {
                    let id = types.resolve(ty)?;
                    last = ty.map(|ty| (ty, id));
                    id
                }
            };
            if types.node(id).is_some_and(|n| n.contains) {
                collect::Enumerator::new(&types, manifest, &mut found).variable(&dies, &unit, var, id)?;
            }
        }
    }
    found.shrink_to_fit();
    Ok((found, walked.structs))
}

/// Read `image_path` and scan it; errors name the file.
pub fn scan_file(image_path: &std::path::Path, manifest: &Manifest) -> Result<Inventory> {
    let bytes = std::fs::read(image_path).map_err(|source| Error::Io { path: image_path.into(), source })?;
    scan(&bytes, manifest).map_err(|e| e.in_file(image_path))
}
