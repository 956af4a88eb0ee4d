/* The UART subsystem's system call: a driver instance's poll_out through its API. */
#include <syscall_handler.h>
#include <uart.h>

void z_impl_uart_poll_out(const struct device *dev, unsigned char c)
{
	((const struct uart_driver_api *)dev->api)->poll_out(dev, c);
}

void z_vrfy_uart_poll_out(const struct device *dev, unsigned char c)
{
	z_object_verify(dev, K_OBJ_DRIVER_UART, Z_MUST_INIT);
	z_impl_uart_poll_out(dev, c);
}
