/* The ARMv7-M (PMSAv7) MPU: 8 regions, each a power of two of at least 32 bytes aligned to
 * its size, with eight subregions that can be switched off when it is 256 bytes or more; the
 * highest-numbered region wins where regions overlap. Privileged code keeps the default
 * memory map underneath (PRIVDEFENA), so the regions only say what user threads may touch.
 *
 *   0     flash: code and read-only data, readable and executable by everyone
 *   1     the running user thread's stack, read-write
 *   2..6  the partitions of its memory domain
 *   7     the guard at the bottom of the running thread's stack: privileged read only, so
 *         an overflow faults before it leaves the stack (for user and kernel threads alike,
 *         and for the privileged stack while a user thread's system call runs on it)
 */
#include <arch.h>
#include <kernel_internal.h>
#include <mpu.h>

#define MPU_CTRL (*(volatile uint32_t *)0xe000ed94u)
/* RBAR then RASR, and three aliases of the pair: four regions in eight consecutive words. */
#define MPU_REGION_PAIRS ((volatile uint32_t *)0xe000ed9cu)

#define MPU_CTRL_ENABLE (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)

#define RBAR_VALID (1u << 4)
#define RASR_ENABLE 1u
#define RASR_SIZE(log2) (((log2) - 1u) << 1)
#define RASR_SRD(mask) ((uint32_t)(mask) << 8)
#define RASR_XN (1u << 28)
#define RASR_AP(ap) ((uint32_t)(ap) << 24)
#define RASR_NORMAL_WB ((1u << 17) | (1u << 16)) /* TEX 0, C, B: normal memory */
#define RASR_FLASH (1u << 17)                    /* TEX 0, C: write-through */

#define AP_ALL_RO 0x6u /* read only for everyone */

#define FLASH_BASE 0x00000000u
#define FLASH_LOG2_SIZE 22u /* 4 MiB */

enum { REGION_FLASH, REGION_STACK, REGION_GUARD = 7 };

int arch_mpu_region(uintptr_t start, uintptr_t end, uint32_t access, unsigned int number,
		    uint32_t region[2])
{
	if (end <= start || number > REGION_GUARD)
		return -EINVAL;
	for (uint32_t log2 = 5; log2 < 32; log2++) {
		uintptr_t size = (uintptr_t)1 << log2;
		uintptr_t base = start & ~(size - 1);
		if (end - base > size)
			continue; /* also true when base + size wraps: end - base stays exact */
		uint32_t srd = 0;
		if (start != base || end - base != size) {
			/* Partly covered: only whole subregions of a region of 256 bytes or more. */
			uintptr_t sub = size / 8;
			if (size < 256 || (start - base) % sub != 0 || (end - base) % sub != 0)
				return -EINVAL;
			for (unsigned int i = 0; i < 8; i++)
				if (base + i * sub < start || base + i * sub >= end)
					srd |= 1u << i;
		}
		region[0] = (uint32_t)base | RBAR_VALID | number;
		region[1] = RASR_XN | RASR_AP(access) | RASR_NORMAL_WB | RASR_SRD(srd) |
			    RASR_SIZE(log2) | RASR_ENABLE;
		return 0;
	}
	return -EINVAL;
}

static void write_regions(const uint32_t (*const regions[4])[2])
{
	volatile uint32_t *pairs = MPU_REGION_PAIRS;
	for (unsigned int i = 0; i < 4; i++) {
		pairs[2 * i] = (*regions[i])[0];
		pairs[2 * i + 1] = (*regions[i])[1];
	}
}

static const uint32_t flash_region[2] = {
	FLASH_BASE | RBAR_VALID | REGION_FLASH,
	RASR_AP(AP_ALL_RO) | RASR_FLASH | RASR_SIZE(FLASH_LOG2_SIZE) | RASR_ENABLE,
};

void arch_mpu_init(void)
{
	static const uint32_t off[8][2] = {
		{RBAR_VALID | 0, 0}, {RBAR_VALID | 1, 0}, {RBAR_VALID | 2, 0}, {RBAR_VALID | 3, 0},
		{RBAR_VALID | 4, 0}, {RBAR_VALID | 5, 0}, {RBAR_VALID | 6, 0}, {RBAR_VALID | 7, 0},
	};
	const uint32_t(*first[4])[2] = {&flash_region, &off[1], &off[2], &off[3]};
	const uint32_t(*second[4])[2] = {&off[4], &off[5], &off[6], &off[7]};
	write_regions(first);
	write_regions(second);
	MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
	__asm__ volatile("dsb\n\tisb" ::: "memory");
}

void arch_mpu_thread_setup(struct k_thread *thread)
{
	uintptr_t base = (uintptr_t)thread->stack;
	uintptr_t end = base + thread->stack_size;
	if (arch_mpu_region(base, end, K_MEM_PARTITION_RW, REGION_STACK, thread->stack_region) != 0)
		thread->stack_region[0] = thread->stack_region[1] = 0;
	if (arch_mpu_region(base, base + K_STACK_GUARD, MPU_ACCESS_GUARD, REGION_GUARD,
			    thread->guard_region) != 0 ||
	    thread->stack_region[1] == 0) {
		/* A kernel stack without MPU alignment: only the sentinel watches it. */
		thread->guard_region[0] = RBAR_VALID | REGION_GUARD;
		thread->guard_region[1] = 0;
	}
}

void arch_mpu_priv_stack_setup(struct k_thread *thread)
{
	uintptr_t bottom = (uintptr_t)thread->priv_stack_top - K_PRIV_STACK_SIZE;
	if (arch_mpu_region(bottom, bottom + K_STACK_GUARD, MPU_ACCESS_GUARD, REGION_GUARD,
			    thread->priv_guard_region) != 0) {
		/* Cannot happen with the aligned privileged stacks; the sentinel still watches. */
		thread->priv_guard_region[0] = RBAR_VALID | REGION_GUARD;
		thread->priv_guard_region[1] = 0;
	}
}

bool arch_mpu_stack_ok(const struct k_thread *thread)
{
	return thread->stack_region[1] != 0;
}

/* Runs in PendSV with the kernel lock held: the next thread's view of memory. */
void arch_mpu_switch(const struct k_thread *thread)
{
	volatile uint32_t *pairs = MPU_REGION_PAIRS;
	if (thread->mode == K_MODE_KERNEL && thread->priv_stack_top == NULL) {
		/* A kernel thread: only its guard matters; user regions go unused meanwhile. */
		pairs[0] = thread->guard_region[0];
		pairs[1] = thread->guard_region[1];
		return;
	}
	const struct k_mem_domain *domain = thread->domain;
	/* In a system call the privileged stack is the one in use (syscall.S moves the guard). */
	const uint32_t(*guard)[2] =
		thread->mode == K_MODE_KERNEL ? &thread->priv_guard_region : &thread->guard_region;
	const uint32_t(*first[4])[2] = {&flash_region, &thread->stack_region, &domain->regions[0],
					&domain->regions[1]};
	const uint32_t(*second[4])[2] = {&domain->regions[2], &domain->regions[3],
					 &domain->regions[4], guard};
	write_regions(first);
	write_regions(second);
}
