/* Secrets: a process-wide list of strings never to print. */
#include "healthtop/secret.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/url.h"
#include "healthtop/util.h"

static char **secrets;
static size_t nsecrets;

void secret_add(const char *s)
{
    if (s == NULL || strlen(s) < 3)
        return;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], s) == 0)
            return;
    secrets = xrealloc(secrets, (nsecrets + 1) * sizeof(*secrets));
    secrets[nsecrets++] = xstrdup(s);
}

void secret_scrub(char *s, size_t cap)
{
    size_t mlen = strlen(SECRET_MASK);

    for (size_t i = 0; i < nsecrets; i++) {
        size_t slen = strlen(secrets[i]);
        char *at = s;
        while ((at = strstr(at, secrets[i])) != NULL) {
            size_t tail = strlen(at + slen);
            size_t pos = (size_t)(at - s);
            /* The mask is never longer than a secret (secrets are >= 3
             * bytes), so the string only shrinks and cap is respected. */
            memmove(at + mlen, at + slen, tail + 1);
            memcpy(at, SECRET_MASK, mlen);
            at = s + pos + mlen;
        }
    }
    (void)cap;
}

/* Everything after the scheme up to the LAST '@' is credentials: that is
 * how the config reads user:password (a password may hold a raw '@'), so
 * masking only up to the first '@' would show the rest of the password.
 * The last '@' anywhere (url_userinfo's to_last_at): a password holding
 * '/', '#' or '?' ends what a URL parser takes as the authority, and
 * would show whole in the very message that says the URL is wrong. A
 * path with an '@' is masked too: in a message, that is the safe side. */
void secret_redact_url(const char *url, char *out, size_t n)
{
    const char *ui;
    size_t len;

    if (url_userinfo(url, true, &ui, &len))
        ht_snprintf(out, n, "%.*s%s@%s", (int)(ui - url), url, SECRET_MASK, ui + len + 1);
    else
        ht_strlcpy(out, url, n);
    secret_scrub(out, n);
}

void secret_clear(void)
{
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    nsecrets = 0;
}

/* memmem, which glibc declares only with _GNU_SOURCE. */
static char *find(char *hay, size_t hlen, const char *needle, size_t nlen)
{
    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

size_t secret_mask(char *s, size_t len)
{
    size_t mlen = strlen(SECRET_MASK);

    for (size_t i = 0; i < nsecrets; i++) {
        size_t slen = strlen(secrets[i]);
        char *at = s;
        while ((size_t)(at - s) + slen <= len &&
               (at = find(at, len - (size_t)(at - s), secrets[i], slen)) != NULL) {
            size_t pos = (size_t)(at - s);
            /* Never longer than a secret (>= 3 bytes): len only shrinks. */
            memmove(at + mlen, at + slen, len - pos - slen);
            memcpy(at, SECRET_MASK, mlen);
            len -= slen - mlen;
            at = s + pos + mlen;
        }
    }
    s[len] = '\0';
    return len;
}
