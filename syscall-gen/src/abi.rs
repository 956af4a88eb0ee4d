//! Trap ABIs as data: how user code passes argument words and the ID to the kernel.
//! A new architecture is one more entry in [`Abi::ALL`].

/// How the user-side wrapper enters the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// Load the argument and ID registers, execute `instruction`; results come back in the
    /// first two argument registers.
    Instruction {
        instruction: &'static str,
        /// Registers the kernel may change besides the argument registers.
        clobbers: &'static [&'static str],
    },
    /// Call a function `uintptr_t f(uintptr_t a0, …, uintptr_t id, uintptr_t *ret_hi)` that the
    /// test harness provides (host tests: it plays the kernel's trap handler).
    Call { function: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abi {
    /// Name used by the CLI and the Builder.
    pub name: &'static str,
    /// Registers carrying argument words, in order; their count is the number of words passed
    /// in registers. When a call needs more words, the last register carries a pointer to the
    /// remaining words instead.
    pub arg_registers: &'static [&'static str],
    /// Register carrying the system-call ID.
    pub id_register: &'static str,
    pub trap: Trap,
    /// `target_arch` and `asm!` template lines of the Rust wrappers' trap (instruction traps
    /// only). `{id}` names a scratch register holding the ID; the argument registers are bound.
    pub rust_trap: Option<(&'static str, &'static [&'static str])>,
}

impl Abi {
    /// ARMv7-M (Cortex-M3/M4): words in r0–r5, ID in r6, `svc #3`; the kernel zeroes r1–r3
    /// and r12 (ip) on return so that no kernel data leaks.
    pub const ARMV7M: Abi = Abi {
        name: "armv7m",
        arg_registers: &["r0", "r1", "r2", "r3", "r4", "r5"],
        id_register: "r6",
        trap: Trap::Instruction { instruction: "svc #3", clobbers: &["r12", "memory"] },
        // LLVM reserves r6 as a base pointer, so the ID is moved into it inside the asm.
        rust_trap: Some(("arm", &["push {{r6}}", "mov r6, {id}", "svc #3", "pop {{r6}}"])),
    };

    /// Host tests: six register words, the trap is a call to `syscall_host_trap`.
    pub const HOST: Abi = Abi {
        name: "host",
        arg_registers: &["a0", "a1", "a2", "a3", "a4", "a5"],
        id_register: "id",
        trap: Trap::Call { function: "syscall_host_trap" },
        rust_trap: None,
    };

    pub const ALL: [Abi; 2] = [Abi::ARMV7M, Abi::HOST];

    pub fn by_name(name: &str) -> Option<Abi> {
        Self::ALL.into_iter().find(|abi| abi.name == name)
    }

    /// Argument words passed in registers.
    pub fn register_words(&self) -> usize {
        self.arg_registers.len()
    }
}
