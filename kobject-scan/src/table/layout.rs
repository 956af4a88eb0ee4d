//! The object table as the target sees it: a header, one ROM entry per object in hash-slot
//! order, the pilots, and one RAM state per object.
//!
//! The layout is fixed by `kobject_table.h` (written by [`super::emit_c`]) and depends only on
//! the object count, the pointer size and the permission bytes, so a first link can reserve
//! exactly [`Layout::rom_size`] and [`Layout::ram_size`] bytes before any address is known.
//!
//! ```text
//! ROM  header   u32 magic, version, count, bucket_shift, key_mul, high_mul, mix_mul, slot_mul
//!               ptr pilots, entries, states
//!      entries  count × { ptr key; u32 data; u8 type; u8 flags; u16 reserved }
//!      pilots   buckets × u16
//! RAM  states   count × { u8 perms[perm_bytes]; u8 flags }
//! ```

use thiserror::Error;

use super::mphf::{bucket_count, BuildError, KeyWidth, Mphf};

/// "KOBT" read as a big-endian word: lets `inspect` tell a table from other bytes.
pub const MAGIC: u32 = 0x4b4f_4254;
/// Bumped whenever the layout changes, so a kernel and a tool from different versions refuse
/// each other's tables instead of misreading them.
pub const VERSION: u32 = 1;

/// Flag bits (`K_OBJ_FLAG_*` in the generated header).
pub const FLAG_INITIALIZED: u8 = 0x01;
pub const FLAG_PUBLIC: u8 = 0x02;
pub const FLAG_ALLOCATED: u8 = 0x04;
pub const FLAG_DRIVER: u8 = 0x08;

/// How the target lays out the table: pointer size, byte order, permission bytes per object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub pointer_bytes: u8,
    pub big_endian: bool,
    /// One permission bit per thread index: `max_threads / 8` rounded up.
    pub perm_bytes: u32,
}

impl Layout {
    pub fn key_width(&self) -> KeyWidth {
        if self.pointer_bytes == 8 {
            KeyWidth::Bits64
        } else {
            KeyWidth::Bits32
        }
    }

    fn ptr(&self) -> usize {
        usize::from(self.pointer_bytes)
    }

    pub fn header_size(&self) -> usize {
        8 * 4 + 3 * self.ptr()
    }

    pub fn entry_size(&self) -> usize {
        self.ptr() + 8
    }

    pub fn state_size(&self) -> usize {
        self.perm_bytes as usize + 1
    }

    /// Bytes of the ROM part for `count` objects.
    pub fn rom_size(&self, count: usize) -> usize {
        self.header_size() + count * self.entry_size() + 2 * bucket_count(count)
    }

    /// Bytes of the RAM part for `count` objects.
    pub fn ram_size(&self, count: usize) -> usize {
        count * self.state_size()
    }

    fn pilots_offset(&self, count: usize) -> usize {
        self.header_size() + count * self.entry_size()
    }
}

/// What the table records about one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableObject {
    pub address: u64,
    pub type_id: u8,
    /// Flags the object starts with (copied into its RAM state at boot).
    pub flags: u8,
    /// Thread index for threads, stack size for stacks, 0 otherwise.
    pub data: u32,
}

/// A built table: the hash and the objects in slot order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectTable {
    pub layout: Layout,
    pub mphf: Mphf,
    pub slots: Vec<TableObject>,
}

impl ObjectTable {
    pub fn build(objects: &[TableObject], layout: Layout) -> Result<Self, BuildError> {
        let keys: Vec<u64> = objects.iter().map(|o| o.address).collect();
        let mphf = Mphf::build(&keys, layout.key_width())?;
        let mut slots = objects.to_vec();
        for object in objects {
            if let Some(slot) = mphf.slot(object.address) {
                slots[slot] = *object;
            }
        }
        Ok(ObjectTable { layout, mphf, slots })
    }

    /// The object at `address`, found the way the kernel finds it.
    pub fn find(&self, address: u64) -> Option<&TableObject> {
        let object = self.slots.get(self.mphf.slot(address)?)?;
        (object.address == address).then_some(object)
    }

    /// The ROM bytes for a table placed at `rom_address` whose states live at `ram_address`.
    pub fn encode_rom(&self, rom_address: u64, ram_address: u64) -> Vec<u8> {
        let layout = self.layout;
        let count = self.slots.len();
        let mut w = Writer { out: Vec::with_capacity(layout.rom_size(count)), layout };
        for word in [
            MAGIC,
            VERSION,
            self.mphf.len,
            self.mphf.bucket_shift(),
            self.mphf.key_mul,
            self.mphf.high_mul,
            self.mphf.mix_mul,
            self.mphf.slot_mul,
        ] {
            w.u32(word);
        }
        w.ptr(rom_address + layout.pilots_offset(count) as u64);
        w.ptr(rom_address + layout.header_size() as u64);
        // An empty table has no states; C cannot name a zero-length array, so both say NULL.
        w.ptr(if count == 0 { 0 } else { ram_address });
        for object in &self.slots {
            w.ptr(object.address);
            w.u32(object.data);
            w.out.extend([object.type_id, object.flags, 0, 0]);
        }
        for &pilot in &self.mphf.pilots {
            w.u16(pilot);
        }
        w.out
    }

    /// Reads a table back from the ROM bytes at `rom_address`, checking every field the
    /// kernel relies on: a table that decodes is one the kernel would read the same way.
    pub fn decode_rom(bytes: &[u8], rom_address: u64, layout: Layout) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, at: 0, layout };
        let magic = r.u32()?;
        if magic != MAGIC {
            return Err(DecodeError::Magic(magic));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let count = r.u32()? as usize;
        let bucket_shift = r.u32()?;
        let [key_mul, high_mul, mix_mul, slot_mul] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        let expected_size = layout.rom_size(count);
        if bytes.len() < expected_size {
            return Err(DecodeError::Size { count, expected: expected_size, found: bytes.len() });
        }
        let buckets = bucket_count(count);
        if buckets.trailing_zeros() != 32 - bucket_shift {
            return Err(DecodeError::Field { field: "bucket_shift", value: u64::from(bucket_shift) });
        }
        let pilots_at = r.ptr()?;
        let entries_at = r.ptr()?;
        let _states_at = r.ptr()?;
        if pilots_at != rom_address + layout.pilots_offset(count) as u64 {
            return Err(DecodeError::Field { field: "pilots", value: pilots_at });
        }
        if entries_at != rom_address + layout.header_size() as u64 {
            return Err(DecodeError::Field { field: "entries", value: entries_at });
        }
        let mut slots = Vec::with_capacity(count);
        for _ in 0..count {
            let address = r.ptr()?;
            let data = r.u32()?;
            let [type_id, flags, _, _] = r.take::<4>()?;
            slots.push(TableObject { address, type_id, flags, data });
        }
        let mut pilots = Vec::with_capacity(buckets);
        for _ in 0..buckets {
            pilots.push(r.u16()?);
        }
        let mphf = Mphf {
            key_width: layout.key_width(),
            key_mul,
            high_mul,
            mix_mul,
            slot_mul,
            bucket_bits: buckets.trailing_zeros(),
            len: count as u32,
            pilots,
        };
        for (slot, object) in slots.iter().enumerate() {
            if mphf.slot(object.address) != Some(slot) {
                return Err(DecodeError::Misplaced { slot, address: object.address });
            }
        }
        Ok(ObjectTable { layout, mphf, slots })
    }
}

/// Why bytes are not a valid object table.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("no object table here: magic {0:#010x}, expected {MAGIC:#010x}")]
    Magic(u32),
    #[error("object table version {0}, this tool reads version {VERSION}")]
    Version(u32),
    #[error("a table of {count} objects needs {expected} bytes, the section has {found}")]
    Size { count: usize, expected: usize, found: usize },
    #[error("header field `{field}` holds {value:#x}, which does not match the table's layout")]
    Field { field: &'static str, value: u64 },
    #[error("the entry in slot {slot} (address {address:#x}) does not hash to that slot")]
    Misplaced { slot: usize, address: u64 },
    #[error("the table ends at byte {0}, inside a field")]
    Truncated(usize),
}

struct Writer {
    out: Vec<u8>,
    layout: Layout,
}

impl Writer {
    fn u16(&mut self, v: u16) {
        let b = if self.layout.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        self.out.extend(b);
    }

    fn u32(&mut self, v: u32) {
        let b = if self.layout.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        self.out.extend(b);
    }

    fn ptr(&mut self, v: u64) {
        if self.layout.pointer_bytes == 8 {
            let b = if self.layout.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            self.out.extend(b);
        } else {
            self.u32(v as u32);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    layout: Layout,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let end = self.at + N;
        let field = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated(self.at))?;
        self.at = end;
        let mut out = [0; N];
        out.copy_from_slice(field);
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take()?;
        Ok(if self.layout.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take()?;
        Ok(if self.layout.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    fn ptr(&mut self) -> Result<u64, DecodeError> {
        if self.layout.pointer_bytes == 8 {
            let b = self.take()?;
            Ok(if self.layout.big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
        } else {
            self.u32().map(u64::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARM: Layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4 };
    const PPC64: Layout = Layout { pointer_bytes: 8, big_endian: true, perm_bytes: 2 };

    fn objects(n: u64) -> Vec<TableObject> {
        (0..n)
            .map(|i| TableObject {
                address: 0x2000_0100 + i * 40,
                type_id: (i % 5) as u8 + 1,
                flags: (i % 2) as u8,
                data: i as u32,
            })
            .collect()
    }

    #[test]
    fn encoding_has_the_size_the_layout_promises_and_round_trips() {
        for layout in [ARM, PPC64] {
            for n in [0, 1, 2, 3, 17, 500] {
                let table = ObjectTable::build(&objects(n), layout).unwrap();
                let rom = table.encode_rom(0x1000, 0x2040_0000);
                assert_eq!(rom.len(), layout.rom_size(n as usize));
                let back = ObjectTable::decode_rom(&rom, 0x1000, layout).unwrap();
                assert_eq!(back, table);
                for o in objects(n) {
                    assert_eq!(back.find(o.address), Some(&o));
                    assert_eq!(back.find(o.address + 4), None);
                }
            }
        }
    }

    #[test]
    fn corrupted_tables_are_refused_not_misread() {
        let table = ObjectTable::build(&objects(50), ARM).unwrap();
        let rom = table.encode_rom(0x1000, 0x2040_0000);
        for cut in 0..rom.len() {
            assert!(ObjectTable::decode_rom(&rom[..cut], 0x1000, ARM).is_err(), "cut at {cut}");
        }
        let mut swapped = rom.clone();
        let e = ARM.header_size();
        swapped[e..e + 4].copy_from_slice(&rom[e + 12..e + 16]);
        assert!(matches!(
            ObjectTable::decode_rom(&swapped, 0x1000, ARM),
            Err(DecodeError::Misplaced { slot: 0, .. })
        ));
        assert_eq!(
            ObjectTable::decode_rom(&rom, 0x1004, ARM).unwrap_err(),
            DecodeError::Field { field: "pilots", value: 0x1000 + ARM.pilots_offset(50) as u64 }
        );
    }
}
