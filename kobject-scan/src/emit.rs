//! Output formats for an inventory: a human table and JSON.

use std::fmt::Write as _;

use crate::model::Inventory;

/// Objects sorted by address, then rejected candidates with reasons, then notes.
pub fn table(inventory: &Inventory) -> String {
    let mut out = String::new();
    let width = usize::from(inventory.target.address_size) * 2 + 2;
    let _ = writeln!(
        out,
        "{:<width$}  {:>8}  {:<10}  {:<24}  {:<12}  {:>8}  symbol",
        "address", "size", "kind", "type", "section", "data"
    );
    for o in &inventory.objects {
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:<10}  {:<24}  {:<12}  {:>8}  {}",
            format!("{:#0w$x}", o.address, w = width),
            o.size,
            o.kind.as_str(),
            inventory.type_name(o),
            inventory.section_name(o),
            o.data,
            inventory.symbol(o)
        );
    }
    let _ = writeln!(out, "{} objects", inventory.objects.len());
    if !inventory.rejected.is_empty() {
        let _ = writeln!(out, "\nrejected:");
        for r in &inventory.rejected {
            let _ = writeln!(
                out,
                "{:<width$}  {:<24}  {}: {}",
                format!("{:#0w$x}", r.address, w = width),
                r.type_name,
                r.symbol,
                r.reason_text
            );
        }
    }
    if !inventory.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for note in &inventory.notes {
            let _ = writeln!(out, "{note}");
        }
    }
    out
}

/// `{"target": …, "objects": [...], "rejected": [...], "driver_apis": [...], "types": [...],
/// "notes": [...]}`.
pub fn json(inventory: &Inventory) -> String {
    // Serialising plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(inventory).unwrap_or_default();
    text.push('\n');
    text
}
