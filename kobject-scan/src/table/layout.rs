//! The object table as the target sees it: a header, one ROM entry per object in hash-slot
//! order, one entry pointer per hash bucket, the stack records, the type sizes, the initial
//! thread-index free map; in RAM one state per object and the live free map.
//!
//! The layout is fixed by `kobject_table.h` (written by [`super::emit_c`]) and depends only on
//! the object count, the stack count, the pointer size and what the manifest fixes (type count,
//! permission bytes), so a first link can reserve exactly [`Layout::rom_size`] and
//! [`Layout::ram_size`] bytes before any address is known.
//!
//! ```text
//! ROM  header   u32 magic, version, count, stack_count, type_count, perm_bytes,
//!                   align_mask, mul, high_mul, bucket_shift, slot_mask, reserved
//!               ptr buckets, entries, states, stacks, type_sizes, thread_free_init, thread_free
//!      entries  count × { ptr key; u16 data; u8 type; u8 flags } (padded to a power of two)
//!      buckets  direct (count <= 128, slot_mask 0): bucket_count(count) × u8 (the slot)
//!               two-level: bucket_count(count) × ptr (&entries[offset])
//!      stacks   stack_count × { ptr base; u32 size } (padded like entries)
//!      sizes    type_count × u32
//!      free     perm_bytes × u8 (bit n set: thread index n is free at boot)
//! RAM  states   count × { u8 perms[perm_bytes]; u8 flags }
//!      free     perm_bytes × u8
//! ```
//!
//! Empty arrays are NULL, except the entries of a table of no objects: they are the header
//! itself. Such a table rejects every key by construction: its alignment mask passes only
//! address 0, which reads the header's first word (the magic, not 0) as its key.

use thiserror::Error;

use super::mphf::{bucket_count, is_direct, BuildError, KeyWidth, Mphf};

/// "KOBT" read as a big-endian word: lets `inspect` tell a table from other bytes.
pub const MAGIC: u32 = 0x4b4f_4254;
/// Bumped whenever the layout changes, so a kernel and a tool from different versions refuse
/// each other's tables instead of misreading them.
pub const VERSION: u32 = 3;

/// Flag bits (`K_OBJ_FLAG_*` in the generated header).
pub const FLAG_INITIALIZED: u8 = 0x01;
pub const FLAG_PUBLIC: u8 = 0x02;
pub const FLAG_ALLOCATED: u8 = 0x04;
pub const FLAG_DRIVER: u8 = 0x08;

/// 32-bit words at the start of the header, before its pointers.
const HEADER_WORDS: usize = 12;
/// Pointers in the header.
const HEADER_POINTERS: usize = 7;

/// How the target lays out the table: pointer size, byte order, and what the manifest fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub pointer_bytes: u8,
    pub big_endian: bool,
    /// One permission bit per thread index: `max_threads / 8` rounded up.
    pub perm_bytes: u32,
    /// Type sizes stored: `K_OBJ_TYPE_COUNT`, the manifest's types plus `K_OBJ_ANY`.
    pub type_count: u32,
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
        HEADER_WORDS * 4 + HEADER_POINTERS * self.ptr()
    }

    /// A key and a 32-bit word, padded to a power of two so that indexing is one shift.
    pub fn entry_size(&self) -> usize {
        (self.ptr() + 4).next_power_of_two()
    }

    /// A base pointer and a 32-bit size, padded like an entry.
    pub fn stack_size(&self) -> usize {
        self.entry_size()
    }

    pub fn state_size(&self) -> usize {
        self.perm_bytes as usize + 1
    }

    /// Bytes of one bucket: a slot byte in a direct table, else a pointer.
    pub fn bucket_size(&self, count: usize) -> usize {
        if is_direct(count) {
            1
        } else {
            self.ptr()
        }
    }

    /// Where the buckets start, from the start of the ROM part.
    pub fn buckets_offset(&self, count: usize) -> usize {
        self.header_size() + count * self.entry_size()
    }

    fn stacks_offset(&self, count: usize) -> usize {
        // A direct table has at least 16 buckets, a power of two: pointers stay aligned.
        self.buckets_offset(count) + bucket_count(count) * self.bucket_size(count)
    }

    fn sizes_offset(&self, count: usize, stacks: usize) -> usize {
        self.stacks_offset(count) + stacks * self.stack_size()
    }

    fn free_offset(&self, count: usize, stacks: usize) -> usize {
        self.sizes_offset(count, stacks) + self.type_count as usize * 4
    }

    /// Bytes of the ROM part for `count` objects of which `stacks` are stacks.
    pub fn rom_size(&self, count: usize, stacks: usize) -> usize {
        self.free_offset(count, stacks) + self.perm_bytes as usize
    }

    /// Bytes of the RAM part for `count` objects.
    pub fn ram_size(&self, count: usize) -> usize {
        count * self.state_size() + self.perm_bytes as usize
    }
}

/// What the table records about one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableObject {
    pub address: u64,
    pub type_id: u8,
    /// Flags the object starts with (copied into its RAM state at boot).
    pub flags: u8,
    /// Thread index for threads, stack record index for stacks, 0 otherwise.
    pub data: u16,
}

/// One stack object: where it starts and how many bytes it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StackRecord {
    pub base: u64,
    pub size: u32,
}

/// Everything a table holds besides the hash, in the order the kernel sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    pub objects: Vec<TableObject>,
    /// Indexed by the data word of stack objects.
    pub stacks: Vec<StackRecord>,
    /// Indexed by type id; `type_count` long.
    pub type_sizes: Vec<u32>,
    /// Bit `n` set: thread index `n` is free at boot; `perm_bytes` long.
    pub thread_free: Vec<u8>,
}

impl Contents {
    /// Objects alone, with zero type sizes and no free thread index: for tests and benchmarks.
    pub fn objects(objects: Vec<TableObject>, layout: &Layout) -> Self {
        Contents {
            objects,
            stacks: Vec::new(),
            type_sizes: vec![0; layout.type_count as usize],
            thread_free: vec![0; layout.perm_bytes as usize],
        }
    }
}

/// A built table: the hash, the objects in slot order, and the rest of its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectTable {
    pub layout: Layout,
    pub mphf: Mphf,
    /// Keys with any of these bits set are rejected before hashing: the low bits every object
    /// address has clear (all bits for a table of no objects, which admits only address 0).
    pub align_mask: u32,
    /// Objects in slot order.
    pub slots: Vec<TableObject>,
    pub stacks: Vec<StackRecord>,
    pub type_sizes: Vec<u32>,
    pub thread_free: Vec<u8>,
}

/// The most low bits the alignment test looks at: its mask is a Thumb-2 `tst` immediate.
pub const ALIGN_BITS_MAX: u32 = 8;

/// The alignment mask for `keys`: the low zero bits they share, at most [`ALIGN_BITS_MAX`]
/// (all bits for no keys).
pub fn align_mask(keys: impl Iterator<Item = u64>) -> u32 {
    let mut any = false;
    let ored = keys.fold(0u64, |acc, k| {
        any = true;
        acc | k
    });
    if !any {
        return u32::MAX;
    }
    let zeros = ored.trailing_zeros().min(ALIGN_BITS_MAX);
    (1u32 << zeros) - 1
}

impl ObjectTable {
    pub fn build(contents: Contents, layout: Layout) -> Result<Self, BuildError> {
        let keys: Vec<u64> = contents.objects.iter().map(|o| o.address).collect();
        let mphf = Mphf::build(&keys, layout.key_width())?;
        let mut slots = contents.objects.clone();
        for object in &contents.objects {
            if let Some(slot) = mphf.slot(object.address) {
                slots[slot] = *object;
            }
        }
        let mut type_sizes = contents.type_sizes;
        type_sizes.resize(layout.type_count as usize, 0);
        let mut thread_free = contents.thread_free;
        thread_free.resize(layout.perm_bytes as usize, 0);
        Ok(ObjectTable {
            layout,
            align_mask: align_mask(keys.iter().copied()),
            mphf,
            slots,
            stacks: contents.stacks,
            type_sizes,
            thread_free,
        })
    }

    /// The object at `address`, found the way the kernel finds it.
    pub fn find(&self, address: u64) -> Option<&TableObject> {
        if address as u32 & self.align_mask != 0 {
            return None;
        }
        let object = self.slots.get(self.mphf.slot(address)?)?;
        (object.address == address).then_some(object)
    }

    /// The ROM bytes for a table placed at `rom_address` whose RAM part is at `ram_address`.
    pub fn encode_rom(&self, rom_address: u64, ram_address: u64) -> Vec<u8> {
        let layout = self.layout;
        let (count, stacks) = (self.slots.len(), self.stacks.len());
        let mut w = Writer { out: Vec::with_capacity(layout.rom_size(count, stacks)), layout };
        let m = &self.mphf;
        for word in [
            MAGIC,
            VERSION,
            count as u32,
            stacks as u32,
            layout.type_count,
            layout.perm_bytes,
            self.align_mask,
            m.mul,
            m.high_mul,
            m.bucket_shift(),
            m.slot_mask(),
            0,
        ] {
            w.u32(word);
        }
        let at = |offset: usize| rom_address + offset as u64;
        let nonempty = |n: usize, address: u64| if n == 0 { 0 } else { address };
        let thread_free_ram = ram_address + (count * layout.state_size()) as u64;
        for pointer in [
            at(layout.buckets_offset(count)),
            if count == 0 { rom_address } else { at(layout.header_size()) },
            nonempty(count, ram_address),
            nonempty(stacks, at(layout.stacks_offset(count))),
            nonempty(layout.type_count as usize, at(layout.sizes_offset(count, stacks))),
            nonempty(layout.perm_bytes as usize, at(layout.free_offset(count, stacks))),
            nonempty(layout.perm_bytes as usize, thread_free_ram),
        ] {
            w.ptr(pointer);
        }
        for object in &self.slots {
            w.ptr(object.address);
            w.u16(object.data);
            w.out.extend([object.type_id, object.flags]);
            w.pad(layout.entry_size() - layout.ptr() - 4);
        }
        for &offset in &m.offsets {
            if m.direct {
                w.out.push(offset as u8);
            } else {
                w.ptr(at(layout.header_size()) + u64::from(offset) * layout.entry_size() as u64);
            }
        }
        for stack in &self.stacks {
            w.ptr(stack.base);
            w.u32(stack.size);
            w.pad(layout.stack_size() - layout.ptr() - 4);
        }
        for &size in &self.type_sizes {
            w.u32(size);
        }
        w.out.extend(&self.thread_free);
        w.out
    }

    /// Reads a table back from the ROM bytes at `rom_address`, checking every field the kernel
    /// relies on: a table that decodes is one the kernel would read the same way, and every
    /// bucket pointer keeps every lookup inside the entries. The header gives the counts;
    /// `target` gives the pointer size and byte order (its other fields are ignored).
    pub fn decode_rom(bytes: &[u8], rom_address: u64, target: Layout) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, at: 0, layout: target };
        let magic = r.u32()?;
        if magic != MAGIC {
            return Err(DecodeError::Magic(magic));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let [count, stack_count, type_count, perm_bytes] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        let [align_mask, mul, high_mul, bucket_shift, slot_mask, reserved] =
            [r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        let layout = Layout { perm_bytes, type_count, ..target };
        let (count, stacks) = (count as usize, stack_count as usize);
        // Counts from a corrupt header must not drive allocations: check the size first.
        let expected = layout.rom_size(count, stacks);
        if bytes.len() < expected {
            return Err(DecodeError::Size { count, expected, found: bytes.len() });
        }
        let buckets = bucket_count(count);
        if bucket_shift != 32 - buckets.trailing_zeros() {
            return Err(DecodeError::Field { field: "bucket_shift", value: u64::from(bucket_shift) });
        }
        let slot_bits = super::mphf::slot_bits(count);
        if slot_mask != (1u32 << slot_bits) - 1 {
            return Err(DecodeError::Field { field: "slot_mask", value: u64::from(slot_mask) });
        }
        let direct = is_direct(count);
        if reserved != 0 {
            return Err(DecodeError::Field { field: "reserved", value: u64::from(reserved) });
        }
        let at = |offset: usize| rom_address + offset as u64;
        let nonempty = |n: usize, address: u64| if n == 0 { 0 } else { address };
        let mut expect = |field: &'static str, expected: Option<u64>| -> Result<u64, DecodeError> {
            let value = r.ptr()?;
            match expected {
                Some(e) if e != value => Err(DecodeError::Field { field, value }),
                _ => Ok(value),
            }
        };
        expect("buckets", Some(at(layout.buckets_offset(count))))?;
        expect("entries", Some(if count == 0 { rom_address } else { at(layout.header_size()) }))?;
        let states = expect("states", (count == 0).then_some(0))?;
        expect("stacks", Some(nonempty(stacks, at(layout.stacks_offset(count)))))?;
        expect("type_sizes", Some(nonempty(type_count as usize, at(layout.sizes_offset(count, stacks)))))?;
        expect(
            "thread_free_init",
            Some(nonempty(perm_bytes as usize, at(layout.free_offset(count, stacks)))),
        )?;
        // The RAM free map follows the states; with no states, it is wherever the RAM part is.
        let free_expected = match (perm_bytes, count) {
            (0, _) => Some(0),
            (_, 0) => None,
            _ => Some(states + (count * layout.state_size()) as u64),
        };
        let free = expect("thread_free", free_expected)?;
        if perm_bytes != 0 && free == 0 {
            return Err(DecodeError::Field { field: "thread_free", value: 0 });
        }

        let mut slots = Vec::with_capacity(count);
        for _ in 0..count {
            let address = r.ptr()?;
            let data = r.u16()?;
            let [type_id, flags] = r.take::<2>()?;
            r.skip(layout.entry_size() - layout.ptr() - 4)?;
            slots.push(TableObject { address, type_id, flags, data });
        }
        let entries_at = at(layout.header_size());
        let entry_size = layout.entry_size() as u64;
        let max_offset = (count as u64).saturating_sub(1 << slot_bits);
        let mut offsets = Vec::with_capacity(buckets);
        for bucket in 0..buckets {
            if direct {
                let [slot] = r.take::<1>()?;
                if u64::from(slot) > max_offset {
                    return Err(DecodeError::Bucket { bucket, pointer: u64::from(slot) });
                }
                offsets.push(u32::from(slot));
                continue;
            }
            let pointer = r.ptr()?;
            let offset = {
                pointer
                    .checked_sub(entries_at)
                    .filter(|d| d % entry_size == 0 && d / entry_size <= max_offset)
                    .map(|d| d / entry_size)
            };
            let offset = offset.ok_or(DecodeError::Bucket { bucket, pointer })?;
            offsets.push(offset as u32);
        }
        let mut stack_records = Vec::with_capacity(stacks);
        for _ in 0..stacks {
            let base = r.ptr()?;
            let size = r.u32()?;
            r.skip(layout.stack_size() - layout.ptr() - 4)?;
            stack_records.push(StackRecord { base, size });
        }
        let mut type_sizes = Vec::with_capacity(type_count as usize);
        for _ in 0..type_count {
            type_sizes.push(r.u32()?);
        }
        let thread_free = r.bytes(perm_bytes as usize)?.to_vec();

        let mphf = Mphf {
            key_width: layout.key_width(),
            direct,
            mul,
            high_mul,
            bucket_bits: buckets.trailing_zeros(),
            slot_bits,
            len: count as u32,
            offsets,
        };
        let table =
            ObjectTable { layout, mphf, align_mask, slots, stacks: stack_records, type_sizes, thread_free };
        let expected_mask = align_mask_of(&table.slots);
        if align_mask & !expected_mask != 0 {
            return Err(DecodeError::Field { field: "align_mask", value: u64::from(align_mask) });
        }
        for (slot, object) in table.slots.iter().enumerate() {
            if table.mphf.slot(object.address) != Some(slot) {
                return Err(DecodeError::Misplaced { slot, address: object.address });
            }
        }
        Ok(table)
    }
}

/// The widest alignment mask a table of `objects` may use (a narrower one only costs speed).
fn align_mask_of(objects: &[TableObject]) -> u32 {
    align_mask(objects.iter().map(|o| o.address))
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
    #[error("bucket {bucket} holds {pointer:#x}, which lets a lookup leave the entries")]
    Bucket { bucket: usize, pointer: u64 },
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

    fn pad(&mut self, n: usize) {
        self.out.resize(self.out.len() + n, 0);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    layout: Layout,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Truncated(self.at))?;
        let field = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated(self.at))?;
        self.at = end;
        Ok(field)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
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

    const ARM: Layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: 6 };
    const PPC64: Layout = Layout { pointer_bytes: 8, big_endian: true, perm_bytes: 2, type_count: 3 };

    fn contents(n: u64, layout: &Layout) -> Contents {
        let objects = (0..n)
            .map(|i| TableObject {
                address: 0x2000_0100 + i * 40,
                type_id: (i % 5) as u8 + 1,
                flags: (i % 2) as u8,
                data: (i % 3) as u16,
            })
            .collect();
        let mut c = Contents::objects(objects, layout);
        c.stacks = (0..n.min(3)).map(|i| StackRecord { base: 0x2000_0100 + i * 40, size: 40 }).collect();
        c.type_sizes = (0..layout.type_count).map(|t| t * 8).collect();
        c.thread_free = (0..layout.perm_bytes).map(|b| 0xf0 | b as u8).collect();
        c
    }

    #[test]
    fn encoding_has_the_size_the_layout_promises_and_round_trips() {
        for layout in [ARM, PPC64] {
            for n in [0, 1, 2, 3, 17, 500] {
                let c = contents(n, &layout);
                let table = ObjectTable::build(c.clone(), layout).unwrap();
                let rom = table.encode_rom(0x1000, 0x2040_0000);
                assert_eq!(rom.len(), layout.rom_size(n as usize, c.stacks.len()));
                let back = ObjectTable::decode_rom(&rom, 0x1000, layout).unwrap();
                assert_eq!(back, table);
                for o in &c.objects {
                    assert_eq!(back.find(o.address), Some(o));
                    assert_eq!(back.find(o.address + 4), None);
                    assert_eq!(back.find(o.address + 1), None);
                }
                assert_eq!(back.find(0), None);
            }
        }
    }

    #[test]
    fn empty_table_rejects_everything() {
        let table = ObjectTable::build(contents(0, &ARM), ARM).unwrap();
        assert_eq!(table.align_mask, u32::MAX);
        for key in [0, 4, 0x2000_0000, u64::from(MAGIC)] {
            assert_eq!(table.find(key), None);
        }
    }

    #[test]
    fn align_mask_is_the_shared_low_zero_bits() {
        assert_eq!(align_mask([0x2000_0010u64, 0x2000_0018].into_iter()), 0x7);
        assert_eq!(align_mask([0x2000_0011u64].into_iter()), 0);
        assert_eq!(align_mask(std::iter::empty()), u32::MAX);
        assert_eq!(align_mask([1u64 << 40].into_iter()), 0xff);
        assert_eq!(align_mask([0x2000_0000u64, 0x2000_0400].into_iter()), 0xff);
    }

    #[test]
    fn corrupted_tables_are_refused_not_misread() {
        // A direct table and a two-level one.
        for n in [50usize, 300] {
            let table = ObjectTable::build(contents(n as u64, &ARM), ARM).unwrap();
            assert_eq!(table.mphf.direct, n <= 128);
            let rom = table.encode_rom(0x1000, 0x2040_0000);
            for cut in 0..rom.len() {
                assert!(ObjectTable::decode_rom(&rom[..cut], 0x1000, ARM).is_err(), "cut at {cut}");
            }
            let e = ARM.header_size();
            let mut swapped = rom.clone();
            swapped[e..e + 4].copy_from_slice(&rom[e + 8..e + 12]);
            swapped[e + 8..e + 12].copy_from_slice(&rom[e..e + 4]);
            assert!(matches!(
                ObjectTable::decode_rom(&swapped, 0x1000, ARM),
                Err(DecodeError::Misplaced { .. })
            ));
            assert_eq!(
                ObjectTable::decode_rom(&rom, 0x1004, ARM).unwrap_err(),
                DecodeError::Field { field: "buckets", value: 0x1000 + ARM.buckets_offset(n) as u64 }
            );
            // A bucket past the last valid offset would let a lookup read beyond the entries.
            let b = ARM.buckets_offset(n);
            let mut escaping = rom.clone();
            if table.mphf.direct {
                escaping[b] = n as u8;
            } else {
                let past = 0x1000 + e + (table.mphf.max_offset() as usize + 1) * ARM.entry_size();
                escaping[b..b + 4].copy_from_slice(&(past as u32).to_le_bytes());
            }
            assert!(matches!(
                ObjectTable::decode_rom(&escaping, 0x1000, ARM),
                Err(DecodeError::Bucket { bucket: 0, .. })
            ));
            // A mask wider than the objects' alignment would hide objects.
            let mut masked = rom.clone();
            masked[24..28].copy_from_slice(&0xffu32.to_le_bytes());
            assert!(matches!(
                ObjectTable::decode_rom(&masked, 0x1000, ARM),
                Err(DecodeError::Field { field: "align_mask", .. })
            ));
            // The structure must be the one the count implies.
            let mut shape = rom.clone();
            shape[40] ^= 1;
            assert!(matches!(
                ObjectTable::decode_rom(&shape, 0x1000, ARM),
                Err(DecodeError::Field { field: "slot_mask", .. })
            ));
        }
    }
}
