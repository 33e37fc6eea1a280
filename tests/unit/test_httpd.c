/* httpd's request parser and its query and header helpers: pure
 * functions, no network. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "httpd.h"

static long parse(const char *text, struct httpd_req *req, char *scratch, size_t n)
{
    ht_strlcpy(scratch, text, n);
    return httpd_parse(scratch, strlen(scratch), req);
}

static void test_parse_request_head(void **state)
{
    char b[1024], v[64];
    struct httpd_req req;
    const char *get = "GET /body?text=hello+w%21&x&n=1 HTTP/1.1\r\nHost: a\r\n"
                      "X-Thing:  spaced  \r\n\r\nNEXT";

    (void)state;
    assert_int_equal(parse(get, &req, b, sizeof(b)), (long)strlen(get) - 4);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/body");
    assert_string_equal(req.query, "text=hello+w%21&x&n=1");
    assert_true(req.keep_alive);
    assert_false(req.head);
    assert_int_equal(req.nheaders, 2);
    assert_string_equal(httpd_header(&req, "x-thing"), "spaced");
    assert_null(httpd_header(&req, "Cookie"));
    assert_true(httpd_query(&req, "text", v, sizeof(v)));
    assert_string_equal(v, "hello w!");
    assert_true(httpd_query(&req, "x", v, sizeof(v)));
    assert_string_equal(v, "");
    assert_true(httpd_query(&req, "n", v, sizeof(v)));
    assert_string_equal(v, "1");
    assert_false(httpd_query(&req, "te", v, sizeof(v)));
    assert_true(httpd_query(&req, "text", v, 4)); /* truncated, terminated */
    assert_string_equal(v, "hel");

    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n", &req, b, sizeof(b)), 0);
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req, b, sizeof(b)), 18);
    assert_false(req.keep_alive);
    assert_string_equal(req.query, "");
    parse("HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req, b, sizeof(b));
    assert_true(req.keep_alive && req.head);
    parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &req, b, sizeof(b));
    assert_false(req.keep_alive);
    parse("POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n", &req, b, sizeof(b));
    assert_int_equal(req.content_length, 12);
}

static void test_parse_rejects_malformed_heads(void **state)
{
    static const char *const bad[] = {
        "GET /\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 x\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "SSH-2.0-OpenSSH_9.2\r\n\r\n",
    };
    char b[512];
    struct httpd_req req;

    (void)state;
    for (size_t i = 0; i < HT_ARRAY_LEN(bad); i++)
        if (parse(bad[i], &req, b, sizeof(b)) != -1)
            fail_msg("accepted: %s", bad[i]);
    /* A NUL inside the head, and more headers than the server keeps. */
    memcpy(b, "GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24);
    assert_int_equal(httpd_parse(b, 24, &req), -1);
    ht_strlcpy(b, "GET / HTTP/1.1\r\n", sizeof(b));
    for (int i = 0; i <= HTTPD_MAX_HEADERS; i++)
        strcat(b, "A: b\r\n");
    strcat(b, "\r\n");
    assert_int_equal(httpd_parse(b, strlen(b), &req), -1);
    assert_string_equal(httpd_reason(503), "Service Unavailable");
    assert_string_equal(httpd_reason(299), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_request_head),
        cmocka_unit_test(test_parse_rejects_malformed_heads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
