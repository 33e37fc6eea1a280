/* Secrets: strings that must never reach any output. The config loader
 * registers every value that came from ${VAR}, every password, every
 * credential in a URL and every header value; everything that prints a
 * message passes it through secret_scrub() first. */
#ifndef HEALTHTOP_SECRET_H
#define HEALTHTOP_SECRET_H

#include <stddef.h>

#define SECRET_MASK "***"

/* Registers s (copied) as a secret, with the forms a server echoing it
 * may send instead: base64 (standard and URL-safe), %-encoded, and JSON
 * with non-ASCII characters as \u escapes. Strings shorter than 3 bytes
 * are not registered: masking every "a" would make output unreadable,
 * and such a value protects nothing. */
void secret_add(const char *s);
/* Registers the base64 of "user:password", what HTTP Basic auth sends
 * (the password itself is registered with secret_add). */
void secret_add_basic(const char *user, const char *password);
/* Base64 of s[0..len), standard alphabet, without '=' padding (what
 * secret_add_basic registers); the caller frees it. */
char *secret_base64(const char *s, size_t len);
/* Registers a header value: the whole value, the credentials after an
 * auth scheme ("Bearer <token>"), and the password a Basic value encodes. */
void secret_add_header(const char *value);
/* Where to cut s[0..len) at or near cut so that no secret is split: past
 * a whole secret that spans cut, or back before one that runs on beyond
 * len (what came after len is not known). Mask s[0..result) after. */
size_t secret_cut(const char *s, size_t len, size_t cut);
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
