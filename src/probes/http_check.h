/* The checks an http probe applies to one answer (status, body, JSON
 * fields), what a redirect may carry, and the small formatters its
 * messages use. Pure functions: no transfer, no loop (curl's URL parser
 * only). */
#ifndef HEALTHTOP_PROBES_HTTP_CHECK_H
#define HEALTHTOP_PROBES_HTTP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/config.h"

/* True when a body or JSON check needs the body kept. */
bool http_check_needs_body(const struct http_config *h);
/* True when status is accepted: one of h->status, or any 2xx if none. */
bool http_check_status(const struct http_config *h, long status);
/* Applies the body substring and JSON checks to body[0..len). Returns 0,
 * or -1 with a short reason in msg ("body lacks 'healthy'",
 * "json status is \"degraded\", want \"healthy\"", "json components.api
 * missing", "body is not JSON"). */
int http_check_body(const struct http_config *h, const char *body, size_t len, char *msg, size_t n);

/* What a redirect from url to next may carry. */
enum http_redirect {
    HTTP_REDIRECT_SAME_ORIGIN,  /* same scheme, host and port: headers go along */
    HTTP_REDIRECT_OTHER_ORIGIN, /* elsewhere: the configured headers are dropped */
    HTTP_REDIRECT_DOWNGRADE,    /* https to http: refused unless allowed */
    HTTP_REDIRECT_BAD,          /* not an http(s) URL curl can parse */
};
/* Classifies a redirect by comparing the scheme, host and port (default
 * ports filled in) of the two absolute URLs. */
enum http_redirect http_redirect_classify(const char *url, const char *next);

/* "512 bytes", "64 KiB", "1.5 MiB". */
void http_size_format(uint64_t bytes, char *out, size_t n);

#endif
