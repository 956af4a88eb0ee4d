//! RISC-V PMP: an entry is NAPOT (a power of two of at least 8 bytes, aligned to its size,
//! one entry) or TOR (any 4-byte-granular range, two entries: bottom and top).

use super::{round_up, Encoding, Shape};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pmp {
    pub entries: u32,
    /// Smallest NAPOT range.
    pub min_napot: u64,
    /// Granule of TOR addresses.
    pub granule: u64,
    /// Guard at the low end of each user stack; also the stack alignment (the ABI's 16).
    pub stack_guard: u64,
}

impl Pmp {
    /// 16 entries, 4-byte granule.
    pub const RISCV16: Pmp = Pmp { entries: 16, min_napot: 8, granule: 4, stack_guard: 16 };

    pub(super) fn shapes(&self, content: u64) -> Vec<Shape> {
        let mut shapes = Vec::new();
        let Some(napot) = content.max(self.min_napot).checked_next_power_of_two() else {
            return shapes;
        };
        shapes.push(Shape { size: napot, align: napot, pieces: vec![napot], regions: 1 });
        if let Some(tor) = round_up(content.max(1), self.granule).filter(|tor| *tor < napot) {
            shapes.push(Shape { size: tor, align: self.granule, pieces: vec![tor], regions: 2 });
        }
        shapes
    }

    pub(super) fn encode_piece(&self, start: u64, size: u64) -> Result<Encoding, String> {
        if size >= self.min_napot && size.is_power_of_two() && start % size == 0 {
            return Ok(Encoding { regions: 1, align: size });
        }
        let granule = self.granule;
        if size == 0 || size % granule != 0 || start % granule != 0 {
            return Err(format!(
                "PMP range {start:#x}+{size:#x} is neither NAPOT (a power of two of at least \
                 {} bytes aligned to its size) nor TOR ({granule}-byte granules)",
                self.min_napot
            ));
        }
        Ok(Encoding { regions: 2, align: granule })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn napot_or_tor() {
        let m = Pmp::RISCV16;
        let shapes = m.shapes(100);
        assert_eq!((shapes[0].size, shapes[0].regions), (128, 1));
        assert_eq!((shapes[1].size, shapes[1].regions), (100, 2));
        assert_eq!(m.shapes(64).len(), 1);
        assert_eq!(m.encode_piece(0x8000_0040, 0x40).unwrap().regions, 1);
        assert_eq!(m.encode_piece(0x8000_0004, 0x64).unwrap().regions, 2);
        assert!(m.encode_piece(0x8000_0002, 0x64).unwrap_err().contains("TOR"));
    }
}
