/* test_buf — the growable buffer: appends, printf, escaping, take/free. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"

Test(buf, empty_buffer_reads_as_empty_string)
{
    nw_buf b = NW_BUF_INIT;
    cr_assert_str_eq(nw_buf_str(&b), "");
    char *s = nw_buf_take(&b);
    cr_assert_str_eq(s, "");
    free(s);
}

Test(buf, appends_grow_past_initial_capacity)
{
    nw_buf b = NW_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        nw_buf_printf(&b, "%03d,", i % 1000);
    cr_assert_eq(b.len, 4000);
    cr_assert_eq(strncmp(b.data, "000,001,002,", 12), 0);
    cr_assert_str_eq(b.data + 3996, "999,");
    cr_assert_not(nw_buf_failed(&b));
    nw_buf_free(&b);
    cr_assert_null(b.data);
}

Test(buf, html_escape_covers_the_five_characters)
{
    nw_buf b = NW_BUF_INIT;
    const char *in = "a<b>&\"c'd";
    nw_buf_html_escape(&b, in, strlen(in));
    cr_assert_str_eq(nw_buf_str(&b), "a&lt;b&gt;&amp;&quot;c&#39;d");
    nw_buf_free(&b);
}

Test(buf, truncate_and_binary_bytes)
{
    nw_buf b = NW_BUF_INIT;
    nw_buf_append(&b, "ab\0cd", 5);
    cr_assert_eq(b.len, 5);
    cr_assert_eq(memcmp(b.data, "ab\0cd", 5), 0);
    nw_buf_truncate(&b, 2);
    cr_assert_str_eq(nw_buf_str(&b), "ab");
    nw_buf_putc(&b, 'z');
    cr_assert_str_eq(nw_buf_str(&b), "abz");
    nw_buf_free(&b);
}
