/* Application partitions as the linker-scripts fragments lay them out: data copied from flash,
 * bss zeroed, and each partition a valid ARMv7-M MPU region (power-of-two size of at least
 * 32 bytes, base aligned to it) or two such pieces. */
#include <app_memory.h>

#include "runner.h"

K_APP_DMEM(sensor_part) uint32_t sensor_calibration[3] = {11, 22, 33};
K_APP_BMEM(sensor_part) uint32_t sensor_samples[40];
K_APP_BMEM(log_part) char log_buffer[300];

extern char __app_sensor_part_start[], __app_sensor_part_end[], __app_sensor_part_split[];
extern char __app_log_part_start[], __app_log_part_end[], __app_log_part_split[];

static int is_mpu_region(uintptr_t start, uintptr_t end)
{
	uintptr_t size = end - start;
	return size >= 32 && (size & (size - 1)) == 0 && start % size == 0;
}

/* A partition piece is either a whole region or subregions of one: check the whole region
 * that holds it, as the MPU driver will program it. */
static int fits_one_region(uintptr_t start, uintptr_t end)
{
	if (start == end)
		return 1;
	for (uintptr_t size = 32; size != 0; size <<= 1) {
		uintptr_t base = start & ~(size - 1);
		if (end <= base + size)
			return is_mpu_region(base, base + size) &&
			       (end - start == size || (size >= 256 && (start - base) % (size / 8) == 0 &&
							(end - base) % (size / 8) == 0));
	}
	return 0;
}

static void data_and_bss_start_right(void)
{
	CHECK_EQ(sensor_calibration[0] + sensor_calibration[1] + sensor_calibration[2], 66);
	for (size_t i = 0; i < sizeof(sensor_samples) / sizeof(sensor_samples[0]); i++)
		CHECK_EQ(sensor_samples[i], 0);
	for (size_t i = 0; i < sizeof(log_buffer); i++)
		CHECK_EQ(log_buffer[i], 0);
}

#define ADDR(p) ((uintptr_t)(p))

static void partitions_hold_their_globals(void)
{
	CHECK(ADDR(sensor_calibration) >= ADDR(__app_sensor_part_start) &&
		      ADDR(sensor_samples + 40) <= ADDR(__app_sensor_part_end),
	      "sensor_part does not hold its globals");
	CHECK(ADDR(log_buffer) >= ADDR(__app_log_part_start) &&
		      ADDR(log_buffer + 300) <= ADDR(__app_log_part_end),
	      "log_part does not hold its buffer");
	CHECK(ADDR(__app_sensor_part_end) <= ADDR(__app_log_part_start) ||
		      ADDR(__app_log_part_end) <= ADDR(__app_sensor_part_start),
	      "the partitions overlap");
}

static void partitions_are_mpu_regions(void)
{
	struct {
		const char *name;
		char *start, *split, *end;
	} parts[] = {
		{"sensor_part", __app_sensor_part_start, __app_sensor_part_split, __app_sensor_part_end},
		{"log_part", __app_log_part_start, __app_log_part_split, __app_log_part_end},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uintptr_t start = (uintptr_t)parts[i].start, split = (uintptr_t)parts[i].split;
		uintptr_t end = (uintptr_t)parts[i].end;
		CHECK(start < split && split <= end, "%s: bounds %08lx %08lx %08lx", parts[i].name,
		      (unsigned long)start, (unsigned long)split, (unsigned long)end);
		CHECK(fits_one_region(start, split) && fits_one_region(split, end),
		      "%s [%08lx, %08lx) is no MPU region", parts[i].name, (unsigned long)start,
		      (unsigned long)end);
	}
}

TEST_SUITE(partition_tests, "partition",
	   {"data_and_bss_start_right", data_and_bss_start_right},
	   {"partitions_hold_their_globals", partitions_hold_their_globals},
	   {"partitions_are_mpu_regions", partitions_are_mpu_regions});
