//! ARMv7-M (and ARMv6-M) PMSAv7: a region is a power of two of at least 32 bytes, based on a
//! multiple of its size; regions of 256 bytes or more have 8 equal subregions that can be
//! disabled one by one, so a region may cover any run of whole subregions inside its window.

use super::{round_up, Encoding, Shape};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pmsav7 {
    /// Hardware regions.
    pub regions: u32,
    /// Smallest region size in bytes.
    pub min_region: u64,
    /// Subregions per region (0: the core has none).
    pub subregions: u64,
    /// Smallest region that has subregions.
    pub min_subregion_region: u64,
    /// Guard at the low end of each user stack: one minimum-size, no-access region.
    pub stack_guard: u64,
}

impl Pmsav7 {
    /// Cortex-M3/M4/M7 with the standard 8-region MPU.
    pub const ARMV7M: Pmsav7 =
        Pmsav7 { regions: 8, min_region: 32, subregions: 8, min_subregion_region: 256, stack_guard: 32 };

    fn region_size(&self, content: u64) -> Option<u64> {
        content.max(self.min_region).checked_next_power_of_two()
    }

    /// The smallest single-region shape: the whole power-of-two region, or only the
    /// leading subregions that hold the content.
    fn single(&self, content: u64) -> Option<Shape> {
        let region = self.region_size(content)?;
        let mut size = region;
        if self.subregions > 0 && region >= self.min_subregion_region {
            size = round_up(content.max(1), region / self.subregions)?;
        }
        Some(Shape { size, align: region, pieces: vec![size], regions: 1 })
    }

    pub(super) fn shapes(&self, content: u64) -> Vec<Shape> {
        let Some(single) = self.single(content) else {
            return Vec::new();
        };
        let mut shapes = vec![single.clone()];
        // Split: the largest power of two below the content, then the rest in a second
        // region right after it (the rest is smaller, so the boundary is aligned for it).
        let first = 1u64 << (63 - content.max(1).leading_zeros());
        let rest = content.saturating_sub(first);
        if first >= self.min_region && rest > 0 {
            if let Some(second) = self.single(rest) {
                let size = first.saturating_add(second.size);
                if size < single.size {
                    shapes.push(Shape { size, align: first, pieces: vec![first, second.size], regions: 2 });
                }
            }
        }
        shapes
    }

    pub(super) fn encode_piece(&self, start: u64, size: u64) -> Result<Encoding, String> {
        if size < self.min_region {
            return Err(format!("a PMSAv7 region is at least {} bytes", self.min_region));
        }
        let end = start
            .checked_add(size)
            .ok_or_else(|| "the piece runs past the end of the address space".to_string())?;
        // The smallest power-of-two window, aligned to its size, that holds the piece.
        let mut window = size
            .checked_next_power_of_two()
            .ok_or_else(|| "no PMSAv7 region can hold the piece".to_string())?;
        loop {
            let base = start & !(window - 1);
            if end - base <= window {
                break;
            }
            window =
                window.checked_mul(2).ok_or_else(|| "no PMSAv7 region can hold the piece".to_string())?;
        }
        if window == size && start % window == 0 {
            return Ok(Encoding { regions: 1, align: window });
        }
        if self.subregions == 0 || window < self.min_subregion_region {
            return Err(if !size.is_power_of_two() {
                format!(
                    "PMSAv7 region size {size:#x} is not a power of two (regions below {:#x} \
                     bytes have no subregions)",
                    self.min_subregion_region
                )
            } else {
                format!("PMSAv7 region base {start:#x} is not aligned to its size {size:#x}")
            });
        }
        let sub = window / self.subregions;
        if start % sub == 0 && end % sub == 0 {
            return Ok(Encoding { regions: 1, align: window });
        }
        Err(format!(
            "the smallest PMSAv7 region holding it is {window:#x} bytes at {:#x}; start and \
             end must fall on its {sub:#x}-byte subregion boundaries, or the piece must be a \
             power of two aligned to its size",
            start & !(window - 1)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Pmsav7 = Pmsav7::ARMV7M;

    #[test]
    fn small_content_takes_the_minimum_region() {
        let shapes = M.shapes(5);
        assert_eq!(shapes.len(), 1);
        assert_eq!((shapes[0].size, shapes[0].align), (32, 32));
        assert_eq!(M.shapes(0)[0].size, 32);
    }

    #[test]
    fn subregions_trim_the_tail() {
        // 5000 bytes: an 8 KiB region with 1 KiB subregions, five of them enabled.
        let single = &M.shapes(5000)[0];
        assert_eq!((single.size, single.align, single.regions), (5120, 8192, 1));
    }

    #[test]
    fn split_only_when_smaller() {
        // 4100 bytes: one region costs 5 KiB (8 KiB window, five 1 KiB subregions);
        // 4 KiB + 32 bytes in two regions costs 4128.
        let shapes = M.shapes(4100);
        assert_eq!(shapes[0].size, 5120);
        assert_eq!(shapes[1].pieces, vec![4096, 32]);
        assert_eq!((shapes[1].size, shapes[1].align, shapes[1].regions), (4128, 4096, 2));
        // An exact power of two never splits.
        assert_eq!(M.shapes(4096).len(), 1);
    }

    #[test]
    fn encodes_whole_and_subregion_pieces() {
        assert_eq!(M.encode_piece(0x2000_0000, 0x1000).unwrap().align, 0x1000);
        assert_eq!(M.encode_piece(0x2000_0000, 0x1400).unwrap().align, 0x2000);
        assert_eq!(M.encode_piece(0x2000_0c00, 0x400).unwrap().align, 0x400);
        // Subregions 3..=5 of the 8 KiB window at 0x20000000.
        assert!(M.encode_piece(0x2000_0c00, 0xc00).is_ok());
    }

    #[test]
    fn rejects_with_the_rule_broken() {
        let err = M.encode_piece(0x2000_0010, 0x20).unwrap_err();
        assert!(err.contains("not aligned to its size 0x20"), "{err}");
        let err = M.encode_piece(0x2000_0000, 0x60).unwrap_err();
        assert!(err.contains("0x60 is not a power of two"), "{err}");
        let err = M.encode_piece(0x2000_0000, 0x1010).unwrap_err();
        assert!(err.contains("0x400-byte subregion"), "{err}");
        let err = M.encode_piece(0x2000_0000, 16).unwrap_err();
        assert!(err.contains("at least 32 bytes"), "{err}");
        // Crossing a window boundary forces a huge window.
        assert!(M.encode_piece(0x2000_0f00, 0x200).is_err());
        assert!(M.encode_piece(0, u64::MAX).is_err());
        assert!(M.encode_piece(u64::MAX - 64, 64).is_err());
    }
}
