/* A blocking HTTP/1.0 GET for tests that ask a fixture server what it saw
 * (fixture_http's /stats). Part of the htsupport library. */
#ifndef HT_TEST_HTTP_GET_H
#define HT_TEST_HTTP_GET_H

#include <stddef.h>

/* GETs path from 127.0.0.1:port; copies the body (NUL-terminated, cut to
 * fit) to body. Returns the status code, or -1 when there was no answer. */
int test_http_get(int port, const char *path, char *body, size_t n);

/* One counter from fixture_http's /stats ("name value" lines): requests,
 * held (answers held back right now), max_held (most at once since the
 * last /stats?reset=1), hung (/hang requests so far), accepted
 * (connections so far). -1 when the fixture did not say. */
long test_fixture_stat(int port, const char *name);
/* Starts a new max_held count: GET /stats?reset=1. Returns 0 or -1. */
int test_fixture_reset(int port);

#endif
