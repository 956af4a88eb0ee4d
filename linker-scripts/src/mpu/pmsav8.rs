//! ARMv8-M PMSAv8: a region is a base and a limit on 32-byte granules; regions may not
//! overlap, so every partition costs exactly one region and nothing but rounding.

use super::{round_up, Encoding, Shape};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pmsav8 {
    pub regions: u32,
    /// Base and limit granule; also the stack guard size.
    pub granule: u64,
}

impl Pmsav8 {
    /// Cortex-M33 with 8 regions per security state.
    pub const ARMV8M: Pmsav8 = Pmsav8 { regions: 8, granule: 32 };

    pub(super) fn shapes(&self, content: u64) -> Vec<Shape> {
        round_up(content.max(1), self.granule)
            .map(|size| Shape { size, align: self.granule, pieces: vec![size], regions: 1 })
            .into_iter()
            .collect()
    }

    pub(super) fn encode_piece(&self, start: u64, size: u64) -> Result<Encoding, String> {
        let granule = self.granule;
        if size == 0 || size % granule != 0 {
            return Err(format!(
                "PMSAv8 region size {size:#x} is not a non-zero multiple of {granule} bytes"
            ));
        }
        if start % granule != 0 {
            return Err(format!("PMSAv8 region base {start:#x} is not on a {granule}-byte granule"));
        }
        Ok(Encoding { regions: 1, align: granule })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_granules() {
        let m = Pmsav8::ARMV8M;
        assert_eq!(m.shapes(33)[0].size, 64);
        assert!(m.encode_piece(0x2000_0020, 0x40).is_ok());
        assert!(m.encode_piece(0x2000_0010, 0x40).unwrap_err().contains("granule"));
        assert!(m.encode_piece(0x2000_0000, 0x44).unwrap_err().contains("multiple of 32"));
    }
}
