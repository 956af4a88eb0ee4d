/* The MPU driver's interface to the kernel (arch/arm/mpu.c). */
#ifndef RTOS_MPU_H
#define RTOS_MPU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

/* Access values are the PMSAv7 AP field: K_MEM_PARTITION_RW (3) and K_MEM_PARTITION_RO (2)
 * in kernel.h, and this one for stack guards: privileged read only, no user access. */
#define MPU_ACCESS_GUARD 0x5u
/* The first of the K_MEM_DOMAIN_REGIONS regions a domain's partitions use. */
#define MPU_REGION_DOMAIN_FIRST 2u

/* Encodes [start, end) as MPU region `number` (RBAR, RASR) with `access`: 0, or -EINVAL when
 * no single region (with subregions) covers exactly that range. */
int arch_mpu_region(uintptr_t start, uintptr_t end, uint32_t access, unsigned int number,
		    uint32_t region[2]);
/* Flash region on, the others off, the MPU enabled over the default map for the kernel. */
void arch_mpu_init(void);
/* Computes a new thread's stack and guard regions. */
void arch_mpu_thread_setup(struct k_thread *thread);
/* Whether the thread's stack forms an MPU region (a user thread needs one). */
bool arch_mpu_stack_ok(const struct k_thread *thread);
/* Computes the guard under a user thread's privileged stack (priv_stack_top set). */
void arch_mpu_priv_stack_setup(struct k_thread *thread);
/* Programs the MPU for the thread about to run. */
void arch_mpu_switch(const struct k_thread *thread);

#endif
