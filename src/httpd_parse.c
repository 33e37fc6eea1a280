/* The request side of httpd: parsing a request head, reading its headers
 * and query parameters. Pure functions, no I/O, so the unit tests and a
 * fuzz target can reach them. */
#include "httpd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits off the next CRLF-terminated line at *p (NUL-terminating it). */
static char *next_line(char **p)
{
    char *line = *p;
    char *eol = strstr(line, "\r\n");

    if (!eol)
        return NULL;
    *eol = '\0';
    *p = eol + 2;
    return line;
}

/* True when s contains word, ignoring case ("keep-alive, Upgrade"). */
static bool has_word(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

/* The end of the head: the offset just past the first empty line. */
static size_t head_end(const char *data, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' && data[i - 3] == '\r')
            return i + 1;
    return 0;
}

static bool is_token(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isgraph((unsigned char)*s) || strchr("()<>@,;:\\\"/[]?={}", *s))
            return false;
    return true;
}

static int parse_request_line(char *line, struct httpd_req *req)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    char *q;

    if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
        return -1;
    *sp1 = *sp2 = '\0';
    if (!is_token(line) || sp1[1] == '\0')
        return -1;
    if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
        req->minor = 1;
    else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
        req->minor = 0;
    else
        return -1;
    req->method = line;
    req->path = sp1 + 1;
    q = strchr(sp1 + 1, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    } else {
        req->query = "";
    }
    req->head = strcmp(line, "HEAD") == 0;
    req->keep_alive = req->minor == 1;
    return 0;
}

/* Headers the server itself acts on: Connection, Content-Length, and
 * Transfer-Encoding (request bodies in chunks are refused). */
static int header_apply(struct httpd_req *req, const char *name, const char *value)
{
    if (strcasecmp(name, "Connection") == 0) {
        if (has_word(value, "close"))
            req->keep_alive = false;
        else if (has_word(value, "keep-alive"))
            req->keep_alive = true;
    } else if (strcasecmp(name, "Content-Length") == 0) {
        char *end;
        if (!isdigit((unsigned char)value[0]))
            return -1;
        req->content_length = strtoull(value, &end, 10);
        if (*end != '\0')
            return -1;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        return -1;
    }
    return 0;
}

static int parse_header(char *line, struct httpd_req *req)
{
    char *colon = strchr(line, ':');
    char *v, *end;

    if (!colon || req->nheaders == HTTPD_MAX_HEADERS)
        return -1;
    *colon = '\0';
    if (!is_token(line))
        return -1;
    v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    req->headers[req->nheaders].name = line;
    req->headers[req->nheaders].value = v;
    req->nheaders++;
    return header_apply(req, line, v);
}

long httpd_parse(char *data, size_t len, struct httpd_req *req)
{
    size_t head = head_end(data, len);
    char *p = data;
    char *line;

    memset(req, 0, sizeof(*req));
    if (head == 0)
        return 0;
    if (memchr(data, '\0', head))
        return -1;
    data[head - 2] = '\0'; /* the last header line keeps its CRLF */
    line = next_line(&p);
    if (!line || parse_request_line(line, req) != 0)
        return -1;
    while ((line = next_line(&p)) != NULL)
        if (parse_header(line, req) != 0)
            return -1;
    return (long)head;
}

const char *httpd_header(const struct httpd_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* Percent-decodes s[0..len) into out (capacity n, always terminated). */
static void url_decode(const char *s, size_t len, char *out, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && (hi = ht_hexval((unsigned char)s[i + 1])) >= 0 &&
                   (lo = ht_hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    if (n > 0)
        out[o] = '\0';
}

bool httpd_query(const struct httpd_req *req, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key);
    const char *p = req->query ? req->query : "";

    while (*p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;

        if (nlen == klen && memcmp(p, key, klen) == 0) {
            if (eq)
                url_decode(eq + 1, plen - nlen - 1, out, n);
            else if (n > 0)
                out[0] = '\0';
            return true;
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    return false;
}

const char *httpd_reason(int status)
{
    static const struct {
        int code;
        const char *text;
    } reasons[] = {
        {200, "OK"},
        {201, "Created"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {413, "Content Too Large"},
        {418, "I'm a teapot"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };

    for (size_t i = 0; i < HT_ARRAY_LEN(reasons); i++)
        if (reasons[i].code == status)
            return reasons[i].text;
    return "Unknown";
}
