/* A system call only the test image has: syscall-gen reads application headers too. */
#ifndef TESTS_TEST_SYSCALLS_H
#define TESTS_TEST_SYSCALLS_H

#include <stdint.h>
#include <syscall.h>

/* Seven words: more than the six argument registers, so the last two travel in a block in
 * user memory that the kernel copies once. Its verifier refuses g >= 100, then sleeps two
 * ticks before using the words (time for another thread to rewrite the block), and the call
 * returns a + b + c + d + e + f + g. */
__syscall uint32_t test_words7(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e,
			       uint32_t f, uint32_t g);

#include <syscalls/test_syscalls.h>

#endif
