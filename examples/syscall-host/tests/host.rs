//! End to end on the host: user wrappers pack words and trap, the dispatch table routes by ID,
//! stubs unpack and call the verifiers, and every failure path returns 0 with a fault.

use std::sync::Mutex;

use syscall_host::*;

/// The C "kernel" keeps global state; tests take turns.
static KERNEL: Mutex<()> = Mutex::new(());

const FAULT_BAD_ID: u32 = 1;
const FAULT_NOT_CONFIGURED: u32 = 2;
const FAULT_BAD_USER_MEMORY: u32 = 3;

fn reset() -> std::sync::MutexGuard<'static, ()> {
    let guard = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    unsafe {
        host_last_fault = 0;
        host_traps = 0;
        host_nonblocking_calls = 0;
        host_impl_calls = 0;
        host_readable_checks = 0;
        host_readable_size = 0;
        host_user_memory_ok = 1;
        host_in_user = 1;
    }
    guard
}

fn state() -> (u32, u32, u32) {
    unsafe { (host_traps, host_impl_calls, host_last_fault) }
}

#[test]
fn user_call_traps_and_dispatches_by_id() {
    let _k = reset();
    assert_eq!(unsafe { user_add(40, 2) }, 42);
    assert_eq!(state(), (1, 1, 0));
}

#[test]
fn sixty_four_bit_arguments_and_return() {
    let _k = reset();
    let a = -0x1234_5678_9abc_def0_i64;
    let b = 0x0fed_cba9_8765_4321_u64;
    assert_eq!(unsafe { user_add64(a, b) }, a.wrapping_add(b as i64));
    assert_eq!(unsafe { user_add64(i64::MAX - 1, 1) }, i64::MAX);
    assert_eq!(state().2, 0);
}

#[test]
fn seven_parameters_copy_the_extra_words_once_after_a_check() {
    let _k = reset();
    let sum = unsafe { user_sum7(1, 1 << 40, 3, -(1 << 33), 5, 1 << 50, 7) };
    assert_eq!(sum, 1 + (1u64 << 40) + 3 - (1u64 << 33) + 5 + (1u64 << 50) + 7);
    let words = std::mem::size_of::<usize>();
    // One check of exactly the words past the five register words.
    let total_words: usize = [4, 8, 4, 8, 1, 8, 2].iter().map(|b: &usize| b.div_ceil(words)).sum();
    let (checks, size) = unsafe { (host_readable_checks, host_readable_size) };
    assert_eq!(checks, 1);
    assert_eq!(size, (total_words - 5) * words);
}

#[test]
fn unreadable_extra_words_fault_and_skip_the_implementation() {
    let _k = reset();
    unsafe { host_user_memory_ok = 0 };
    assert_eq!(unsafe { user_sum7(1, 2, 3, 4, 5, 6, 7) }, 0);
    assert_eq!(state(), (1, 0, FAULT_BAD_USER_MEMORY));
}

#[test]
fn void_result_and_pointer_argument() {
    let _k = reset();
    let mut obj = host_obj::default();
    unsafe { user_set(&mut obj, 0xabcd) };
    assert_eq!(obj.value, 0xabcd);
    assert_eq!(state(), (1, 1, 0));
}

#[test]
fn struct_result_in_two_words() {
    let _k = reset();
    let pair = unsafe { user_pair_make(0x1111_2222, 0x3333_4444) };
    assert_eq!(pair, host_pair { lo: 0x1111_2222, hi: 0x3333_4444 });
}

#[test]
fn bad_ids_reach_the_bad_id_handler_and_clear_both_result_words() {
    let _k = reset();
    for id in [wrappers::K_SYSCALL_BAD, wrappers::K_SYSCALL_LIMIT, usize::MAX, 1 << 20] {
        let mut hi = 0x5555;
        let lo = unsafe { syscall_host_trap(1, 2, 3, 4, 5, 6, id, &mut hi) };
        assert_eq!((lo, hi), (0, 0), "ID {id}");
        assert_eq!(state().2, FAULT_BAD_ID, "ID {id}");
        unsafe { host_last_fault = 0 };
    }
    assert_eq!(state().1, 0);
}

#[test]
fn not_configured_syscall_faults() {
    let _k = reset();
    assert_eq!(unsafe { user_missing(7) }, 0);
    assert_eq!(state(), (1, 0, FAULT_NOT_CONFIGURED));
}

#[test]
fn kernel_only_caller_calls_the_implementation_directly() {
    let _k = reset();
    assert_eq!(unsafe { kernel_add(2, 3) }, 5);
    assert_eq!(state(), (0, 1, 0));
}

#[test]
fn mixed_caller_asks_the_context_hook() {
    let _k = reset();
    unsafe { host_in_user = 0 };
    assert_eq!(unsafe { mixed_add(2, 3) }, 5);
    assert_eq!(state(), (0, 1, 0));
    unsafe { host_in_user = 1 };
    assert_eq!(unsafe { mixed_add(2, 3) }, 5);
    assert_eq!(state(), (1, 2, 0));
}

#[test]
fn rust_wrappers_use_the_same_ids_and_packing() {
    let _k = reset();
    assert_eq!(unsafe { wrappers::host_add(20, 22) }, 42);
    assert_eq!(unsafe { wrappers::host_add64(-5, 1 << 40) }, (1 << 40) - 5);
    let sum = unsafe { wrappers::host_sum7(1, 2, 3, 4, 5, 6, 7) };
    assert_eq!(sum, 28);
    let pair = unsafe { wrappers::host_pair_make(9, 10) };
    assert_eq!(pair, host_pair { lo: 9, hi: 10 });
    let mut obj = host_obj::default();
    unsafe { wrappers::host_set(&mut obj, 77) };
    assert_eq!(obj.value, 77);
    assert_eq!(unsafe { wrappers::host_missing(1) }, 0);
    assert_eq!(state(), (6, 5, FAULT_NOT_CONFIGURED));
}

#[test]
fn rust_declared_syscalls_work_end_to_end() {
    let _k = reset();
    assert_eq!(unsafe { wrappers::rs_mul(3, 1 << 40) }, 3 << 40);
    let mut buf = [0u8; 8];
    assert_eq!(unsafe { wrappers::rs_fill(buf.as_mut_ptr(), buf.len(), 0x5a) }, 8);
    assert_eq!(buf, [0x5a; 8]);
    assert_eq!(state(), (2, 2, 0));
    assert_eq!(unsafe { host_nonblocking_calls }, 1, "rs_mul only");
}

#[test]
fn nonblocking_calls_run_from_their_own_table() {
    let _k = reset();
    assert_eq!(unsafe { user_add(40, 2) }, 42);
    assert_eq!(unsafe { host_nonblocking_calls }, 1, "host_add is __nonblocking");
    assert_eq!(unsafe { user_add64(1, 2) }, 3);
    assert_eq!(unsafe { host_nonblocking_calls }, 1, "host_add64 is not");
    // Bad IDs and retired ones are not in the table: they take the general path and fault.
    let mut hi = 1;
    assert_eq!(unsafe { syscall_host_trap(1, 2, 3, 4, 5, 6, usize::MAX, &mut hi) }, 0);
    assert_eq!((unsafe { host_nonblocking_calls }, hi), (1, 0));
    assert_eq!(state(), (3, 2, FAULT_BAD_ID));
}
