/* The UART subsystem: the API every UART driver instance points at. */
#ifndef RTOS_UART_H
#define RTOS_UART_H

#include "device.h"

__kobject(driver_api) struct uart_driver_api {
	void (*poll_out)(const struct device *dev, unsigned char c);
};

static inline void uart_poll_out(const struct device *dev, unsigned char c)
{
	((const struct uart_driver_api *)dev->api)->poll_out(dev, c);
}

#endif
