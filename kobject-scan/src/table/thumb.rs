//! `k_object_find` for M-profile Thumb-2 cores (ARMv7-M and later), as instructions whose
//! encoding this module fixes, so that both ways of filling the table run the same code.
//!
//! The instruction sequence depends only on the object count (the table's shape: direct or
//! two-level, bucket shift, in-bucket offset width, where the buckets are); the table's
//! keys decide two values only, its *patch sites*: the alignment mask (the immediate of the
//! first instruction, a `tst.w`) and the multiplier (the first word of the literal pool). The
//! pool's second word is an address inside the table (`k_object_table + offset`), which the
//! linker fills in.
//!
//! - The first link's placeholder compiles this code with the mask `0xffffffff` and the
//!   multiplier 0 (every address but 0 rejected at once; 0 reads a key the placeholder sets to
//!   all ones). Patch mode rewrites the two sites in place, after checking that every other
//!   byte is exactly what [`lookup`] says ([`super::patch`]).
//! - Relink mode compiles it with the real values.
//!
//! Either way the final image's code equals [`lookup`] for the table it holds, which
//! verification checks. GNU as assembles the text of [`LookupCode::lines`]; the bytes this
//! module computes for the same lines must agree with its output, and the patcher refuses an
//! image where they do not.
//!
//! A hit runs 11 instructions in a direct table (`tst`, `bne`, `ldrd`, `mul`, `add`, `ldrb`,
//! `ldr`, `cmp`, `bne`, `add`, `bx`) and 13 in a two-level one (`eor`, `umull`, `lsr`, `ldr`,
//! `ubfx` in place of `mul`, `add`, `ldrb`); a miss that fails the compare the same, a
//! misaligned address 4.

use std::ops::Range;

use super::layout::Layout;
use super::mphf::{bucket_count, is_direct, slot_bits};

/// The global symbol the generated code puts on its literal pool (at its end when it has
/// none): it marks `k_object_find` as this module's code.
pub const POOL_SYMBOL: &str = "k_object_find_pool";

/// The alignment mask of the first link's placeholder: only address 0 passes.
pub const PLACEHOLDER_MASK: u32 = u32::MAX;
/// The multiplier of the first link's placeholder.
pub const PLACEHOLDER_MUL: u32 = 0;

/// The lookup for one table: assembler text, the bytes it assembles to, the patch sites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupCode {
    /// GNU as lines (unified syntax), from the function's first instruction on.
    pub lines: Vec<String>,
    /// The function's bytes, given the address the pool's pointer word resolves to.
    pub bytes: Vec<u8>,
    /// Byte ranges that depend on the keys (mask, multiplier); everything else depends only
    /// on the count and the table's address.
    pub sites: Vec<Range<usize>>,
    /// Where [`POOL_SYMBOL`] is, from the function's start.
    pub pool: usize,
}

/// Whether `layout` is one this code serves: 4-byte little-endian addresses, 8-byte entries.
pub fn supports(layout: &Layout) -> bool {
    layout.pointer_bytes == 4 && !layout.big_endian && layout.entry_size() == 8
}

/// The Thumb-2 modified immediate (i:imm3:imm8) for an alignment mask: `2^k - 1` up to
/// `0xff`, or all ones. `None` for anything else.
pub fn mask_immediate(mask: u32) -> Option<u16> {
    if mask <= 0xff {
        Some(mask as u16)
    } else if mask == u32::MAX {
        Some(0b011 << 8 | 0xff)
    } else {
        None
    }
}

/// Why no code can be made for a table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("alignment mask {0:#x} is not a Thumb-2 `tst` immediate (2^k - 1 up to 0xff, or all ones)")]
    Mask(u32),
}

enum Item {
    /// A 16- or 32-bit instruction (halfwords in order) and its text.
    Insn(String, Vec<u16>),
    /// `bne.n` to the miss label.
    BneMiss,
    /// `ldrd r1, r2` from the pool.
    LdrdPool,
    Miss,
    Pool,
}

fn shift_fields(amount: u32) -> u16 {
    ((amount >> 2) as u16) << 12 | ((amount & 3) as u16) << 6
}

/// The lookup for a table of `count` objects laid out as `layout`, with alignment mask
/// `mask` and multiplier `mul`; `table_address` is where `k_object_table` is (0 when only the
/// text matters).
pub fn lookup(
    layout: &Layout,
    count: usize,
    mask: u32,
    mul: u32,
    table_address: u64,
) -> Result<LookupCode, CodeError> {
    let mut items = Vec::new();
    let insn = |text: String, hw: &[u16]| Item::Insn(text, hw.to_vec());
    let pointer_offset;
    if count == 0 {
        pointer_offset = None;
        items.push(insn("movs.n r0, #0".into(), &[0x2000]));
        items.push(insn("bx lr".into(), &[0x4770]));
        items.push(Item::Pool);
    } else {
        let imm = mask_immediate(mask).ok_or(CodeError::Mask(mask))?;
        let shift = 32 - bucket_count(count).trailing_zeros();
        let (i, imm3, imm8) = (imm >> 11 & 1, imm >> 8 & 7, imm & 0xff);
        items.push(insn(format!("tst.w r0, #{mask:#x}"), &[0xf010 | i << 10, imm3 << 12 | 0x0f00 | imm8]));
        items.push(Item::BneMiss);
        items.push(Item::LdrdPool);
        if is_direct(count) {
            pointer_offset = Some(layout.header_size());
            let bytes_at = (count * 8) as u16;
            items.push(insn("mul.w r1, r0, r1".into(), &[0xfb00, 0xf000 | 1 << 8 | 1]));
            items.push(insn(
                format!("add.w r3, r2, r1, lsr #{shift}"),
                &[0xeb02, shift_fields(shift) | 3 << 8 | 1 << 4 | 1],
            ));
            items.push(insn(format!("ldrb.w r3, [r3, #{bytes_at}]"), &[0xf893, 3 << 12 | bytes_at]));
            items.push(insn("ldr.w r1, [r2, r3, lsl #3]".into(), &[0xf852, 1 << 12 | 3 << 4 | 3]));
            items.push(insn("cmp.n r1, r0".into(), &[0x4281]));
            items.push(Item::BneMiss);
            items.push(insn("add.w r0, r2, r3, lsl #3".into(), &[0xeb02, 3 << 6 | 3]));
        } else {
            pointer_offset = Some(layout.buckets_offset(count));
            let bits = slot_bits(count) as u16;
            items.push(insn(
                "eor.w r3, r0, r0, lsr #16".into(),
                &[0xea80, shift_fields(16) | 3 << 8 | 1 << 4],
            ));
            items.push(insn("umull r3, r1, r3, r1".into(), &[0xfba3, 3 << 12 | 1 << 8 | 1]));
            items.push(insn(
                format!("lsr.w r3, r3, #{shift}"),
                &[0xea4f, shift_fields(shift) | 3 << 8 | 1 << 4 | 3],
            ));
            items.push(insn("ldr.w r2, [r2, r3, lsl #2]".into(), &[0xf852, 2 << 12 | 2 << 4 | 3]));
            items.push(insn(format!("ubfx r1, r1, #0, #{bits}"), &[0xf3c1, 1 << 8 | (bits - 1)]));
            items.push(insn("ldr.w r3, [r2, r1, lsl #3]".into(), &[0xf852, 3 << 12 | 3 << 4 | 1]));
            items.push(insn("cmp.n r3, r0".into(), &[0x4283]));
            items.push(Item::BneMiss);
            items.push(insn("add.w r0, r2, r1, lsl #3".into(), &[0xeb02, 3 << 6 | 1]));
        }
        items.push(insn("bx lr".into(), &[0x4770]));
        items.push(Item::Miss);
        items.push(insn("movs.n r0, #0".into(), &[0x2000]));
        items.push(insn("bx lr".into(), &[0x4770]));
        items.push(Item::Pool);
    }

    // Offsets: the function starts 4-byte aligned; the pool is 4-byte aligned.
    let size = |item: &Item| match item {
        Item::Insn(_, hw) => 2 * hw.len(),
        Item::BneMiss => 2,
        Item::LdrdPool => 4,
        Item::Miss => 0,
        Item::Pool => 0,
    };
    let mut at = 0usize;
    let (mut miss, mut pool) = (0usize, 0usize);
    for item in &items {
        match item {
            Item::Miss => miss = at,
            Item::Pool => {
                at = at.next_multiple_of(4);
                pool = at;
            }
            _ => {}
        }
        at += size(item);
    }

    let mut lines = Vec::new();
    let mut bytes = Vec::new();
    let mut sites = Vec::new();
    let push = |bytes: &mut Vec<u8>, hw: u16| bytes.extend(hw.to_le_bytes());
    for item in &items {
        let here = bytes.len();
        match item {
            Item::Insn(text, hw) => {
                if text.starts_with("tst.w") {
                    sites.push(here..here + 4);
                }
                lines.push(text.clone());
                hw.iter().for_each(|&h| push(&mut bytes, h));
            }
            Item::BneMiss => {
                lines.push("bne.n 1f".into());
                push(&mut bytes, 0xd100 | ((miss - (here + 4)) / 2) as u16);
            }
            Item::LdrdPool => {
                lines.push("ldrd r1, r2, 2f".into());
                let pc = (here + 4) & !3;
                push(&mut bytes, 0xe9df);
                push(&mut bytes, 1 << 12 | 2 << 8 | ((pool - pc) / 4) as u16);
            }
            Item::Miss => lines.push("1:".into()),
            Item::Pool => {
                lines.push(".p2align 2".into());
                bytes.resize(bytes.len().next_multiple_of(4), 0);
                lines.push(format!(".global {POOL_SYMBOL}"));
                lines.push(format!("{POOL_SYMBOL}:"));
                lines.push("2:".into());
                if let Some(offset) = pointer_offset {
                    sites.push(bytes.len()..bytes.len() + 4);
                    lines.push(format!(".word {mul:#010x}"));
                    bytes.extend(mul.to_le_bytes());
                    lines.push(format!(".word k_object_table + {offset}"));
                    bytes.extend(((table_address + offset as u64) as u32).to_le_bytes());
                }
            }
        }
    }
    Ok(LookupCode { lines, bytes, sites, pool })
}

/// Bytes of the lookup for `count` objects.
pub fn code_size(layout: &Layout, count: usize) -> usize {
    lookup(layout, count, 0, 0, 0).map_or(0, |c| c.bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARM: Layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: 6 };

    #[test]
    fn shapes_and_sites() {
        let empty = lookup(&ARM, 0, u32::MAX, 0, 0).unwrap();
        assert_eq!(empty.bytes, [0x00, 0x20, 0x70, 0x47]);
        assert!(empty.sites.is_empty());
        let direct = lookup(&ARM, 66, 7, 0x1234_5679, 0x1000).unwrap();
        assert_eq!(direct.bytes.len(), 48);
        assert_eq!(direct.sites, vec![0..4, 40..44]);
        assert_eq!(&direct.bytes[40..48], &[0x79, 0x56, 0x34, 0x12, 0x4c, 0x10, 0, 0]);
        let two_level = lookup(&ARM, 1000, 0, 3, 0x1000).unwrap();
        assert_eq!(two_level.bytes.len(), 56);
        assert_eq!(two_level.sites, vec![0..4, 48..52]);
        // Only the sites differ between the placeholder and the real table.
        let placeholder = lookup(&ARM, 66, PLACEHOLDER_MASK, PLACEHOLDER_MUL, 0x1000).unwrap();
        for (i, (a, b)) in placeholder.bytes.iter().zip(&direct.bytes).enumerate() {
            if !direct.sites.iter().any(|s| s.contains(&i)) {
                assert_eq!(a, b, "byte {i}");
            }
        }
        assert_eq!(lookup(&ARM, 3, 0x1ff, 1, 0), Err(CodeError::Mask(0x1ff)));
    }
}
