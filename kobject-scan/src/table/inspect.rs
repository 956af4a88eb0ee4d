//! Reading the object table out of any final image with nothing but its symbols: the table
//! (`k_object_table`), the type names (`k_obj_type_names`) and the symbols naming each object.

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SymbolKind};
use serde::Serialize;
use thiserror::Error;

use super::layout::{DecodeError, Layout, ObjectTable};

#[derive(Debug, Error)]
pub enum InspectError {
    #[error("not an ELF file this tool can read: {0}")]
    Elf(#[from] object::Error),
    #[error("no symbol `{0}`: the image has no object table (or was stripped)")]
    MissingSymbol(&'static str),
    #[error("`{symbol}` at {address:#x} lies outside every section with contents")]
    NoData { symbol: &'static str, address: u64 },
    #[error("`k_object_table` at {address:#x}: {error}")]
    Decode { address: u64, error: DecodeError },
}

/// One object as an image's table records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableRow {
    pub address: u64,
    /// The symbol holding the object, `name+offset` inside a larger one; empty if none.
    pub symbol: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub type_id: u8,
    pub flags: u8,
    pub data: u16,
    /// Stacks: the bytes of the stack record the data word indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_size: Option<u32>,
}

/// The table of an image, decoded, rows sorted by address.
#[derive(Clone, Debug, Serialize)]
pub struct ImageTable {
    #[serde(skip)]
    pub table: ObjectTable,
    pub rows: Vec<TableRow>,
    /// Permission bytes per object (and of the thread-index free map).
    pub perm_bytes: u32,
    /// Bytes of one object of each type, by type id.
    pub type_sizes: Vec<u32>,
    /// Thread indices free at boot.
    pub free_thread_indices: Vec<u32>,
}

/// Decodes the object table of the ELF `elf`.
pub fn inspect(elf: &[u8]) -> Result<ImageTable, InspectError> {
    let file = object::File::parse(elf)?;
    // The counts come from the table's header.
    let layout = Layout {
        pointer_bytes: if file.is_64() { 8 } else { 4 },
        big_endian: !file.is_little_endian(),
        perm_bytes: 0,
        type_count: 0,
    };
    let (address, _) = find_symbol(&file, "k_object_table")?;
    let bytes = bytes_at(&file, address).ok_or(InspectError::NoData { symbol: "k_object_table", address })?;
    let table = ObjectTable::decode_rom(bytes, address, layout)
        .map_err(|error| InspectError::Decode { address, error })?;

    let type_names = type_names(&file, layout);
    let symbols = data_symbols(&file);
    let mut rows: Vec<TableRow> = table
        .slots
        .iter()
        .map(|o| TableRow {
            address: o.address,
            symbol: symbol_for(&symbols, o.address),
            type_name: type_names
                .get(usize::from(o.type_id))
                .cloned()
                .unwrap_or_else(|| format!("type#{}", o.type_id)),
            type_id: o.type_id,
            flags: o.flags,
            data: o.data,
            stack_size: table.stacks.get(usize::from(o.data)).filter(|s| s.base == o.address).map(|s| s.size),
        })
        .collect();
    rows.sort_by_key(|r| r.address);
    let free_thread_indices = (0..table.thread_free.len() as u32 * 8)
        .filter(|&i| table.thread_free[(i / 8) as usize] & (1 << (i % 8)) != 0)
        .collect();
    Ok(ImageTable {
        perm_bytes: table.layout.perm_bytes,
        type_sizes: table.type_sizes.clone(),
        free_thread_indices,
        table,
        rows,
    })
}

/// Address and size of the symbol `name`.
fn find_symbol(file: &object::File<'_>, name: &'static str) -> Result<(u64, u64), InspectError> {
    file.symbols()
        .find(|s| s.name() == Ok(name))
        .map(|s| (s.address(), s.size()))
        .ok_or(InspectError::MissingSymbol(name))
}

/// The image's bytes from `address` to the end of the section holding it.
fn bytes_at<'a>(file: &object::File<'a>, address: u64) -> Option<&'a [u8]> {
    file.sections().find_map(|s| {
        let offset = address.checked_sub(s.address())?;
        if offset >= s.size() {
            return None;
        }
        s.data().ok()?.get(usize::try_from(offset).ok()?..)
    })
}

/// `k_obj_type_names`, read through its pointers; empty if the image lacks it.
fn type_names(file: &object::File<'_>, layout: Layout) -> Vec<String> {
    let Ok((address, size)) = find_symbol(file, "k_obj_type_names") else { return Vec::new() };
    let Some(bytes) = bytes_at(file, address) else { return Vec::new() };
    let width = usize::from(layout.pointer_bytes);
    let count = (size as usize / width).min(256);
    bytes
        .chunks_exact(width)
        .take(count)
        .map(|word| {
            let mut buf = [0u8; 8];
            let pointer = if layout.big_endian {
                buf[8 - width..].copy_from_slice(word);
                u64::from_be_bytes(buf)
            } else {
                buf[..width].copy_from_slice(word);
                u64::from_le_bytes(buf)
            };
            bytes_at(file, pointer)
                .map(|s| {
                    String::from_utf8_lossy(s.split(|&b| b == 0).next().unwrap_or_default()).into_owned()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Data symbols with a size, sorted by address.
fn data_symbols(file: &object::File<'_>) -> Vec<(u64, u64, String)> {
    let mut symbols: Vec<(u64, u64, String)> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Data && s.size() > 0)
        .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_owned())))
        .collect();
    symbols.sort();
    symbols
}

fn symbol_for(symbols: &[(u64, u64, String)], address: u64) -> String {
    let after = symbols.partition_point(|s| s.0 <= address);
    symbols[..after]
        .iter()
        .rev()
        .find(|(start, size, _)| address < start + size)
        .map(
            |(start, _, name)| {
                if *start == address {
                    name.clone()
                } else {
                    format!("{name}+{:#x}", address - start)
                }
            },
        )
        .unwrap_or_default()
}

/// Rows as an aligned text table.
pub fn format_rows(rows: &[TableRow], pointer_bytes: u8) -> String {
    let width = usize::from(pointer_bytes) * 2 + 2;
    let mut out = format!("{:<width$}  {:<24}  {:<5}  {:>10}  symbol\n", "address", "type", "flags", "data");
    for r in rows {
        let data = match r.stack_size {
            Some(size) => format!("{} ({size} B)", r.data),
            None => r.data.to_string(),
        };
        out.push_str(&format!(
            "{:<width$}  {:<24}  {:#04x}   {:>10}  {}\n",
            format!("{:#0w$x}", r.address, w = width),
            r.type_name,
            r.flags,
            data,
            r.symbol
        ));
    }
    out.push_str(&format!("{} objects\n", rows.len()));
    out
}

/// What changed between the tables of two images.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableDiff {
    pub added: Vec<TableRow>,
    pub removed: Vec<TableRow>,
    /// Same symbol and type, other address: (before, after).
    pub moved: Vec<(TableRow, TableRow)>,
    /// Same address, other type, flags or data: (before, after).
    pub changed: Vec<(TableRow, TableRow)>,
}

impl TableDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.moved.is_empty() && self.changed.is_empty()
    }
}

/// Compares two images' rows (each sorted by address).
pub fn diff(before: &[TableRow], after: &[TableRow]) -> TableDiff {
    let mut d = TableDiff::default();
    let find =
        |rows: &[TableRow], address| rows.binary_search_by_key(&address, |r: &TableRow| r.address).ok();
    let mut removed = Vec::new();
    for b in before {
        match find(after, b.address) {
            Some(i) if after[i] != *b => d.changed.push((b.clone(), after[i].clone())),
            Some(_) => {}
            None => removed.push(b.clone()),
        }
    }
    let mut added: Vec<TableRow> =
        after.iter().filter(|a| find(before, a.address).is_none()).cloned().collect();
    for b in removed {
        let moved_to = (!b.symbol.is_empty())
            .then(|| added.iter().position(|a| a.symbol == b.symbol && a.type_name == b.type_name))
            .flatten();
        match moved_to {
            Some(i) => d.moved.push((b, added.remove(i))),
            None => d.removed.push(b),
        }
    }
    d.added = added;
    d
}

/// The diff in words, one line per object.
pub fn format_diff(d: &TableDiff) -> String {
    let mut out = String::new();
    let name =
        |r: &TableRow| if r.symbol.is_empty() { format!("{:#x}", r.address) } else { r.symbol.clone() };
    for r in &d.added {
        out.push_str(&format!("+ {:#x} {} {}\n", r.address, r.type_name, name(r)));
    }
    for r in &d.removed {
        out.push_str(&format!("- {:#x} {} {}\n", r.address, r.type_name, name(r)));
    }
    for (b, a) in &d.moved {
        out.push_str(&format!("~ {} {} moved {:#x} -> {:#x}\n", name(b), b.type_name, b.address, a.address));
    }
    for (b, a) in &d.changed {
        out.push_str(&format!(
            "! {:#x} {}: type {} -> {}, flags {:#04x} -> {:#04x}, data {} -> {}\n",
            b.address,
            name(b),
            b.type_name,
            a.type_name,
            b.flags,
            a.flags,
            b.data,
            a.data
        ));
    }
    out.push_str(&format!(
        "{} added, {} removed, {} moved, {} changed\n",
        d.added.len(),
        d.removed.len(),
        d.moved.len(),
        d.changed.len()
    ));
    out
}
