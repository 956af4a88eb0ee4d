/* The formatter behind printk and snprintk. */
#include <printk.h>

#include "runner.h"

static void integers(void)
{
	char buf[80];
	snprintk(buf, sizeof(buf), "%d|%i|%u|%x|%X|%d", -42, 7, 4000000000u, 0xbeefu, 0xbeefu,
		 (int)0x80000000);
	CHECK_STR(buf, "-42|7|4000000000|beef|BEEF|-2147483648");
}

static void width_and_padding(void)
{
	char buf[80];
	snprintk(buf, sizeof(buf), "[%5d][%-5d][%05d][%08x][%3u][%-3x]", 42, 42, -42, 0x1au, 12345u,
		 0xau);
	CHECK_STR(buf, "[   42][42   ][-0042][0000001a][12345][a  ]");
}

static void strings_chars_pointers(void)
{
	char buf[80];
	snprintk(buf, sizeof(buf), "%s|%6s|%-6s|%c%c|%p|%%|%s", "abc", "abc", "abc", 'o', 'k',
		 (void *)0x2000abcd, (const char *)NULL);
	CHECK_STR(buf, "abc|   abc|abc   |ok|0x2000abcd|%|(null)");
}

static void truncation(void)
{
	char buf[8];
	int len = snprintk(buf, sizeof(buf), "%s-%d", "truncated", 12345);
	CHECK_EQ(len, 15);
	CHECK_STR(buf, "truncat");
}

TEST_SUITE(format_tests, "format",
	   {"integers", integers},
	   {"width_and_padding", width_and_padding},
	   {"strings_chars_pointers", strings_chars_pointers},
	   {"truncation", truncation});
