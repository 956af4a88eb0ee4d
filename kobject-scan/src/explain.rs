//! `explain`: why a variable is or is not a kernel object.

use gimli::constants;

use crate::dwarf::types::Types;
use crate::dwarf::{static_address, DieRef, Dies, Units};
use crate::error::Result;
use crate::manifest::Manifest;
use crate::model::Inventory;

/// The base variable name of a symbol path: `bank.sems[3]` → `bank`, `f::s` → `s`.
fn base_name(symbol: &str) -> &str {
    let local = symbol.rsplit("::").next().unwrap_or(symbol);
    let end = local.find(['.', '[']).unwrap_or(local.len());
    local.get(..end).unwrap_or(local)
}

/// Does `path` name `symbol` or something inside it?
fn within(path: &str, symbol: &str) -> bool {
    path.strip_prefix(symbol).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Explain `symbol` (a variable name or a path inside one) in `image`. Lines of text.
pub fn explain(image: &[u8], manifest: &Manifest, symbol: &str) -> Result<Vec<String>> {
    let inventory = crate::scan(image, manifest)?;
    let mut lines = verdicts(&inventory, symbol);
    lines.extend(variable_dies(image, manifest, base_name(symbol))?);
    if lines.is_empty() {
        lines.push(format!("no variable called `{symbol}` in the DWARF"));
    }
    Ok(lines)
}

fn verdicts(inventory: &Inventory, symbol: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for o in inventory.objects.iter().filter(|o| within(inventory.symbol(o), symbol)) {
        let data = match o.kind {
            crate::Kind::Thread => format!(", thread index {}", o.data),
            crate::Kind::Stack => format!(", stack size {}", o.data),
            _ => String::new(),
        };
        lines.push(format!(
            "`{}` is a kernel object: {} `{}` at {:#x}, {} bytes in {}{}",
            inventory.symbol(o),
            o.kind.as_str(),
            inventory.type_name(o),
            o.address,
            o.size,
            inventory.section_name(o),
            data
        ));
    }
    for r in inventory.rejected.iter().filter(|r| within(&r.symbol, symbol)) {
        lines.push(format!(
            "`{}` ({} `{}` at {:#x}) is not a kernel object: {}",
            r.symbol,
            r.kind.as_str(),
            r.type_name,
            r.address,
            r.reason_text
        ));
    }
    lines
}

/// Describe every variable DIE called `name`: its location and whether its type holds objects.
fn variable_dies(image: &[u8], manifest: &Manifest, name: &str) -> Result<Vec<String>> {
    let image = crate::image::Image::parse(image)?;
    let data = crate::DwarfData::load(&image)?;
    let dwarf = data.dwarf();
    let units = Units::load(&dwarf)?;
    let dies = Dies::new(&units);
    let index = crate::TagIndex::new(manifest);
    let mut types = Types::new(&dies, &index.tags, &index.api_members);
    let mut lines = Vec::new();
    for unit in 0..units.units.len() {
        let unit = dies.unit(unit)?;
        let mut cursor = unit.first();
        while !cursor.is_empty() {
            let at = unit.offset_of(&cursor);
            let Some(entry) = unit.read_die(&mut cursor).map_err(|e| unit.error(at, e))? else {
                continue;
            };
            unit.skip_attributes(&mut cursor, &entry).map_err(|e| unit.error(at, e))?;
            if entry.tag() != constants::DW_TAG_variable {
                continue;
            }
            let die = DieRef { sect: unit.entry.sect, offset: entry.offset };
            let basics = dies.basics(die)?;
            let (found, ty) = dies.name_and_type(basics.name, basics.ty, basics.origin)?;
            if found.map(String::from_utf8_lossy).as_deref() != Some(name) {
                continue;
            }
            let mut location = None;
            let mut declaration = false;
            unit.attributes(
                &entry,
                |name| matches!(name, constants::DW_AT_location | constants::DW_AT_declaration),
                |attr, value| {
                    match attr {
                        constants::DW_AT_location => {
                            location.get_or_insert(value);
                        }
                        _ => declaration = true,
                    }
                    Ok(())
                },
            )?;
            let place = match location {
                None if declaration => "a declaration (no storage here)".to_string(),
                None => "no location (optimised out, or storage described elsewhere)".to_string(),
                Some(value) => match static_address(&unit, die.offset, value)? {
                    Some(0) => "address 0: removed by the linker".to_string(),
                    Some(address) => format!("static address {address:#x}"),
                    None => "not a static address (stack, register, TLS or location list)".to_string(),
                },
            };
            let contents = describe_type(&mut types, ty)?;
            let at = units.location(die);
            lines.push(format!("variable `{name}` at {at} ({}): {place}; {contents}", unit.name()));
        }
    }
    Ok(lines)
}

fn describe_type(types: &mut Types<'_, '_, '_>, ty: Option<DieRef>) -> Result<&'static str> {
    let id = types.resolve(ty)?;
    Ok(if types.node(id).is_some_and(|n| n.contains) {
        "its type holds kernel objects"
    } else {
        "its type holds no kernel object"
    })
}
