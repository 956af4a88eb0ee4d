// System calls declared in Rust: syscall-gen reads this file with syn (it is not compiled).
extern "C" {
    #[syscall(nonblocking)]
    fn rs_mul(a: u32, b: u64) -> u64;

    #[syscall]
    fn rs_fill(buf: *mut u8, len: usize, byte: u8) -> usize;
}
