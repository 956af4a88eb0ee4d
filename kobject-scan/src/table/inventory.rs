//! From the scan's inventory to the table's objects, and back again to verify a final image.

use std::fmt::Write;

use crate::{Inventory, Kind, Manifest};
use thiserror::Error;

use super::emit_c::CType;
use super::layout::{Layout, ObjectTable, TableObject, FLAG_DRIVER, FLAG_INITIALIZED};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TableError {
    #[error("types `{first}` and `{second}` both become enumerator {enumerator}")]
    EnumeratorClash { first: String, second: String, enumerator: String },
    #[error("{0} kernel-object types: the table stores a type in one byte (at most 255)")]
    TooManyTypes(usize),
    #[error("object `{symbol}` at {address:#x} has type `{type_name}`, which the manifest does not list")]
    UnknownType { symbol: String, address: u64, type_name: String },
    #[error("object `{symbol}` at {address:#x}: data word {data:#x} does not fit in 32 bits")]
    DataTooWide { symbol: String, address: u64, data: u64 },
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
        types.push(CType { enumerator, name: spec.tag.clone() });
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
    }
}

/// One table object per inventory object. Devices start initialised and marked as drivers:
/// the kernel brings them up before any thread runs.
pub fn table_objects(inventory: &Inventory, types: &[CType]) -> Result<Vec<TableObject>, TableError> {
    inventory
        .objects
        .iter()
        .map(|o| {
            let type_name = inventory.type_name(o);
            let index =
                types.iter().position(|t| t.name == type_name).ok_or_else(|| TableError::UnknownType {
                    symbol: inventory.symbol(o).to_owned(),
                    address: o.address,
                    type_name: type_name.to_owned(),
                })?;
            let data = u32::try_from(o.data).map_err(|_| TableError::DataTooWide {
                symbol: inventory.symbol(o).to_owned(),
                address: o.address,
                data: o.data,
            })?;
            let flags = if o.kind == Kind::Device { FLAG_INITIALIZED | FLAG_DRIVER } else { 0 };
            Ok(TableObject { address: o.address, type_id: index as u8 + 1, flags, data })
        })
        .collect()
}

/// Compares the table decoded from a final image with a fresh scan of that image. Returns one
/// line per disagreement, naming the object; an empty list means the table is right.
pub fn verify(rescan: &Inventory, decoded: &ObjectTable, types: &[CType]) -> Result<Vec<String>, TableError> {
    let expected = table_objects(rescan, types)?;
    let name = |id: u8| types.get(usize::from(id).wrapping_sub(1)).map_or("?", |t| t.name.as_str());
    let symbol = |address| rescan.object_at(address).map_or("?", |o| rescan.symbol(o));
    let mut problems = Vec::new();
    for want in &expected {
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
    Ok(problems)
}
