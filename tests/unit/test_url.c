/* url.h: URLs through CURLU with the config's rules around it (the
 * credentials up to the last '@', %-decoding, plain messages for a bad
 * host or port), "host:port" addresses, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/url.h"
#include "support/check.h"

/* Parses s, expecting success. */
static void parse_ok(const char *s, int flags, struct url *u)
{
    const char *why = NULL;

    if (url_parse(s, flags, u, &why) != 0)
        fail_msg("url_parse(\"%s\") failed: %s", s, why);
}

/* Parses s, expecting a failure whose message contains want. */
static void parse_bad(const char *s, int flags, const char *want)
{
    struct url u;
    const char *why = NULL;

    if (url_parse(s, flags, &u, &why) == 0)
        fail_msg("url_parse(\"%s\") succeeded, expected \"%s\"", s, want);
    assert_non_null(why);
    CHECK_CONTAINS(s, why, want);
    assert_null(u.host);
    assert_null(u.scheme);
}

static void test_parts(void **state)
{
    struct url u;

    (void)state;
    parse_ok("HTTP://alice:s3cret@Example.org:8080/a/b?x=1&y=2#top", 0, &u);
    assert_string_equal(u.scheme, "http");
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.host, "Example.org");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/a/b");
    assert_string_equal(u.query, "x=1&y=2");
    assert_string_equal(u.fragment, "top");
    url_free(&u);

    /* Nothing optional given: no port, no credentials, path "/". */
    parse_ok("redis://h", 0, &u);
    assert_string_equal(u.scheme, "redis");
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 0);
    assert_null(u.user);
    assert_null(u.password);
    assert_string_equal(u.path, "/");
    assert_null(u.query);
    assert_null(u.fragment);
    url_free(&u);
    url_free(&u); /* harmless twice */

    /* The path as written: no dot segments removed. */
    parse_ok("redis://h/./1", 0, &u);
    assert_string_equal(u.path, "/./1");
    url_free(&u);
}

static void test_ipv6(void **state)
{
    struct url u;

    (void)state;
    parse_ok("redis://[::1]:7000/15", 0, &u);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    url_free(&u);
    parse_ok("http://[2001:db8::8:1]/", 0, &u);
    assert_string_equal(u.host, "2001:db8::8:1");
    assert_int_equal(u.port, 0);
    url_free(&u);

    parse_bad("http://::1:80/", 0, "an IPv6 address goes in brackets");
    parse_bad("http://[::1/", 0, "an IPv6 address goes in brackets");
    parse_bad("http://[]:80/", 0, "an IPv6 address goes in brackets");
    parse_bad("http://[zz::1]:80/", 0, "bad character in an IPv6 address");
    /* A zone id ("%25eth0") is not for a health check's config. */
    parse_bad("http://[fe80::1%25eth0]:80/", 0, "bad character in an IPv6 address");
    parse_bad("http://[::1]x/", 0, "the port must be a number: host:port");
}

/* Credentials: %-decoded, up to the last '@' of the authority, ':'
 * splitting user from password at its first occurrence. */
static void test_userinfo(void **state)
{
    struct url u;

    (void)state;
    parse_ok("redis://alice:p%40ss%3Aw@[::1]:7000/15", 0, &u);
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.password, "p@ss:w");
    url_free(&u);

    /* A raw '@' and ':' in the password: the last '@' ends it. */
    parse_ok("redis://bob:p@ss:w@rd@h:1/2", 0, &u);
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.password, "p@ss:w@rd");
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 1);
    url_free(&u);

    /* Spaces and ';' in a password reach it whole. */
    parse_ok("redis://u;x:a b;c@h", 0, &u);
    assert_string_equal(u.user, "u;x");
    assert_string_equal(u.password, "a b;c");
    url_free(&u);

    /* No user, empty password, lone user, empty userinfo. */
    parse_ok("redis://:pw@h", 0, &u);
    assert_null(u.user);
    assert_string_equal(u.password, "pw");
    url_free(&u);
    parse_ok("redis://:@h", 0, &u);
    assert_null(u.user);
    assert_string_equal(u.password, "");
    url_free(&u);
    parse_ok("redis://secret@h", 0, &u);
    assert_string_equal(u.user, "secret");
    assert_null(u.password);
    url_free(&u);
    parse_ok("redis://@h", 0, &u);
    assert_null(u.user);
    assert_null(u.password);
    url_free(&u);

    /* Escapes that are no escapes, and %00, stay as written. */
    parse_ok("redis://a%zz:b%00%4@h", 0, &u);
    assert_string_equal(u.user, "a%zz");
    assert_string_equal(u.password, "b%00%4");
    url_free(&u);

    /* An '@' after the authority belongs to the path, not the userinfo. */
    parse_ok("http://h/a@b", 0, &u);
    assert_null(u.user);
    assert_string_equal(u.host, "h");
    assert_string_equal(u.path, "/a@b");
    url_free(&u);

    /* Given to libcurl as written, a raw '@' in a password is refused. */
    parse_bad("http://u:p@ss@h/", URL_RAW_USERINFO, "");
    parse_ok("http://u:p%40ss@h/", URL_RAW_USERINFO, &u);
    assert_string_equal(u.password, "p@ss");
    url_free(&u);
}

static void test_bad_host_and_port(void **state)
{
    (void)state;
    parse_bad("redis://", 0, "no host: write host:port");
    parse_bad("redis://:6379", 0, "no host: write host:port");
    parse_bad("redis://u:p@/0", 0, "no host: write host:port");
    parse_bad("http://h x/", 0, "bad character in the host name");
    parse_bad("http://h!/", 0, "bad character in the host name");
    parse_bad("redis://h:0", 0, "the port must be a number from 1 to 65535");
    parse_bad("redis://h:65536", 0, "the port must be a number from 1 to 65535");
    parse_bad("redis://h:99999999999999999999999", 0, "from 1 to 65535");
    parse_bad("redis://h:80x", 0, "from 1 to 65535");
    parse_bad("redis://h:http", 0, "the port must be a number: host:port");
    parse_bad("redis://h:", 0, "the port must be a number: host:port");
    parse_bad("redis://h:-1", 0, "the port must be a number: host:port");
    parse_bad("http://h/a b", 0, "spaces and control characters must be %-encoded");
    parse_bad("http://h/\x1b[2J", 0, "spaces and control characters must be %-encoded");
}

static void test_scheme(void **state)
{
    (void)state;
    parse_bad("h:6379", 0, "a URL starts with its scheme");
    parse_bad("://h", 0, "a URL starts with its scheme");
    parse_bad("1x://h", 0, "a URL starts with its scheme");
    parse_bad("", 0, "a URL starts with its scheme");
    assert_true(url_has_scheme("REDIS://h", "redis"));
    assert_true(url_has_scheme("redis://", "redis"));
    assert_false(url_has_scheme("rediss://h", "redis"));
    assert_false(url_has_scheme("redis:/h", "redis"));
    assert_false(url_has_scheme("red", "redis"));
}

/* Overlong input is refused with a reason, never cut. */
static void test_overlong(void **state)
{
    char *s = malloc(URL_MAX_LEN + 64);
    struct url u;

    (void)state;
    assert_non_null(s);
    strcpy(s, "http://");
    memset(s + 7, 'a', 300);
    strcpy(s + 307, ":80/");
    parse_bad(s, 0, "the host name is longer than 255 bytes");

    /* A long password is fine as long as the whole URL is. */
    strcpy(s, "redis://:");
    memset(s + 9, 'p', 4000);
    strcpy(s + 4009, "@h:1/");
    parse_ok(s, 0, &u);
    assert_int_equal(strlen(u.password), 4000);
    url_free(&u);

    strcpy(s, "http://h/");
    memset(s + 9, 'x', URL_MAX_LEN);
    s[9 + URL_MAX_LEN] = '\0';
    parse_bad(s, 0, "the URL is longer than 64 KiB");
    free(s);
}

static void test_userinfo_spans(void **state)
{
    const char *ui, *pw;
    size_t len, pwlen;

    (void)state;
    assert_true(url_userinfo("redis://u:p@w@h/x@y", false, &ui, &len));
    assert_int_equal(len, 5);
    assert_memory_equal(ui, "u:p@w", 5);
    /* The authority ends at '/', '?' or '#', unless to_last_at. */
    assert_true(url_userinfo("redis://u:p@w@h/x@y", true, &ui, &len));
    assert_memory_equal(ui, "u:p@w@h/x", len);
    assert_false(url_userinfo("http://h/a@b", false, &ui, &len));
    assert_false(url_userinfo("http://h", true, &ui, &len));
    /* No scheme: the authority is the start. */
    assert_true(url_userinfo("u:pw@h:80", false, &ui, &len));
    assert_int_equal(len, 4);

    url_userinfo_password("u:p:q", 5, &pw, &pwlen);
    assert_memory_equal(pw, "p:q", 3);
    assert_int_equal(pwlen, 3);
    url_userinfo_password("user", 4, &pw, &pwlen);
    assert_null(pw);
    url_userinfo_password(":", 1, &pw, &pwlen);
    assert_non_null(pw);
    assert_int_equal(pwlen, 0);
}

/* url_hostport(s) fails with exactly the message want. */
static void hostport_bad(const char *s, bool port_opt, const char *want)
{
    char host[256];
    const char *why = NULL;
    int port = -1;

    assert_int_equal(url_hostport(s, port_opt, host, sizeof(host), &port, &why), -1);
    CHECK_STR(s, why, want);
}

/* "host:port" addresses, as the tcp probe takes them. */
static void test_hostport(void **state)
{
    char host[256], small[4], big[300];
    const char *why = NULL;
    int port = -1;

    (void)state;
    assert_int_equal(url_hostport("db.internal:5432", false, host, sizeof(host), &port, &why), 0);
    assert_string_equal(host, "db.internal");
    assert_int_equal(port, 5432);
    assert_int_equal(url_hostport("[::1]:6379", false, host, sizeof(host), &port, &why), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 6379);
    assert_int_equal(url_hostport("h", true, host, sizeof(host), &port, &why), 0);
    assert_string_equal(host, "h");
    assert_int_equal(port, 0);

    hostport_bad("h", false, "missing port: write host:port");
    hostport_bad(":80", false, "no host: write host:port");
    hostport_bad("", true, "no host: write host:port");
    hostport_bad("::1:80", false, "an IPv6 address goes in brackets: [::1]:5000");
    hostport_bad("[zz]:80", false, "bad character in an IPv6 address");
    hostport_bad("h/x:80", false, "bad character in the host name");
    hostport_bad("h@x:80", false, "bad character in the host name");
    hostport_bad("h:0", false, "the port must be a number from 1 to 65535");
    hostport_bad("h:http", false, "the port must be a number: host:port");
    /* A host that does not fit is refused, not cut. */
    assert_int_equal(url_hostport("abcd:1", false, small, sizeof(small), &port, &why), -1);
    assert_string_equal(why, "the host name is too long");
    memset(big, 'a', 256);
    strcpy(big + 256, ":80");
    hostport_bad(big, false, "the host name is longer than 255 bytes");
    assert_int_equal(url_hostport("abc:1", false, small, sizeof(small), &port, &why), 0);
    assert_string_equal(small, "abc");
}

static void test_decode(void **state)
{
    char *s;

    (void)state;
    s = url_decode("a%41%2f%2F%", 11);
    assert_string_equal(s, "aA//%");
    free(s);
    /* Only n bytes are read: "%4" at the end is no escape. */
    s = url_decode("x%41", 3);
    assert_string_equal(s, "x%4");
    free(s);
    s = url_decode("%00%ZZ", 6);
    assert_string_equal(s, "%00%ZZ");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),          cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_userinfo),       cmocka_unit_test(test_bad_host_and_port),
        cmocka_unit_test(test_scheme),         cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_userinfo_spans), cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
