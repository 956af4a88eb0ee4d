//! A minimal perfect hash over object addresses, cheap to evaluate on a Cortex-M3.
//!
//! Every key is mapped to a distinct slot in `0..N` (no holes), so the table the kernel indexes
//! has exactly one entry per object. The lookup is straight-line code: three 32-bit multiplies,
//! a shift for the bucket, one 16-bit pilot load, one multiply-high range reduction and one key
//! compare at the end.
//!
//! ```text
//! h    = lo(key) * key_mul  [^ hi(key) * high_mul  on 64-bit targets]
//! h    = (h ^ (h >> 16)) * mix_mul     // fold high bits down, then spread them up again
//! b    = h >> (32 - bucket_bits)       // which bucket: the top bits
//! x    = (h ^ pilot[b]) * slot_mul
//! slot = (x * len) >> 32
//! ```
//!
//! Buckets hold about [`KEYS_PER_BUCKET`] keys. Building places the buckets largest first and,
//! for each, searches the smallest pilot that sends all its keys to free slots. The last,
//! single-key buckets may find no free slot among their 65,536 pilots once `N` is large; such a
//! bucket takes the slot of another single-key bucket, which then searches again (a short
//! eviction chain, as in cuckoo hashing). The bucket count depends only on `N`, so a table's
//! size is known before its keys are: the first link can reserve exactly the space the final
//! table takes. Multipliers come from a fixed seed sequence, so the same keys always give the
//! same table.

use thiserror::Error;

/// Average bucket load; more means fewer pilots but a longer search for the last buckets.
pub const KEYS_PER_BUCKET: usize = 3;

/// How many multiplier pairs are tried before giving up. Each try succeeds with high
/// probability; failing all of them means the keys are not distinct after hashing.
const MAX_ATTEMPTS: u64 = 64;

/// The first seed of the multiplier sequence: fixed so that output is reproducible.
const SEED: u64 = 0x5245_5452_4f46_4954;

/// Why no table could be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BuildError {
    #[error("key {0:#x} appears twice; an object table needs distinct addresses")]
    DuplicateKey(u64),
    #[error("key {key:#x} does not fit in a {bits}-bit address")]
    KeyTooWide { key: u64, bits: u32 },
    #[error("{0} keys: more than a 32-bit slot index can hold")]
    TooManyKeys(usize),
    #[error("no perfect hash found for {keys} keys after {attempts} multiplier pairs")]
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
    pub key_mul: u32,
    /// Multiplier for the high half of 64-bit keys; unused for 32-bit keys.
    pub high_mul: u32,
    pub mix_mul: u32,
    pub slot_mul: u32,
    /// log2 of the bucket count (a power of two, so the bucket is a shift of the hash).
    pub bucket_bits: u32,
    pub len: u32,
    /// One pilot per bucket; `pilots.len()` is the bucket count.
    pub pilots: Vec<u16>,
}

/// The bucket count for `n` keys: a power of two, at least 2 so that the bucket is always a
/// shift by less than 32, holding at most [`KEYS_PER_BUCKET`] keys on average.
pub fn bucket_count(n: usize) -> usize {
    n.div_ceil(KEYS_PER_BUCKET).max(2).next_power_of_two()
}

#[inline]
fn mul_high(a: u32, b: u32) -> u32 {
    ((u64::from(a) * u64::from(b)) >> 32) as u32
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
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(BuildError::DuplicateKey(pair[0]));
        }
        // Placing keys in sorted order makes the result independent of the caller's order.

        let mut seeds = SplitMix(SEED);
        let mut search = Search::new(n);
        for _ in 0..MAX_ATTEMPTS {
            let mut candidate = Mphf {
                key_width,
                key_mul: seeds.next_odd(),
                high_mul: if key_width == KeyWidth::Bits64 { seeds.next_odd() } else { 0 },
                mix_mul: seeds.next_odd(),
                slot_mul: seeds.next_odd(),
                bucket_bits: bucket_count(n).trailing_zeros(),
                len,
                pilots: vec![0; bucket_count(n)],
            };
            if search.place(&mut candidate, &sorted) {
                return Ok(candidate);
            }
        }
        Err(BuildError::NotFound { keys: n, attempts: MAX_ATTEMPTS })
    }

    /// The first hash stage: a key folded and mixed to 32 bits.
    #[inline]
    pub fn key_hash(&self, key: u64) -> u32 {
        let mut h = (key as u32).wrapping_mul(self.key_mul);
        if self.key_width == KeyWidth::Bits64 {
            h ^= ((key >> 32) as u32).wrapping_mul(self.high_mul);
        }
        (h ^ (h >> 16)).wrapping_mul(self.mix_mul)
    }

    /// The shift that leaves a hash's top `bucket_bits` bits: the bucket index.
    pub fn bucket_shift(&self) -> u32 {
        32 - self.bucket_bits
    }

    #[inline]
    fn bucket_of(&self, h: u32) -> usize {
        (h >> self.bucket_shift()) as usize
    }

    #[inline]
    fn slot_with_pilot(&self, h: u32, pilot: u16) -> u32 {
        mul_high((h ^ u32::from(pilot)).wrapping_mul(self.slot_mul), self.len)
    }

    /// The slot of `key`: for a key the table was built from, its unique index in `0..N`;
    /// for any other key, some index whose stored key must be compared. `None` when `N == 0`.
    #[inline]
    pub fn slot(&self, key: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let h = self.key_hash(key);
        let pilot = self.pilots[self.bucket_of(h)];
        Some(self.slot_with_pilot(h, pilot) as usize)
    }
}

/// A slot nobody owns yet.
const FREE: u32 = u32::MAX;

/// Evictions allowed per attempt before other multipliers are tried; a chain rarely needs more
/// than a few dozen.
const MAX_EVICTIONS: usize = 10_000;

/// Scratch space reused across attempts.
struct Search {
    /// Key hashes grouped by bucket; bucket `b` owns `grouped[starts[b]..starts[b + 1]]`.
    grouped: Vec<u32>,
    starts: Vec<usize>,
    /// Which bucket owns each slot.
    owner: Vec<u32>,
    bucket_slots: Vec<u32>,
}

impl Search {
    fn new(n: usize) -> Self {
        Search { grouped: vec![0; n], starts: Vec::new(), owner: vec![FREE; n], bucket_slots: Vec::new() }
    }

    fn members(&self, bucket: usize) -> &[u32] {
        &self.grouped[self.starts[bucket]..self.starts[bucket + 1]]
    }

    /// Tries to find pilots for every bucket; `false` asks for other multipliers.
    fn place(&mut self, mphf: &mut Mphf, keys: &[u64]) -> bool {
        let buckets = mphf.pilots.len();
        // Counting sort by bucket: linear, and the bucket ranges fall out of it.
        self.starts.clear();
        self.starts.resize(buckets + 1, 0);
        for &key in keys {
            self.starts[mphf.bucket_of(mphf.key_hash(key)) + 1] += 1;
        }
        for b in 0..buckets {
            self.starts[b + 1] += self.starts[b];
        }
        let mut fill = self.starts.clone();
        for &key in keys {
            let h = mphf.key_hash(key);
            let b = mphf.bucket_of(h);
            self.grouped[fill[b]] = h;
            fill[b] += 1;
        }
        // Largest buckets first, while most slots are free; ascending index within one size.
        let size = |b: usize| self.starts[b + 1] - self.starts[b];
        let largest = (0..buckets).map(size).max().unwrap_or(0);
        let mut by_size: Vec<Vec<usize>> = vec![Vec::new(); largest + 1];
        for b in 0..buckets {
            by_size[size(b)].push(b);
        }

        self.owner.iter_mut().for_each(|o| *o = FREE);
        for bucket in by_size.iter().skip(2).rev().flatten().copied() {
            if !self.place_bucket(mphf, bucket) {
                return false;
            }
        }
        let singles = by_size.get(1).map(Vec::as_slice).unwrap_or_default();
        self.place_singles(mphf, singles)
    }

    fn place_bucket(&mut self, mphf: &mut Mphf, bucket: usize) -> bool {
        let members = &self.grouped[self.starts[bucket]..self.starts[bucket + 1]];
        // Equal hashes (64-bit keys folding alike) collide under every pilot.
        if members.iter().enumerate().any(|(i, h)| members[i + 1..].contains(h)) {
            return false;
        }
        let found = (0..=u16::MAX).find(|&pilot| {
            self.bucket_slots.clear();
            members.iter().all(|&h| {
                let slot = mphf.slot_with_pilot(h, pilot);
                let free = self.owner[slot as usize] == FREE && !self.bucket_slots.contains(&slot);
                self.bucket_slots.push(slot);
                free
            })
        });
        let Some(pilot) = found else { return false };
        for &slot in &self.bucket_slots {
            self.owner[slot as usize] = bucket as u32;
        }
        mphf.pilots[bucket] = pilot;
        true
    }

    /// Places the single-key buckets, evicting another single when none of a bucket's pilots
    /// reaches a free slot.
    fn place_singles(&mut self, mphf: &mut Mphf, singles: &[usize]) -> bool {
        let mut pending: Vec<usize> = singles.iter().rev().copied().collect();
        let mut evictions = 0;
        let mut last_evicted = FREE;
        while let Some(bucket) = pending.pop() {
            let h = self.members(bucket)[0];
            if let Some(pilot) =
                (0..=u16::MAX).find(|&p| self.owner[mphf.slot_with_pilot(h, p) as usize] == FREE)
            {
                self.owner[mphf.slot_with_pilot(h, pilot) as usize] = bucket as u32;
                mphf.pilots[bucket] = pilot;
                continue;
            }
            evictions += 1;
            if evictions > MAX_EVICTIONS {
                return false;
            }
            // Start each eviction search somewhere else so that chains do not cycle.
            let start = (evictions as u32).wrapping_mul(0x9e37_79b9) as u16;
            let victim = (0..=u16::MAX).map(|i| start.wrapping_add(i)).find_map(|p| {
                let slot = mphf.slot_with_pilot(h, p);
                let owner = self.owner[slot as usize];
                let single = owner != last_evicted && self.members(owner as usize).len() == 1;
                single.then_some((p, slot, owner))
            });
            let Some((pilot, slot, evicted)) = victim else { return false };
            self.owner[slot as usize] = bucket as u32;
            mphf.pilots[bucket] = pilot;
            last_evicted = bucket as u32;
            pending.push(evicted as usize);
        }
        true
    }
}

/// SplitMix64: a tiny, well-mixed sequence for deriving multipliers from the fixed seed.
struct SplitMix(u64);

impl SplitMix {
    fn next_odd(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) as u32) | 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_perfect(keys: &[u64], width: KeyWidth) -> Mphf {
        let mphf = Mphf::build(keys, width).expect("build");
        assert_eq!(mphf.pilots.len(), bucket_count(keys.len()));
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
    fn adversarial_sets() {
        let consecutive: Vec<u64> = (0..5000).map(|i| 0x2000_0000 + i).collect();
        assert_perfect(&consecutive, KeyWidth::Bits32);
        let stride: Vec<u64> = (0..5000).map(|i| 0x2000_0000 + i * 4096).collect();
        assert_perfect(&stride, KeyWidth::Bits32);
        let same_low_bytes: Vec<u64> = (0..5000).map(|i| (i << 16) | 0xbeef).collect();
        assert_perfect(&same_low_bytes, KeyWidth::Bits32);
        let high_only: Vec<u64> = (0..4096).map(|i| i << 52).collect();
        assert_perfect(&high_only, KeyWidth::Bits64);
    }

    #[test]
    fn large_sets_need_evictions() {
        let keys: Vec<u64> = (0..100_000u64).map(|i| 0x2000_0000 + i * 12).collect();
        assert_perfect(&keys, KeyWidth::Bits32);
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
}
