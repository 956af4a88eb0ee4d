/* Application memory partitions: globals a user thread's memory domain can grant access to.
 *
 * K_APP_DMEM(part) places an initialised global, K_APP_BMEM(part) a zero-initialised one, in
 * partition `part` (a C identifier). linker-scripts finds the sections in the object files,
 * sizes and aligns each partition for the MPU and defines its bounds:
 * __app_<part>_start, __app_<part>_end, __app_<part>_size (the MPU-covered bytes),
 * __app_<part>_split (start of its second MPU region; equal to the end for one region),
 * __app_<part>_bss_start, __app_<part>_bss_end. */
#ifndef RTOS_APP_MEMORY_H
#define RTOS_APP_MEMORY_H

#define K_APP_DMEM(part) __attribute__((section(".app_data." #part)))
#define K_APP_BMEM(part) __attribute__((section(".app_bss." #part)))

#endif
