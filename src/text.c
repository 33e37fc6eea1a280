/* Outside text made safe to print: see text.h for the rules. */
#include "healthtop/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/secret.h"
#include "healthtop/util.h"

#define ELLIPSIS "..."

/* Decodes one strict UTF-8 character at s (at most left bytes): returns
 * its length and the code point, or 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    size_t k;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        k = 2, c = s[0] & 0x1F, min = 0x80;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        k = 3, c = s[0] & 0x0F, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        k = 4, c = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (k > left)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return k;
}

static bool hidden_codepoint(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* The escaped form of the character at s into out (at least 11 bytes);
 * returns the bytes of s consumed. */
enum safe_mode { SAFE_LINE, SAFE_LINES, SAFE_HTML };

/* HTML's five characters that can start or end markup or an attribute. */
static const char *html_entity(uint32_t cp)
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

static size_t escape_one(const unsigned char *s, size_t left, enum safe_mode mode, char *out)
{
    uint32_t cp;
    size_t k = utf8_decode(s, left, &cp);
    const char *ent;

    if (k == 1 && cp == '\n' && mode == SAFE_LINES) {
        memcpy(out, "\n", 2);
        return 1;
    }
    if (k == 0) {
        snprintf(out, 11, "\\x%02x", s[0]);
        return 1;
    }
    if (cp == '\n' || cp == '\r' || cp == '\t')
        snprintf(out, 11, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
    else if (cp < 0x20 || cp == 0x7F)
        snprintf(out, 11, "\\x%02x", (unsigned)cp);
    else if (hidden_codepoint(cp))
        snprintf(out, 11, "\\u%04x", (unsigned)cp);
    else if (mode == SAFE_HTML && (ent = html_entity(cp)) != NULL)
        memcpy(out, ent, strlen(ent) + 1);
    else {
        memcpy(out, s, k);
        out[k] = '\0';
    }
    return k;
}

/* Printable ASCII, none of it markup when the text goes into HTML. */
static bool plain_ascii(const char *s, size_t len, enum safe_mode mode)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
        if (mode == SAFE_HTML && html_entity((unsigned char)s[i]) != NULL)
            return false;
    }
    return true;
}

static size_t safe(char *dst, size_t n, const char *src, size_t len, enum safe_mode mode)
{
    char *masked, piece[12];
    size_t mlen, used = 0, keep = 0, room;
    bool cut = false;

    if (n == 0)
        return 0;
    dst[0] = '\0';
    if (src == NULL || len == 0)
        return 0;
    masked = xmalloc(len + 1);
    memcpy(masked, src, len);
    masked[len] = '\0';
    mlen = secret_mask(masked, len);
    /* Printable ASCII that fits is its own escape: copied whole (most
     * label values and names, read by the thousand). */
    if (mlen <= n - 1 && plain_ascii(masked, mlen, mode)) {
        memcpy(dst, masked, mlen);
        dst[mlen] = '\0';
        free(masked);
        return mlen;
    }
    /* One pass: keep is where to cut if the text does not fit, the last
     * boundary that leaves room for the ellipsis. */
    room = n - 1;
    for (size_t i = 0; i < mlen;) {
        size_t k = escape_one((const unsigned char *)masked + i, mlen - i, mode, piece);
        size_t plen = strlen(piece);
        if (used + plen > room) {
            cut = true;
            break;
        }
        memcpy(dst + used, piece, plen);
        used += plen;
        i += k;
        if (used + strlen(ELLIPSIS) <= room)
            keep = used;
    }
    if (cut) {
        used = keep;
        if (used + strlen(ELLIPSIS) <= room) {
            memcpy(dst + used, ELLIPSIS, strlen(ELLIPSIS));
            used += strlen(ELLIPSIS);
        }
    }
    dst[used] = '\0';
    free(masked);
    return used;
}

size_t text_safe(char *dst, size_t n, const char *src, size_t len)
{
    return safe(dst, n, src, len, SAFE_LINE);
}

size_t text_safe_lines(char *dst, size_t n, const char *src, size_t len)
{
    return safe(dst, n, src, len, SAFE_LINES);
}

size_t text_html(char *dst, size_t n, const char *src, size_t len)
{
    return safe(dst, n, src, len, SAFE_HTML);
}

size_t text_safe_str(char *dst, size_t n, const char *src)
{
    return text_safe(dst, n, src, src ? strlen(src) : 0);
}

char *text_safe_dup(const char *src)
{
    size_t len = src ? strlen(src) : 0;
    /* The longest escape, \u202e, is 6 bytes for 3; \xNN 4 for 1. */
    size_t cap = len * 4 + 1;
    char *out = xmalloc(cap);

    text_safe(out, cap, src, len);
    return out;
}
