//! Board memory maps as data: memories, their MPU, and how many regions the kernel leaves
//! to memory partitions.

use crate::mpu::{MpuModel, Pmsav7};

/// What a memory holds, which decides where load images and RAM sections go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// Code and load images.
    Flash,
    /// Data, bss, stacks.
    Ram,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Linker-script `MEMORY` region name.
    pub name: &'static str,
    pub kind: MemoryKind,
    pub origin: u64,
    pub length: u64,
}

impl Memory {
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.origin && addr - self.origin < self.length
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    pub name: &'static str,
    pub mpu: MpuModel,
    pub memories: &'static [Memory],
    /// MPU regions a memory domain may spend on partitions. On the RTOS: of the 8 PMSAv7
    /// regions, the kernel keeps one for flash (text and read-only data), one for the
    /// running thread's stack, one for its stack guard and one spare.
    pub partition_regions: u32,
}

impl Board {
    pub const ALL: [Board; 1] = [Board::MPS2_AN385];

    /// ARM MPS2 with the AN385 FPGA image (Cortex-M3), as emulated by QEMU: 4 MiB of code
    /// SSRAM at 0 and 4 MiB of data SSRAM at 0x2000_0000.
    pub const MPS2_AN385: Board = Board {
        name: "mps2-an385",
        mpu: MpuModel::Pmsav7(Pmsav7::ARMV7M),
        memories: &[
            Memory { name: "FLASH", kind: MemoryKind::Flash, origin: 0x0000_0000, length: 0x0040_0000 },
            Memory { name: "RAM", kind: MemoryKind::Ram, origin: 0x2000_0000, length: 0x0040_0000 },
        ],
        partition_regions: 4,
    };

    pub fn by_name(name: &str) -> Option<Board> {
        Self::ALL.into_iter().find(|board| board.name == name)
    }

    /// The first memory of `kind`.
    pub fn memory(&self, kind: MemoryKind) -> Option<&'static Memory> {
        self.memories.iter().find(|memory| memory.kind == kind)
    }

    pub fn memory_at(&self, addr: u64) -> Option<&'static Memory> {
        self.memories.iter().find(|memory| memory.contains(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an385_map() {
        let board = Board::by_name("mps2-an385").unwrap();
        let ram = board.memory(MemoryKind::Ram).unwrap();
        assert_eq!((ram.origin, ram.length), (0x2000_0000, 0x40_0000));
        assert_eq!(board.memory_at(0x3f_ffff).unwrap().name, "FLASH");
        assert!(board.memory_at(0x2040_0000).is_none());
        assert!(board.partition_regions <= board.mpu.region_count().unwrap());
    }
}
