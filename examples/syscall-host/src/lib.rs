//! Host end-to-end test of syscall-gen: generated C wrappers, dispatch table and stubs,
//! compiled by `build.rs` with a host trap, and the generated Rust wrappers. See `tests/`.

#![allow(non_camel_case_types)]

use core::ffi::c_int;

#[repr(C)]
#[derive(Debug, Default)]
pub struct host_obj {
    pub value: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct host_pair {
    pub lo: u32,
    pub hi: u32,
}

/// The generated Rust user-space wrappers, trapping through `syscall_host_trap`.
pub mod wrappers {
    use super::{host_obj, host_pair};
    include!(concat!(env!("OUT_DIR"), "/syscalls_gen/syscalls.rs"));
}

extern "C" {
    // User-mode callers (C wrappers compiled with K_SYSCALL_USER_ONLY).
    pub fn user_add(a: c_int, b: c_int) -> c_int;
    pub fn user_add64(a: i64, b: u64) -> i64;
    pub fn user_sum7(a: u32, b: i64, c: u32, d: i64, e: u8, f: u64, g: u16) -> u64;
    pub fn user_set(obj: *mut host_obj, value: u32);
    pub fn user_pair_make(lo: u32, hi: u32) -> host_pair;
    pub fn user_missing(x: c_int) -> c_int;
    /// Compiled with K_SYSCALL_KERNEL_ONLY.
    pub fn kernel_add(a: c_int, b: c_int) -> c_int;
    /// Compiled without either: asks the kernel hook at run time.
    pub fn mixed_add(a: c_int, b: c_int) -> c_int;

    /// The trap, also callable with raw words and IDs.
    pub fn syscall_host_trap(
        a0: usize,
        a1: usize,
        a2: usize,
        a3: usize,
        a4: usize,
        a5: usize,
        id: usize,
        ret_hi: *mut usize,
    ) -> usize;

    // Host kernel state (c/kernel.c).
    pub static mut host_last_fault: u32;
    pub static mut host_traps: u32;
    /// Traps served from the nonblocking table.
    pub static mut host_nonblocking_calls: u32;
    pub static mut host_impl_calls: u32;
    pub static mut host_readable_checks: u32;
    pub static mut host_readable_size: usize;
    pub static mut host_user_memory_ok: c_int;
    pub static mut host_in_user: c_int;
}
