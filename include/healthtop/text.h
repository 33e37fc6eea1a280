/* Outside text made safe to print. Everything a server, a container, a
 * config or a recording sends is hostile until it has been through
 * text_safe(), which every entry point of such text calls before the text
 * is kept for any output (the terminal, the report, JSON, recordings):
 *
 *   1. mask: every registered secret becomes "***" (secret.h), on the
 *      whole text, so that a cut can never leave part of one showing;
 *   2. escape: what could act on a terminal or mislead a reader is shown
 *      as a visible escape: C0 controls and DEL as \n, \r, \t or \xNN,
 *      C1 controls (U+0080..U+009F) and the bidi overrides and isolates
 *      (U+202A..U+202E, U+2066..U+2069) as \u0085, \u202e, and every
 *      byte that is not valid UTF-8 as \xNN. The result is valid UTF-8
 *      with no control character in it. Backslashes are left alone, so
 *      that text already made safe passes unchanged;
 *   3. cut: to fit dst, at a character or escape boundary, ending in
 *      "..." when something was cut. */
#ifndef HEALTHTOP_TEXT_H
#define HEALTHTOP_TEXT_H

#include <stddef.h>

/* Writes src[0..len) to dst (capacity n, NUL-terminated), masked, escaped
 * and cut, in that order. Returns the length written. */
size_t text_safe(char *dst, size_t n, const char *src, size_t len);
/* The same, but line breaks stay line breaks (for the detail pane's
 * multi-line texts: a body's first bytes, a command's output). */
size_t text_safe_lines(char *dst, size_t n, const char *src, size_t len);
/* The same for a NUL-terminated string (NULL gives ""). */
size_t text_safe_str(char *dst, size_t n, const char *src);
/* The same for HTML (the status page of --listen): masked, escaped as
 * above, and then &, <, >, " and ' written as entities (&amp; &lt; &gt;
 * &quot; &#39;), so that the text is never markup, in an element or in a
 * quoted attribute; cut last, never inside an entity. Text already made
 * safe passes through it whole but for the entities. */
size_t text_html(char *dst, size_t n, const char *src, size_t len);
/* A new string made safe, whole (nothing cut); the caller frees it. */
char *text_safe_dup(const char *src);

#endif
