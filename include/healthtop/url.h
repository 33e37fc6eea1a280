/* URLs and network addresses: the one place that takes them apart.
 *
 * URLs go through libcurl's URL API (CURLU), for every scheme: http(s)
 * for the http probe, redis:// for the redis and celery probes, and any
 * scheme a later probe needs. Around it, this module keeps the rules the
 * config has always had: the credentials run to the LAST '@' of the
 * authority (a password may hold a raw '@', which CURLU alone would
 * refuse), user and password are %-decoded, and a bad host or port gets
 * the same plain message in a URL as in a "host:port" address. */
#ifndef HEALTHTOP_URL_H
#define HEALTHTOP_URL_H

#include <stdbool.h>
#include <stddef.h>
#include "healthtop/util.h"

/* Longest URL accepted, in bytes: far above any real one (a URL with a
 * token of a few KiB in it), far below what would make parsing slow. */
#define URL_MAX_LEN 65536
/* Longest host name accepted (DNS allows 253 bytes). */
#define URL_HOST_MAX 255

/* A parsed URL. Every string is owned by the struct (url_free). */
struct url {
    char *scheme;   /* lower case: "redis" */
    char *user;     /* %-decoded; NULL when absent or empty */
    char *password; /* %-decoded; NULL when the userinfo has no ':', "" when nothing follows it */
    char *host;     /* without the brackets of an IPv6 address */
    int port;       /* 1..65535, or 0 when the URL gives none */
    char *path;     /* as written; "/" when empty */
    char *query;    /* after '?', or NULL */
    char *fragment; /* after '#', or NULL */
};

/* Flags of url_parse. */
enum {
    /* The userinfo goes to CURLU as written, for a URL that libcurl will
     * itself be given for a transfer: a raw '@' or space in a password is
     * then refused, as libcurl would refuse it later. */
    URL_RAW_USERINFO = 1,
};

/* Parses scheme://[user[:password]@]host[:port][/path][?query][#fragment]
 * into u. Returns 0, or -1 with *why set to a static explanation and u
 * left empty (url_free is harmless on it either way). */
int url_parse(const char *s, int flags, struct url *u, const char **why) HT_WUR;
void url_free(struct url *u);

/* True when s starts with scheme followed by "://", in any case. */
bool url_has_scheme(const char *s, const char *scheme);

/* Where the credentials of a URL are, without parsing the rest: what
 * comes after "scheme://" (or the start of s when there is no scheme) up
 * to the last '@' before the end of the authority (the first '/', '?' or
 * '#'), or, when to_last_at, up to the last '@' anywhere. That last form
 * is for masking a URL in a message: a password holding '/', '#' or '?'
 * ends what a parser takes as the authority, and must still be hidden.
 * Fills *start and *len (the span before the '@', as written) and returns
 * true, or returns false when there is no '@'. */
bool url_userinfo(const char *s, bool to_last_at, const char **start, size_t *len);

/* Splits a userinfo span (as url_userinfo finds it) at its first ':':
 * *pw points after the ':' and *pwlen is the length of the password, or
 * *pw is NULL when there is no ':'. */
void url_userinfo_password(const char *ui, size_t len, const char **pw, size_t *pwlen);

/* A network address "host:port" or "[v6addr]:port"; the port may be left
 * out when port_opt. Returns 0, or -1 with *why set. host (capacity hn)
 * gets the host without brackets and *port the port, 0 when left out. */
int url_hostport(const char *s, bool port_opt, char *host, size_t hn, int *port,
                 const char **why) HT_WUR;

/* %XX-decodes [s, s+n) into a new string (the caller frees it). An
 * escape that is not two hex digits, or that would give a NUL byte, is
 * kept as written. */
char *url_decode(const char *s, size_t n);

#endif
