//! A page-granular MMU: every mapping is a whole number of pages at a page boundary; page
//! tables have no region budget.

use super::{round_up, Encoding, Shape};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mmu {
    /// Page size; also the size of the unmapped guard page below each user stack.
    pub page: u64,
}

impl Mmu {
    pub const PAGES_4K: Mmu = Mmu { page: 4096 };

    pub(super) fn shapes(&self, content: u64) -> Vec<Shape> {
        round_up(content.max(1), self.page)
            .map(|size| Shape { size, align: self.page, pieces: vec![size], regions: 0 })
            .into_iter()
            .collect()
    }

    pub(super) fn encode_piece(&self, start: u64, size: u64) -> Result<Encoding, String> {
        let page = self.page;
        if size == 0 || size % page != 0 || start % page != 0 {
            return Err(format!("MMU mapping {start:#x}+{size:#x} is not whole {page:#x}-byte pages"));
        }
        Ok(Encoding { regions: 0, align: page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_pages() {
        let m = Mmu::PAGES_4K;
        assert_eq!(m.shapes(1)[0].size, 4096);
        assert_eq!(m.shapes(4097)[0].size, 8192);
        assert!(m.encode_piece(0x1000, 0x2000).is_ok());
        assert!(m.encode_piece(0x1800, 0x1000).unwrap_err().contains("pages"));
    }
}
