//! A minimal perfect hash over object addresses, shaped so that the Cortex-M3 lookup is as
//! short as it can be: one multiply, one bucket load, one key compare.
//!
//! Every key maps to a distinct slot in `0..N` (no holes), so the table the kernel indexes has
//! exactly one entry per object. Two shapes, chosen by `N` alone (so a table's size is known
//! before its keys are):
//!
//! ```text
//! x      = lo(key) [^ hi(key) * high_mul  on 64-bit targets]
//! direct (N <= DIRECT_MAX):     h = x * mul (mod 2^32)    // multiply-shift hashing
//!                               slot = offset[h >> (32 - bucket_bits)]   (a byte per bucket)
//! two-level (larger N):         x = x ^ (x >> 16)          // high address bits reach hi(p)'s
//!                               p = x * mul                // 64-bit product    low bits
//!                               slot = offset[lo(p) >> (32 - bucket_bits)]
//!                                      + (hi(p) & (2^slot_bits - 1))
//! ```
//!
//! **Direct.** Up to [`DIRECT_MAX`] keys, the multiplier is chosen so that no two keys share a
//! bucket: with at least 4N buckets and at least N²/16 of them (a power of two), a random odd
//! multiplier does that with probability above 1/5000 (far above for most N), and the search
//! tries up to [`DIRECT_ATTEMPTS`]. Each bucket holds its key's slot in one byte (empty buckets
//! hold 0: the key compare rejects whatever lands there), so the lookup has no in-bucket offset
//! to extract, and the slots follow the keys' address order.
//!
//! **Two-level.** Each bucket's keys keep their in-bucket offsets `hi(p) & mask`; building chooses where the
//! bucket starts (`offset`) so that all its keys land on free slots. `offset` never exceeds
//! `N - 2^slot_bits`, so any address, object or not, reads a slot inside the table: the kernel
//! stores `&entries[offset]` per bucket and adds the offset scaled by the entry size, with no
//! bounds check. The in-bucket offset range is the largest power of two up to `N / 2`, the
//! bucket count the smallest power of two from `N`, so two keys of one bucket rarely share an
//! offset; when they do, or when the buckets do not tile the slots, other multipliers are tried.
//!
//! Building places the buckets that reach the first and last slots first (only keys with
//! offset 0 reach slot 0, only keys with the largest offset reach slot `N - 1`), then the other
//! multi-key buckets largest first from a pseudo-random start, evicting smaller ones when none
//! fits (as in cuckoo hashing), then the single-key buckets, which can go anywhere their offset
//! allows, by earliest deadline.
//!
//! In both shapes the bucket and offset counts depend only on `N`, so the first link can
//! reserve exactly the space the final table takes. Multipliers come from a fixed seed
//! sequence, so the same keys always give the same table.

use thiserror::Error;

/// How many multipliers are tried before giving up. Each try succeeds with high probability;
/// failing all of them means the keys are not distinct after hashing.
const MAX_ATTEMPTS: u64 = 256;

/// The first seed of the multiplier sequence: fixed so that output is reproducible.
const SEED: u64 = 0x5245_5452_4f46_4954;

/// Slots at each end of the table that are covered with multi-key buckets before anything
/// else: the outermost slots can be reached by few keys, and single keys cannot cover them all.
const EDGE_SLOTS: usize = 32;

/// Start positions a multi-key bucket tries before it evicts others.
const PLACEMENT_TRIES: usize = 1024;

/// The most keys a direct table (one key per bucket, a byte per bucket) holds.
pub const DIRECT_MAX: usize = 128;

/// Multipliers a direct table tries before giving up. The worst `N` succeeds on each with
/// probability about 1/5000; failing all of them is as likely as 2^-75.
pub const DIRECT_ATTEMPTS: u64 = 1 << 18;

/// Why no table could be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BuildError {
    #[error("key {0:#x} appears twice; an object table needs distinct addresses")]
    DuplicateKey(u64),
    #[error("key {key:#x} does not fit in a {bits}-bit address")]
    KeyTooWide { key: u64, bits: u32 },
    #[error("{0} keys: more than a 32-bit slot index can hold")]
    TooManyKeys(usize),
    #[error("no perfect hash found for {keys} keys after {attempts} multipliers")]
    NotFound { keys: usize, attempts: u64 },
}

/// Width of the target's addresses, which decides how a key is folded to 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyWidth {
    Bits32,
    Bits64,
}

/// The parameters of a built hash: everything the lookup needs besides the keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mphf {
    pub key_width: KeyWidth,
    /// One key per bucket, no in-bucket offset (`slot_bits` is 0): see the module docs.
    pub direct: bool,
    pub mul: u32,
    /// Multiplier for the high half of 64-bit keys; unused for 32-bit keys.
    pub high_mul: u32,
    /// log2 of the bucket count (a power of two, so the bucket is a shift of the hash).
    pub bucket_bits: u32,
    /// log2 of the in-bucket offset range.
    pub slot_bits: u32,
    pub len: u32,
    /// Per bucket, the slot its in-bucket offsets count from; at most `len - 2^slot_bits`.
    pub offsets: Vec<u32>,
}

/// Whether a table of `n` keys is direct (one key per bucket).
pub fn is_direct(n: usize) -> bool {
    n <= DIRECT_MAX
}

/// The bucket count for `n` keys, a power of two. Direct: at least 16, 4N and N²/16 (at most
/// 1024); two-level: at least `n`.
pub fn bucket_count(n: usize) -> usize {
    if is_direct(n) {
        (n * n).div_ceil(16).max(4 * n).max(16).next_power_of_two()
    } else {
        n.next_power_of_two()
    }
}

/// log2 of the in-bucket offset range for `n` keys: 0 for a direct table, else the largest
/// power of two up to `n / 2`.
pub fn slot_bits(n: usize) -> u32 {
    if is_direct(n) {
        0
    } else {
        (n / 2).ilog2()
    }
}

impl Mphf {
    /// Builds a minimal perfect hash for `keys`. The order of `keys` does not matter.
    pub fn build(keys: &[u64], key_width: KeyWidth) -> Result<Self, BuildError> {
        let n = keys.len();
        let len = u32::try_from(n).map_err(|_| BuildError::TooManyKeys(n))?;
        if key_width == KeyWidth::Bits32 {
            if let Some(&key) = keys.iter().find(|&&k| k > u64::from(u32::MAX)) {
                return Err(BuildError::KeyTooWide { key, bits: 32 });
            }
        }
        // Placing keys in sorted order makes the result independent of the caller's order.
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(BuildError::DuplicateKey(pair[0]));
        }

        let mut seeds = SplitMix(SEED);
        if is_direct(n) {
            return Self::build_direct(&sorted, key_width, &mut seeds);
        }
        let mut search = Search::new(n);
        for _ in 0..MAX_ATTEMPTS {
            let mut candidate = Mphf {
                key_width,
                direct: false,
                mul: seeds.next_odd(),
                high_mul: if key_width == KeyWidth::Bits64 { seeds.next_odd() } else { 0 },
                bucket_bits: bucket_count(n).trailing_zeros(),
                slot_bits: slot_bits(n),
                len,
                offsets: vec![0; bucket_count(n)],
            };
            if n == 0 || search.place(&mut candidate, &sorted) {
                return Ok(candidate);
            }
        }
        Err(BuildError::NotFound { keys: n, attempts: MAX_ATTEMPTS })
    }

    /// A direct table for `sorted` (distinct, ascending, at most [`DIRECT_MAX`]): the first
    /// multiplier that puts every key in a bucket of its own; slots in key order.
    fn build_direct(sorted: &[u64], key_width: KeyWidth, seeds: &mut SplitMix) -> Result<Self, BuildError> {
        let n = sorted.len();
        let buckets = bucket_count(n);
        let mut candidate = Mphf {
            key_width,
            direct: true,
            mul: 1,
            high_mul: 0,
            bucket_bits: buckets.trailing_zeros(),
            slot_bits: 0,
            len: n as u32,
            offsets: vec![0; buckets],
        };
        // One bit per bucket; cleared per attempt by undoing the bits set.
        let mut taken = vec![0u64; buckets.div_ceil(64)];
        let mut set = Vec::with_capacity(n);
        for _ in 0..DIRECT_ATTEMPTS {
            candidate.mul = seeds.next_odd();
            if key_width == KeyWidth::Bits64 {
                candidate.high_mul = seeds.next_odd();
            }
            let mut clash = false;
            for &key in sorted {
                let b = candidate.hash(key).0;
                let (word, bit) = (b / 64, 1u64 << (b % 64));
                if taken[word] & bit != 0 {
                    clash = true;
                    break;
                }
                taken[word] |= bit;
                set.push(b);
            }
            for b in set.drain(..) {
                taken[b / 64] = 0;
            }
            if !clash {
                candidate.offsets.iter_mut().for_each(|o| *o = 0);
                for (slot, &key) in sorted.iter().enumerate() {
                    let b = candidate.hash(key).0;
                    candidate.offsets[b] = slot as u32;
                }
                return Ok(candidate);
            }
        }
        Err(BuildError::NotFound { keys: n, attempts: DIRECT_ATTEMPTS })
    }

    /// A key folded to 32 bits, its high bits mixed into the low half. (No further mixing:
    /// the top bits of `lo(x * mul)` depend on every bit of `x`.)
    #[inline]
    pub fn fold(&self, key: u64) -> u32 {
        let mut x = key as u32;
        if self.key_width == KeyWidth::Bits64 {
            x ^= ((key >> 32) as u32).wrapping_mul(self.high_mul);
        }
        x
    }

    /// The shift that leaves a hash's top `bucket_bits` bits: the bucket index.
    pub fn bucket_shift(&self) -> u32 {
        32 - self.bucket_bits
    }

    /// The mask that leaves the in-bucket offset of a hash's high word.
    pub fn slot_mask(&self) -> u32 {
        (1u32 << self.slot_bits) - 1
    }

    /// A key's bucket and in-bucket offset.
    #[inline]
    fn hash(&self, key: u64) -> (usize, u32) {
        let x = self.fold(key);
        if self.direct {
            return ((x.wrapping_mul(self.mul) >> self.bucket_shift()) as usize, 0);
        }
        let p = u64::from(x ^ (x >> 16)) * u64::from(self.mul);
        (((p as u32) >> self.bucket_shift()) as usize, (p >> 32) as u32 & self.slot_mask())
    }

    /// The slot of `key`: for a key the table was built from, its unique index in `0..N`;
    /// for any other key, some index whose stored key must be compared. `None` when `N == 0`.
    #[inline]
    pub fn slot(&self, key: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let (bucket, offset) = self.hash(key);
        Some((self.offsets[bucket] + offset) as usize)
    }

    /// The largest valid bucket offset: every in-bucket offset from it stays inside the table.
    pub fn max_offset(&self) -> u32 {
        self.len.saturating_sub(1 << self.slot_bits)
    }
}

/// A slot nobody owns yet.
const FREE: u32 = u32::MAX;

/// Scratch space reused across attempts.
struct Search {
    /// In-bucket offsets grouped by bucket, ascending within one; bucket `b` owns
    /// `grouped[starts[b]..starts[b + 1]]`.
    grouped: Vec<u32>,
    starts: Vec<usize>,
    /// Which bucket owns each slot.
    owner: Vec<u32>,
    /// Where each placed bucket starts, or [`FREE`].
    placed: Vec<u32>,
}

impl Search {
    fn new(n: usize) -> Self {
        Search { grouped: vec![0; n], starts: Vec::new(), owner: vec![FREE; n], placed: Vec::new() }
    }

    fn members(&self, bucket: usize) -> &[u32] {
        &self.grouped[self.starts[bucket]..self.starts[bucket + 1]]
    }

    fn fits(&self, bucket: usize, offset: u32) -> bool {
        self.members(bucket).iter().all(|&g| self.owner[(offset + g) as usize] == FREE)
    }

    fn put(&mut self, bucket: usize, offset: u32) {
        for i in self.starts[bucket]..self.starts[bucket + 1] {
            self.owner[(offset + self.grouped[i]) as usize] = bucket as u32;
        }
        self.placed[bucket] = offset;
    }

    fn take(&mut self, bucket: usize) {
        let offset = self.placed[bucket];
        for i in self.starts[bucket]..self.starts[bucket + 1] {
            self.owner[(offset + self.grouped[i]) as usize] = FREE;
        }
        self.placed[bucket] = FREE;
    }

    /// Tries to give every bucket an offset; `false` asks for another multiplier.
    fn place(&mut self, mphf: &mut Mphf, keys: &[u64]) -> bool {
        let buckets = mphf.offsets.len();
        let n = keys.len();
        // Counting sort by bucket: linear, and the bucket ranges fall out of it.
        self.starts.clear();
        self.starts.resize(buckets + 1, 0);
        for &key in keys {
            self.starts[mphf.hash(key).0 + 1] += 1;
        }
        for b in 0..buckets {
            self.starts[b + 1] += self.starts[b];
        }
        let mut fill = self.starts.clone();
        for &key in keys {
            let (b, g) = mphf.hash(key);
            self.grouped[fill[b]] = g;
            fill[b] += 1;
        }
        for b in 0..buckets {
            let members = &mut self.grouped[self.starts[b]..self.starts[b + 1]];
            members.sort_unstable();
            // Two keys of one bucket with one offset collide wherever the bucket goes.
            if members.windows(2).any(|w| w[0] == w[1]) {
                return false;
            }
        }
        self.owner.iter_mut().for_each(|o| *o = FREE);
        self.placed.clear();
        self.placed.resize(buckets, FREE);

        let size = |s: &Self, b: usize| s.starts[b + 1] - s.starts[b];
        self.cover_edges(mphf, n);
        let mut rng = SplitMix(u64::from(mphf.mul));
        // Largest last, so that `pop` takes the largest; ties by bucket index.
        let mut queue: Vec<usize> =
            (0..buckets).filter(|&b| size(self, b) >= 2 && self.placed[b] == FREE).collect();
        queue.sort_by_key(|&b| (size(self, b), std::cmp::Reverse(b)));
        if !self.place_multis(mphf, &mut queue, &mut rng) {
            return false;
        }
        if !self.place_singles(mphf, n) {
            return false;
        }
        for (b, offset) in mphf.offsets.iter_mut().enumerate() {
            // An empty bucket may start anywhere valid.
            *offset = if self.placed[b] == FREE { 0 } else { self.placed[b] };
        }
        true
    }

    /// Covers the outermost slots with multi-key buckets whose offsets reach them.
    fn cover_edges(&mut self, mphf: &Mphf, n: usize) {
        let span = 1usize << mphf.slot_bits;
        let max_offset = mphf.max_offset() as usize;
        let zone = EDGE_SLOTS.min(n / 2);
        // Keys of multi-key buckets whose offsets can reach the edge zones.
        let mut reach: Vec<(u32, usize)> = Vec::new();
        for b in 0..mphf.offsets.len() {
            if self.starts[b + 1] - self.starts[b] >= 2 {
                for &g in self.members(b) {
                    if (g as usize) <= zone || g as usize + zone + 1 >= span {
                        reach.push((g, b));
                    }
                }
            }
        }
        reach.sort_unstable();
        for j in 0..zone {
            for slot in [j, n - 1 - j] {
                if self.owner[slot] != FREE {
                    continue;
                }
                let (low, high) = (slot.saturating_sub(max_offset) as u32, slot.min(span - 1) as u32);
                let from = reach.partition_point(|&(g, _)| g < low);
                let to = reach.partition_point(|&(g, _)| g <= high);
                let found = reach[from..to]
                    .iter()
                    .rev()
                    .find(|&&(g, b)| self.placed[b] == FREE && self.fits(b, slot as u32 - g));
                if let Some(&(g, b)) = found {
                    self.put(b, slot as u32 - g);
                }
            }
        }
    }

    /// Places multi-key buckets from the queue, each at the first fitting offset after a
    /// pseudo-random start, or else where it evicts the fewest keys of smaller buckets.
    fn place_multis(&mut self, mphf: &Mphf, queue: &mut Vec<usize>, rng: &mut SplitMix) -> bool {
        let positions = mphf.max_offset() as usize + 1;
        let tries = positions.min(PLACEMENT_TRIES);
        let mut evictions = 0;
        let mut last = usize::MAX;
        while let Some(bucket) = queue.pop() {
            let size = self.members(bucket).len();
            let start = rng.next_u64() as usize % positions;
            let mut best: Option<(usize, u32)> = None;
            let mut found = None;
            for i in 0..tries {
                let offset = ((start + i) % positions) as u32;
                let mut cost = 0;
                for &g in self.members(bucket) {
                    let owner = self.owner[(offset + g) as usize];
                    if owner == FREE {
                        continue;
                    }
                    let other = self.members(owner as usize).len();
                    // Larger buckets stay; so does the one just placed, or two could swap forever.
                    if other > size || owner as usize == last {
                        cost = usize::MAX;
                        break;
                    }
                    cost += other * other;
                }
                if cost == 0 {
                    found = Some(offset);
                    break;
                }
                if best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, offset));
                }
            }
            let offset = match (found, best) {
                (Some(offset), _) => offset,
                (None, Some((cost, offset))) if cost != usize::MAX => {
                    evictions += 1;
                    if evictions > self.owner.len() {
                        return false;
                    }
                    for i in self.starts[bucket]..self.starts[bucket + 1] {
                        let owner = self.owner[(offset + self.grouped[i]) as usize];
                        if owner != FREE {
                            self.take(owner as usize);
                            queue.push(owner as usize);
                        }
                    }
                    offset
                }
                _ => return false,
            };
            self.put(bucket, offset);
            last = bucket;
        }
        true
    }

    /// Fills the remaining slots with the single-key buckets. A key with offset `g` can take
    /// slot `s` when `s - g` is a valid bucket offset; all these ranges have one length, so
    /// taking the free slots in order and giving each the waiting key of smallest offset
    /// succeeds whenever any assignment does.
    fn place_singles(&mut self, mphf: &Mphf, n: usize) -> bool {
        let max_offset = mphf.max_offset() as usize;
        let mut singles: Vec<(u32, usize)> = (0..mphf.offsets.len())
            .filter(|&b| self.starts[b + 1] - self.starts[b] == 1)
            .map(|b| (self.members(b)[0], b))
            .collect();
        singles.sort_unstable();
        let mut next = singles.iter();
        for slot in 0..n {
            if self.owner[slot] != FREE {
                continue;
            }
            let Some(&(g, b)) = next.next() else { return false };
            if g as usize > slot || g as usize + max_offset < slot {
                return false;
            }
            self.put(b, (slot - g as usize) as u32);
        }
        true
    }
}

/// SplitMix64: a tiny, well-mixed sequence for multipliers and placement starts.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn next_odd(&mut self) -> u32 {
        (self.next_u64() as u32) | 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_perfect(keys: &[u64], width: KeyWidth) -> Mphf {
        let mphf = Mphf::build(keys, width).expect("build");
        assert_eq!(mphf.offsets.len(), bucket_count(keys.len()));
        assert!(mphf.offsets.iter().all(|&o| o <= mphf.max_offset()), "an offset leaves the table");
        let mut seen = vec![false; keys.len()];
        for &k in keys {
            let slot = mphf.slot(k).expect("slot");
            assert!(!seen[slot], "slot {slot} taken twice");
            seen[slot] = true;
        }
        mphf
    }

    #[test]
    fn empty_and_single() {
        let empty = assert_perfect(&[], KeyWidth::Bits32);
        assert_eq!(empty.slot(0x2000_0000), None);
        let one = assert_perfect(&[0x2000_0010], KeyWidth::Bits32);
        assert_eq!(one.slot(0x2000_0010), Some(0));
        assert_eq!(one.slot(0x2000_0014), Some(0));
    }

    #[test]
    fn every_small_count() {
        for n in 0..300u64 {
            for stride in [4, 8, 24, 4096] {
                let keys: Vec<u64> = (0..n).map(|i| 0x2000_0000 + i * stride).collect();
                assert_perfect(&keys, KeyWidth::Bits32);
            }
        }
    }

    #[test]
    fn direct_tables_put_one_key_per_bucket() {
        for n in 0..=DIRECT_MAX as u64 {
            for keys in [
                (0..n).map(|i| 0x2000_0000 + i * 4).collect::<Vec<u64>>(),
                (0..n).map(|i| (i << 16) | 0xbeef).collect(),
                (0..n).map(|i| ((i % 2) << 29) | ((i / 2) * 16)).collect(),
                (0..n).map(|i| 0x2000_0000 + (i * i * 40503) % 0x0100_0000 * 8).collect(),
                (0..n).map(|i| i << 24).collect(),
            ] {
                let mut distinct = keys.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let mphf = assert_perfect(&distinct, KeyWidth::Bits32);
                assert!(mphf.direct && mphf.slot_bits == 0);
                assert!(mphf.offsets.len() >= 16 && mphf.offsets.len() >= 4 * distinct.len());
                let mut buckets: Vec<usize> = distinct.iter().map(|&k| mphf.hash(k).0).collect();
                buckets.sort_unstable();
                buckets.dedup();
                assert_eq!(buckets.len(), distinct.len(), "two keys share a bucket");
                // Slots follow the keys' order, and every stored offset fits a byte.
                for (slot, &k) in distinct.iter().enumerate() {
                    assert_eq!(mphf.slot(k), Some(slot));
                }
                assert!(mphf.offsets.iter().all(|&o| o < 256));
            }
        }
        assert!(
            !Mphf::build(&(0..129).map(|i| i * 8).collect::<Vec<u64>>(), KeyWidth::Bits32).unwrap().direct
        );
    }

    #[test]
    fn bucket_counts_depend_only_on_the_key_count() {
        assert_eq!(bucket_count(0), 16);
        assert_eq!(bucket_count(1), 16);
        assert_eq!(bucket_count(66), 512);
        assert_eq!(bucket_count(128), 1024);
        assert_eq!(bucket_count(129), 256);
        assert_eq!(bucket_count(1000), 1024);
        assert_eq!((slot_bits(128), slot_bits(129)), (0, 6));
    }

    #[test]
    fn adversarial_sets() {
        let consecutive: Vec<u64> = (0..5000).map(|i| 0x2000_0000 + i).collect();
        assert_perfect(&consecutive, KeyWidth::Bits32);
        let stride: Vec<u64> = (0..5000).map(|i| 0x2000_0000 + i * 4096).collect();
        assert_perfect(&stride, KeyWidth::Bits32);
        let same_low_bytes: Vec<u64> = (0..5000).map(|i| (i << 16) | 0xbeef).collect();
        assert_perfect(&same_low_bytes, KeyWidth::Bits32);
        let halves: Vec<u64> = (0..5000).map(|i| ((i % 2) << 29) | ((i / 2) * 16)).collect();
        assert_perfect(&halves, KeyWidth::Bits32);
        let high_only: Vec<u64> = (0..4096).map(|i| i << 52).collect();
        assert_perfect(&high_only, KeyWidth::Bits64);
    }

    #[test]
    fn large_sets() {
        let strided: Vec<u64> = (0..100_000u64).map(|i| 0x2000_0000 + i * 12).collect();
        assert_perfect(&strided, KeyWidth::Bits32);
        let halves: Vec<u64> = (0..100_000u64).map(|i| ((i % 2) << 29) | ((i / 2) * 16)).collect();
        assert_perfect(&halves, KeyWidth::Bits32);
    }

    #[test]
    fn deterministic_and_order_independent() {
        let keys: Vec<u64> = (0..1000).map(|i| 0x2000_0000 + i * 24).collect();
        let mut reversed = keys.clone();
        reversed.reverse();
        assert_eq!(Mphf::build(&keys, KeyWidth::Bits32), Mphf::build(&reversed, KeyWidth::Bits32));
    }

    #[test]
    fn bad_key_sets_are_refused() {
        assert_eq!(Mphf::build(&[8, 16, 8], KeyWidth::Bits32), Err(BuildError::DuplicateKey(8)));
        assert_eq!(
            Mphf::build(&[1 << 40], KeyWidth::Bits32),
            Err(BuildError::KeyTooWide { key: 1 << 40, bits: 32 })
        );
    }

    proptest! {
        #[test]
        fn random_sets_hash_perfectly(keys in proptest::collection::hash_set(any::<u32>(), 0..3000)) {
            let keys: Vec<u64> = keys.into_iter().map(u64::from).collect();
            assert_perfect(&keys, KeyWidth::Bits32);
        }

        #[test]
        fn random_64_bit_sets_hash_perfectly(keys in proptest::collection::hash_set(any::<u64>(), 0..3000)) {
            let keys: Vec<u64> = keys.into_iter().collect();
            assert_perfect(&keys, KeyWidth::Bits64);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn random_word_addresses_up_to_100_000(n in 0usize..100_000, seed in any::<u64>()) {
            let mut x = seed | 1;
            let mut keys = std::collections::BTreeSet::new();
            while keys.len() < n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                keys.insert(0x2000_0000 + (x % 0x0100_0000) * 4);
            }
            let keys: Vec<u64> = keys.into_iter().collect();
            assert_perfect(&keys, KeyWidth::Bits32);
        }
    }
}
