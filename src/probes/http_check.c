/* The checks an http probe applies to an answer: see http_check.h. */
#include "probes/http_check.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "healthtop/text.h"
#include "healthtop/util.h"

bool http_check_needs_body(const struct http_config *h)
{
    return h->body != NULL || h->njson > 0;
}

bool http_check_status(const struct http_config *h, long status)
{
    if (h->nstatus == 0)
        return status >= 200 && status <= 299;
    for (size_t i = 0; i < h->nstatus; i++)
        if (h->status[i] == status)
            return true;
    return false;
}

/* Follows a dotted path ("components.api", "items.0.name") from root.
 * A segment that is a number indexes an array. NULL when absent. */
static json_t *json_path(json_t *root, const char *path)
{
    json_t *v = root;
    const char *seg = path;

    while (v && seg) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);

        if (json_is_object(v)) {
            v = json_object_getn(v, seg, len);
        } else if (json_is_array(v) && len > 0 && strspn(seg, "0123456789") >= len) {
            v = json_array_get(v, strtoul(seg, NULL, 10));
        } else {
            v = NULL;
        }
        seg = dot ? dot + 1 : NULL;
    }
    return v;
}

/* Parses all of s as a number. */
static bool parse_number(const char *s, double *out)
{
    char *end;

    if (*s == '\0')
        return false;
    errno = 0;
    *out = strtod(s, &end);
    return *end == '\0' && errno == 0;
}

/* Compares a JSON scalar with the expected text: strings as strings,
 * numbers numerically (3 == 3.0), true/false/null by name. got receives
 * the value as a person would write it. */
static bool json_value_matches(json_t *v, const char *want, char *got, size_t n)
{
    double w;

    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(got, n, "\"");
        text_safe(got + 1, n > 2 ? n - 2 : 1, json_string_value(v), json_string_length(v));
        ht_snprintf(got + strlen(got), n - strlen(got), "\"");
        return strcmp(json_string_value(v), want) == 0;
    case JSON_INTEGER:
        ht_snprintf(got, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return parse_number(want, &w) && w == (double)json_integer_value(v);
    case JSON_REAL:
        ht_snprintf(got, n, "%g", json_real_value(v));
        return parse_number(want, &w) && w == json_real_value(v);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        ht_snprintf(got, n, "%s", json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
        return strcmp(got, want) == 0;
    case JSON_OBJECT:
        ht_snprintf(got, n, "an object");
        return false;
    case JSON_ARRAY:
        ht_snprintf(got, n, "an array");
        return false;
    }
    return false;
}

static int check_json(const struct http_config *h, const char *body, size_t len, char *msg,
                      size_t n)
{
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &err);
    int rc = 0;

    if (!root) {
        ht_snprintf(msg, n, "body is not JSON");
        return -1;
    }
    for (size_t i = 0; i < h->njson && rc == 0; i++) {
        const struct config_kv *kv = &h->json[i];
        json_t *v = json_path(root, kv->key);
        char got[64];

        if (!v) {
            ht_snprintf(msg, n, "json %s missing", kv->key);
            rc = -1;
        } else if (!json_value_matches(v, kv->value, got, sizeof(got))) {
            bool quote = json_is_string(v);
            ht_snprintf(msg, n, "json %s is %s, want %s%s%s", kv->key, got, quote ? "\"" : "",
                        kv->value, quote ? "\"" : "");
            rc = -1;
        }
    }
    json_decref(root);
    return rc;
}

/* A substring search that works on bodies holding NUL bytes. */
static bool body_contains(const char *body, size_t len, const char *needle)
{
    size_t nl = strlen(needle);

    return nl == 0 || ht_memmem(body, len, needle, nl) != NULL;
}

int http_check_body(const struct http_config *h, const char *body, size_t len, char *msg, size_t n)
{
    if (h->body && !body_contains(body, len, h->body)) {
        ht_snprintf(msg, n, "body lacks '%s'", h->body);
        return -1;
    }
    if (h->njson > 0)
        return check_json(h, body, len, msg, n);
    return 0;
}

void http_size_format(uint64_t bytes, char *out, size_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB"};
    double v = (double)bytes;
    size_t u = 0;

    if (bytes < 1024) {
        ht_snprintf(out, n, "%" PRIu64 " bytes", bytes);
        return;
    }
    v /= 1024;
    while (v >= 1024 && u + 1 < HT_ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    if (v == floor(v))
        ht_snprintf(out, n, "%.0f %s", v, units[u]);
    else
        ht_snprintf(out, n, "%.1f %s", v, units[u]);
}

/* scheme, host and port of url, lower-cased by curl, default port filled
 * in. Returns 0 or -1. */
static int origin_of(const char *url, char **scheme, char **host, char **port)
{
    CURLU *u = curl_url();
    int rc = -1;

    *scheme = *host = *port = NULL;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        rc = 0;
    curl_url_cleanup(u);
    return rc;
}

enum http_redirect http_redirect_classify(const char *url, const char *next)
{
    char *s1 = NULL, *h1 = NULL, *p1 = NULL, *s2 = NULL, *h2 = NULL, *p2 = NULL;
    enum http_redirect r = HTTP_REDIRECT_BAD;

    if (origin_of(url, &s1, &h1, &p1) == 0 && origin_of(next, &s2, &h2, &p2) == 0 &&
        (strcmp(s2, "http") == 0 || strcmp(s2, "https") == 0)) {
        if (strcmp(s1, "https") == 0 && strcmp(s2, "http") == 0)
            r = HTTP_REDIRECT_DOWNGRADE;
        else if (strcmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 && strcmp(p1, p2) == 0)
            r = HTTP_REDIRECT_SAME_ORIGIN;
        else
            r = HTTP_REDIRECT_OTHER_ORIGIN;
    }
    curl_free(s1), curl_free(h1), curl_free(p1);
    curl_free(s2), curl_free(h2), curl_free(p2);
    return r;
}
