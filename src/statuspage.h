/* The status page of --listen (`/`): one self-contained HTML page, its
 * styles and script inline, nothing from any other origin, showing what
 * the dashboard shows (title, overall state, root cause, groups, a row
 * per service with its mark and state word, replicas, latency, sparkline
 * and message; the start-up timeline as a second view), and the state
 * document the page's script renders again from each event of
 * /api/v1/events (sse.h).
 *
 * Every text that comes from a config, a probe or a server goes through
 * text_html() in the page (masked, escaped, entities, cut) and through
 * text_safe() and jansson in the document, where the script puts it in
 * the page as text (textContent), never as markup. The page is served
 * with a Content-Security-Policy that allows no other origin and only the
 * inline style and script carrying the response's nonce. */
#ifndef HEALTHTOP_STATUSPAGE_H
#define HEALTHTOP_STATUSPAGE_H

#include <stddef.h>
#include <stdint.h>
#include "healthtop/buf.h"
#include "healthtop/scheduler.h"

#define STATUSPAGE_REFRESH_S 10 /* without JavaScript the page reloads this often */
#define STATUSPAGE_SPARK     30 /* sparkline cells (slices of clock time) */
#define STATUSPAGE_NONCE_MAX 32 /* a nonce's length, its NUL included */

/* The inline parts (statuspage_assets.c), each in pieces ended by NULL. */
extern const char *const statuspage_css[];
extern const char *const statuspage_js[];

/* What the page keeps from one answer to the next: the latency each row
 * showed (report_latency_shown), so that jitter changes neither the page
 * nor the document, and a steady stack's document stays the same bytes. */
struct statuspage_memo {
    int64_t *lat_held; /* per service; -1: none yet */
    size_t n;
};

/* Sizes memo for nsvcs services and forgets what it held (a new model). */
void statuspage_memo_reset(struct statuspage_memo *memo, size_t nsvcs);
void statuspage_memo_free(struct statuspage_memo *memo);

/* Appends the page for s to out; nonce marks its inline style and script
 * (the same nonce as in statuspage_headers). memo (may be NULL: the last
 * latencies as they are) is read and updated. Returns 0, or -1 when out's
 * limit was reached. */
int statuspage_html(struct buf *out, const struct scheduler *s, struct statuspage_memo *memo,
                    const char *nonce) HT_WUR;
/* Appends the state document (compact JSON, one line, '/' escaped) to
 * out; memo as for statuspage_html. The same model gives the same bytes:
 * no clock in it but the timeline's axis while a service is still
 * waiting. Returns 0, or -1 when out's limit was reached. */
int statuspage_json(struct buf *out, const struct scheduler *s,
                    struct statuspage_memo *memo) HT_WUR;
/* A fresh random nonce (base64, 22 characters) into out. */
void statuspage_nonce(char out[STATUSPAGE_NONCE_MAX]);
/* The response headers of the page: the Content-Security-Policy for
 * nonce, and the others that keep it to itself (no sniffing, no framing,
 * no referrer, no caching), each line ending "\r\n". */
void statuspage_headers(char *out, size_t n, const char *nonce);

#endif
