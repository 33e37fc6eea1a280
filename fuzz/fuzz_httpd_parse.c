/* libFuzzer target: httpd_parse, the request parser of the HTTP server
 * that --listen exposes to the network (and of the demo and fixtures),
 * with httpd_header and httpd_query over what it parsed.
 *
 * Properties checked beyond "no crash, no sanitizer report": a parsed
 * head is never longer than the input; a request it accepts has a method
 * and a target ("" when it starts with '?'), at most HTTPD_MAX_HEADERS headers, and every
 * string it hands out lies inside the buffer it was given (the strings
 * are parsed in place); a query value is always NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"

static void inside(const char *p, const char *buf, size_t len)
{
    if (p == NULL || p < buf || p >= buf + len + 1 || strlen(p) > len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), out[64];
    struct httpd_req req;
    long head;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    head = httpd_parse(buf, size, &req);
    if (head > (long)size)
        abort();
    if (head > 0) {
        if (req.method == NULL || req.method[0] == '\0' || req.path == NULL)
            abort();
        inside(req.method, buf, size);
        inside(req.path, buf, size);
        if (req.query[0] != '\0')
            inside(req.query, buf, size);
        if (req.nheaders > HTTPD_MAX_HEADERS)
            abort();
        for (size_t i = 0; i < req.nheaders; i++) {
            inside(req.headers[i].name, buf, size);
            inside(req.headers[i].value, buf, size);
        }
        (void)httpd_header(&req, "Authorization");
        (void)httpd_header(&req, "Accept");
        if (httpd_query(&req, "ms", out, sizeof(out)) && memchr(out, '\0', sizeof(out)) == NULL)
            abort();
    }
    free(buf);
    return 0;
}
