/* Boot-time initialisation of the devices DEVICE_DEFINE placed in the .devices section. */
#include <device.h>
#include <printk.h>

extern struct device __devices_start[];
extern struct device __devices_end[];

void z_devices_init(void)
{
	for (struct device *dev = __devices_start; dev < __devices_end; dev++) {
		if (dev->init == NULL)
			continue;
		int err = dev->init(dev);
		if (err != 0)
			printk("device %s: init failed (%d)\n", dev->name, err);
	}
}
