/* The text helpers the tcp, redis and exec probes share (targets.h):
 * host:port splitting, first-line extraction, library error texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "probes/targets.h"

static void test_split_hostport(void **state)
{
    char host[64];
    int port = 0;

    (void)state;
    assert_int_equal(target_split_hostport("127.0.0.1:6379", host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6379);
    assert_int_equal(target_split_hostport("db.example:1", host, sizeof(host), &port), 0);
    assert_string_equal(host, "db.example");
    assert_int_equal(port, 1);
    assert_int_equal(target_split_hostport("[::1]:65535", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);

    const char *bad[] = {"",        "host",   "host:",   ":80",  "host:0", "host:65536",
                         "host:8o", "::1:80", "[::1]80", "[::1", "[]:80",  "host:80 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(target_split_hostport(bad[i], host, sizeof(host), &port), -1);
    assert_int_equal(target_split_hostport("abcdef:80", host, 4, &port), -1);
}

static void test_first_line_trimmed_and_blanked(void **state)
{
    char out[16];
    const char *s;

    (void)state;
    s = "\n \t\r\n  hello world \r\nnext";
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 15));
    assert_string_equal(out, "hello world");
    s = "a\tb\x1b"
        "c";
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 15));
    assert_string_equal(out, "a b\\x1bc"); /* a tab reads as a space; ESC shows */
    s = "\n  \n\t";
    assert_false(target_first_line(out, sizeof(out), s, strlen(s), 15));
    assert_string_equal(out, "");
    /* Cut at max bytes, never inside a UTF-8 sequence, with "..." saying
     * something was cut. */
    s = "abcd\xc3\xa9\xc3\xa9";
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 8));
    assert_string_equal(out, "abcd\xc3\xa9\xc3\xa9");
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 7));
    assert_string_equal(out, "abcd...");
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 9));
    assert_string_equal(out, "abcd\xc3\xa9\xc3\xa9");
    /* Bounded by the destination too. */
    s = "0123456789abcdefghij";
    assert_true(target_first_line(out, sizeof(out), s, strlen(s), 100));
    assert_string_equal(out, "0123456789ab...");
    /* Only len bytes are read. */
    assert_true(target_first_line(out, sizeof(out), "xyz", 2, 10));
    assert_string_equal(out, "xy");
}

static void test_errtext_lowercases_system_errors(void **state)
{
    char out[64];

    (void)state;
    target_errtext(out, sizeof(out), "Connection refused");
    assert_string_equal(out, "connection refused");
    target_errtext(out, sizeof(out), "Server closed the connection");
    assert_string_equal(out, "server closed the connection");
    target_errtext(out, sizeof(out), "ERR invalid password");
    assert_string_equal(out, "ERR invalid password");
    target_errtext(out, sizeof(out), "WRONGPASS invalid username-password pair\r\nmore");
    assert_string_equal(out, "WRONGPASS invalid username-password pair");
    target_errtext(out, sizeof(out), "");
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_hostport),
        cmocka_unit_test(test_first_line_trimmed_and_blanked),
        cmocka_unit_test(test_errtext_lowercases_system_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
