/* Application memory partitions: globals a user thread's memory domain can grant access to.
 *
 * K_APP_DMEM(part) places an initialised global, K_APP_BMEM(part) a zero-initialised one, in
 * partition `part` (a C identifier). linker-scripts finds the sections in the object files,
 * sizes and aligns each partition for the MPU and defines its bounds:
 * __app_<part>_start, __app_<part>_end, __app_<part>_size (the MPU-covered bytes),
 * __app_<part>_split (start of its second MPU region; equal to the end for one region),
 * __app_<part>_bss_start, __app_<part>_bss_end.
 *
 * K_APPMEM_PARTITION_DEFINE(part) defines `struct k_mem_partition part` over those bounds,
 * read-write for user threads, ready for k_mem_domain_add_partition. */
#ifndef RTOS_APP_MEMORY_H
#define RTOS_APP_MEMORY_H

#include "kernel.h"

#define K_APP_DMEM(part) __attribute__((section(".app_data." #part)))
#define K_APP_BMEM(part) __attribute__((section(".app_bss." #part)))

#define K_APPMEM_PARTITION_DEFINE(part)                                                      \
	extern char __app_##part##_start[], __app_##part##_split[], __app_##part##_end[];   \
	struct k_mem_partition part = {                                                     \
		.start = (uintptr_t)__app_##part##_start,                                   \
		.split = (uintptr_t)__app_##part##_split,                                   \
		.end = (uintptr_t)__app_##part##_end,                                       \
		.attr = K_MEM_PARTITION_RW,                                                 \
	}

#endif
