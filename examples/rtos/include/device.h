/* Device instances: one struct device per driver instance, pointing at the driver's API
 * struct (its subsystem) and at per-instance configuration and state. Devices defined with
 * DEVICE_DEFINE live in kernel memory and are initialised at boot, before any thread runs. */
#ifndef RTOS_DEVICE_H
#define RTOS_DEVICE_H

#include <stddef.h>

#include "kobject.h"

__kobject(device, api) struct device {
	const char *name;
	const void *api; /* a struct <subsystem>_driver_api */
	const void *config;
	void *data;
	int (*init)(const struct device *dev);
};

#define DEVICE_NAME(dev) device_##dev
#define DEVICE_GET(dev) (&DEVICE_NAME(dev))
#define DEVICE_DECLARE(dev) extern struct device DEVICE_NAME(dev)

#define DEVICE_DEFINE(dev, init_fn, data_ptr, config_ptr, api_ptr)                           \
	struct device DEVICE_NAME(dev) __attribute__((section(".devices"), used)) = {       \
		.name = #dev,                                                               \
		.api = (api_ptr),                                                           \
		.config = (config_ptr),                                                     \
		.data = (data_ptr),                                                         \
		.init = (init_fn),                                                          \
	}

/* Runs every device's init function; reports failures on the console. */
void z_devices_init(void);

#endif
