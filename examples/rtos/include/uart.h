/* The UART subsystem: the API every UART driver instance points at. */
#ifndef RTOS_UART_H
#define RTOS_UART_H

#include "device.h"
#include "syscall.h"

__kobject(driver_api) struct uart_driver_api {
	void (*poll_out)(const struct device *dev, unsigned char c);
};

/* Writes one character, waiting while the UART is busy. */
__syscall void uart_poll_out(const struct device *dev, unsigned char c);

#include <syscalls/uart.h>

#endif
