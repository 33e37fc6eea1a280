/* Secrets: strings that must never reach any output. The config loader
 * registers every value that came from ${VAR}, every password, every
 * credential in a URL and every header value; everything that prints a
 * message passes it through secret_scrub() first. */
#ifndef HEALTHTOP_SECRET_H
#define HEALTHTOP_SECRET_H

#include <stddef.h>

#define SECRET_MASK "***"

/* Registers s (copied) as a secret. Strings shorter than 3 bytes are not
 * registered: masking every "a" would make output unreadable, and such a
 * value protects nothing. */
void secret_add(const char *s);
/* Replaces every occurrence of every secret in s (capacity cap) with
 * SECRET_MASK, in place. */
void secret_scrub(char *s, size_t cap);
/* Masks every secret in s[0..len) (which may hold NUL bytes) in place,
 * writes a NUL at the new end (s must have room for len + 1 bytes) and
 * returns the new length. */
size_t secret_mask(char *s, size_t len);
/* Writes url to out with any user:password@ part replaced by ***@. */
void secret_redact_url(const char *url, char *out, size_t n);
void secret_clear(void);

#endif
