/* Arm CMSDK APB UART, polled. On mps2-an385 UART0 is QEMU's first serial port. */
#include <stdint.h>

#include <uart.h>

struct cmsdk_uart_regs {
	volatile uint32_t data;
	volatile uint32_t state;
	volatile uint32_t ctrl;
	volatile uint32_t int_status;
	volatile uint32_t baud_div;
};

#define STATE_TX_FULL (1u << 0)
#define CTRL_TX_ENABLE (1u << 0)
/* The smallest divider the hardware accepts; QEMU drops output until one is set. */
#define BAUD_DIV_MIN 16u

struct cmsdk_uart_config {
	struct cmsdk_uart_regs *regs;
};

static struct cmsdk_uart_regs *regs_of(const struct device *dev)
{
	return ((const struct cmsdk_uart_config *)dev->config)->regs;
}

static int cmsdk_uart_init(const struct device *dev)
{
	struct cmsdk_uart_regs *regs = regs_of(dev);
	regs->baud_div = BAUD_DIV_MIN;
	regs->ctrl = CTRL_TX_ENABLE;
	return 0;
}

static void cmsdk_uart_poll_out(const struct device *dev, unsigned char c)
{
	struct cmsdk_uart_regs *regs = regs_of(dev);
	if (!(regs->ctrl & CTRL_TX_ENABLE))
		return; /* not initialised yet (a fault report during boot): the byte would never go */
	while (regs->state & STATE_TX_FULL)
		;
	regs->data = c;
}

static const struct uart_driver_api cmsdk_uart_api = {
	.poll_out = cmsdk_uart_poll_out,
};

static const struct cmsdk_uart_config uart0_config = {
	.regs = (struct cmsdk_uart_regs *)0x40004000u,
};

DEVICE_DEFINE(uart0, cmsdk_uart_init, NULL, &uart0_config, &cmsdk_uart_api);
