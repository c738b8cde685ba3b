// SPDX-License-Identifier: MIT
// Unit tests for the hypervisor's printf (hyp/lib/format.c): conversions, flags, widths given as
// digits or as an argument, and truncation to the buffer.
#include "check.h"
#include "lib/format.h"

#include <stdint.h>

static char buf[64];

#define FMT(...) (fmt_snprintf(buf, sizeof buf, __VA_ARGS__), buf)

TEST(conversions_and_flags)
{
    CHECK_STR(FMT("%d %i %u", -42, 7, 4000000000u), "-42 7 4000000000");
    CHECK_STR(FMT("%x %X %lx", 0xbeefu, 0xbeefu, 0x123456789abcul), "beef BEEF 123456789abc");
    CHECK_STR(FMT("%c%s%%", 'a', "bc"), "abc%");
    CHECK_STR(FMT("[%5d][%-5d][%05d]", 42, 42, -42), "[   42][42   ][-0042]");
    CHECK_STR(FMT("[%6s][%-6s]", "ab", "ab"), "[    ab][ab    ]");
    CHECK_STR(FMT("%zu %lu", (size_t)12, 18446744073709551615ul), "12 18446744073709551615");
}

TEST(a_width_from_the_arguments)
{
    CHECK_STR(FMT("[%*s]", 6, "ab"), "[    ab]");
    CHECK_STR(FMT("[%-*s]|", 6, "ab"), "[ab    ]|");
    CHECK_STR(FMT("[%*s]", -6, "ab"), "[ab    ]"); /* negative: to the left, as printf */
    CHECK_STR(FMT("[%*u]", 4, 7u), "[   7]");
    CHECK_STR(FMT("[%-*s]", 0, "abc"), "[abc]");
    /* Narrower than the text: the text whole. */
    CHECK_STR(FMT("[%*s]", 2, "abcdef"), "[abcdef]");
    /* A huge width is capped, and the buffer still ends in a NUL within its size. */
    int n = fmt_snprintf(buf, sizeof buf, "%*s", 1 << 30, "x");
    CHECK_EQ((size_t)n, sizeof buf - 1);
    CHECK_EQ(buf[sizeof buf - 1], '\0');
    n = fmt_snprintf(buf, sizeof buf, "%*s", -(1 << 30), "x");
    CHECK_EQ(buf[0], 'x');
    CHECK_EQ((size_t)n, sizeof buf - 1);
}

TEST(truncation_keeps_a_terminated_prefix)
{
    char small[5];
    int n = fmt_snprintf(small, sizeof small, "%s-%d", "abcdef", 1);
    CHECK_STR(small, "abcd");
    CHECK_EQ(n, 4);
    n = fmt_snprintf(small, 1, "%d", 12345);
    CHECK_EQ(small[0], '\0');
    CHECK_EQ(n, 0);
}
