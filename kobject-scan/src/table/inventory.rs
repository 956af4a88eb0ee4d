//! From the scan's inventory to the table's objects, and back again to verify a final image.

use std::fmt::Write;

use crate::{Inventory, Kind, Manifest};
use thiserror::Error;

use super::emit_c::CType;
use super::layout::{Contents, Layout, ObjectTable, StackRecord, TableObject, FLAG_DRIVER, FLAG_INITIALIZED};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TableError {
    #[error("types `{first}` and `{second}` both become enumerator {enumerator}")]
    EnumeratorClash { first: String, second: String, enumerator: String },
    #[error("{0} kernel-object types: the table stores a type in one byte (at most 255)")]
    TooManyTypes(usize),
    #[error("object `{symbol}` at {address:#x} has type `{type_name}`, which the manifest does not list")]
    UnknownType { symbol: String, address: u64, type_name: String },
    #[error("object `{symbol}` at {address:#x}: {what} {value:#x} does not fit the table's field")]
    TooWide { symbol: String, address: u64, what: &'static str, value: u64 },
    #[error("type `{type_name}` is {size} bytes: more than the table's 32-bit size field holds")]
    TypeTooLarge { type_name: String, size: u64 },
}

/// The C enumerators for the manifest's types, in manifest order: every kind except `device`,
/// whose objects take their driver API's type.
pub fn c_types(manifest: &Manifest) -> Result<Vec<CType>, TableError> {
    let mut types: Vec<CType> = Vec::new();
    for spec in manifest.types.iter().filter(|t| t.kind != Kind::Device) {
        let base = spec.tag.strip_prefix("k_").unwrap_or(&spec.tag);
        let enumerator = match spec.kind {
            Kind::DriverApi => format!("K_OBJ_DRIVER_{}", base.strip_suffix("_driver_api").unwrap_or(base)),
            _ => format!("K_OBJ_{base}"),
        }
        .to_ascii_uppercase();
        if let Some(other) = types.iter().find(|t| t.enumerator == enumerator) {
            return Err(TableError::EnumeratorClash {
                first: other.name.clone(),
                second: spec.tag.clone(),
                enumerator,
            });
        }
        types.push(CType { enumerator, name: spec.tag.clone(), stack: spec.kind == Kind::Stack });
    }
    if types.len() > 255 {
        return Err(TableError::TooManyTypes(types.len()));
    }
    Ok(types)
}

/// The target layout of the table for this inventory's image.
pub fn layout(inventory: &Inventory, manifest: &Manifest) -> Layout {
    Layout {
        pointer_bytes: inventory.target.address_size,
        big_endian: inventory.target.big_endian,
        perm_bytes: manifest.kernel.max_threads.div_ceil(8),
        type_count: manifest.types.iter().filter(|t| t.kind != Kind::Device).count() as u32 + 1,
    }
}

/// What the table holds for this inventory: one object per inventory object (devices start
/// initialised and marked as drivers: the kernel brings them up before any thread runs), one
/// stack record per stack in address order (the stack's data word is its index), the size of
/// every type (a driver type's objects are devices: the largest device struct), and the thread
/// indices no static thread takes.
pub fn contents(inventory: &Inventory, manifest: &Manifest, types: &[CType]) -> Result<Contents, TableError> {
    let mut stacks = Vec::new();
    let mut taken = Vec::new();
    let mut objects = Vec::with_capacity(inventory.objects.len());
    for o in &inventory.objects {
        let symbol = || inventory.symbol(o).to_owned();
        let type_name = inventory.type_name(o);
        let index = types.iter().position(|t| t.name == type_name).ok_or_else(|| {
            TableError::UnknownType { symbol: symbol(), address: o.address, type_name: type_name.to_owned() }
        })?;
        let too_wide =
            |what, value| TableError::TooWide { symbol: symbol(), address: o.address, what, value };
        let data = match o.kind {
            Kind::Thread => {
                taken.push(o.data);
                o.data
            }
            Kind::Stack => {
                let size = u32::try_from(o.data).map_err(|_| too_wide("stack size", o.data))?;
                stacks.push(StackRecord { base: o.address, size });
                stacks.len() as u64 - 1
            }
            _ => 0,
        };
        let data = u16::try_from(data).map_err(|_| too_wide("data word", data))?;
        let flags = if o.kind == Kind::Device { FLAG_INITIALIZED | FLAG_DRIVER } else { 0 };
        objects.push(TableObject { address: o.address, type_id: index as u8 + 1, flags, data });
    }

    let size_of = |tag: &str| inventory.types.iter().find(|t| t.tag == tag).and_then(|t| t.size);
    let device_size = inventory.types.iter().filter(|t| t.kind == Kind::Device).filter_map(|t| t.size).max();
    let mut type_sizes = vec![0];
    for t in types {
        let spec = manifest.types.iter().find(|s| s.tag == t.name);
        let size = match spec.map(|s| s.kind) {
            Some(Kind::DriverApi) => device_size,
            _ => size_of(&t.name),
        };
        let size = size.unwrap_or(0);
        type_sizes.push(
            u32::try_from(size).map_err(|_| TableError::TypeTooLarge { type_name: t.name.clone(), size })?,
        );
    }

    let max_threads = u64::from(manifest.kernel.max_threads);
    let mut thread_free = vec![0u8; manifest.kernel.max_threads.div_ceil(8) as usize];
    for index in (0..max_threads).filter(|i| !taken.contains(i)) {
        thread_free[(index / 8) as usize] |= 1 << (index % 8);
    }
    Ok(Contents { objects, stacks, type_sizes, thread_free })
}

/// Compares the table decoded from a final image with a fresh scan of that image. Returns one
/// line per disagreement, naming the object; an empty list means the table is right.
pub fn verify(
    rescan: &Inventory,
    manifest: &Manifest,
    decoded: &ObjectTable,
    types: &[CType],
) -> Result<Vec<String>, TableError> {
    let want = contents(rescan, manifest, types)?;
    let expected = &want.objects;
    let name = |id: u8| types.get(usize::from(id).wrapping_sub(1)).map_or("?", |t| t.name.as_str());
    let symbol = |address| rescan.object_at(address).map_or("?", |o| rescan.symbol(o));
    let mut problems = Vec::new();
    let layout = layout(rescan, manifest);
    if decoded.layout != layout {
        problems.push(format!(
            "the table is laid out for {} permission bytes and {} types, the manifest asks for {} and {}",
            decoded.layout.perm_bytes, decoded.layout.type_count, layout.perm_bytes, layout.type_count
        ));
    }
    for want in expected {
        match decoded.find(want.address) {
            None => problems.push(format!(
                "missing from the table: {} at {:#x} ({})",
                symbol(want.address),
                want.address,
                name(want.type_id)
            )),
            Some(have) if have != want => {
                let mut line = format!("{} at {:#x}:", symbol(want.address), want.address);
                if have.type_id != want.type_id {
                    let _ = write!(
                        line,
                        " type {} in the table, {} in the image;",
                        name(have.type_id),
                        name(want.type_id)
                    );
                }
                if have.data != want.data {
                    let _ = write!(line, " data {} in the table, {} in the image;", have.data, want.data);
                }
                if have.flags != want.flags {
                    let _ = write!(
                        line,
                        " flags {:#04x} in the table, {:#04x} expected;",
                        have.flags, want.flags
                    );
                }
                problems.push(line.trim_end_matches(';').to_owned());
            }
            Some(_) => {}
        }
    }
    for have in &decoded.slots {
        if expected.binary_search_by_key(&have.address, |o| o.address).is_err() {
            problems.push(format!(
                "in the table but not a kernel object of the image: {:#x} ({})",
                have.address,
                name(have.type_id)
            ));
        }
    }
    if decoded.stacks != want.stacks {
        problems.push(format!(
            "stack records differ: {} in the table, {} stacks in the image{}",
            decoded.stacks.len(),
            want.stacks.len(),
            describe_stack_difference(&decoded.stacks, &want.stacks)
        ));
    }
    if decoded.type_sizes != want.type_sizes {
        problems.push(format!(
            "type sizes {:?} in the table, {:?} in the image",
            decoded.type_sizes, want.type_sizes
        ));
    }
    if decoded.thread_free != want.thread_free {
        problems.push(format!(
            "thread-index free map {:02x?} in the table, {:02x?} expected",
            decoded.thread_free, want.thread_free
        ));
    }
    Ok(problems)
}

fn describe_stack_difference(have: &[StackRecord], want: &[StackRecord]) -> String {
    have.iter()
        .zip(want)
        .position(|(h, w)| h != w)
        .map(|i| {
            format!(
                " (record {i}: {:#x}, {} bytes in the table; {:#x}, {} bytes in the image)",
                have[i].base, have[i].size, want[i].base, want[i].size
            )
        })
        .unwrap_or_default()
}
