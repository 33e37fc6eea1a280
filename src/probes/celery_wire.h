/* What the celery probe puts on the wire and reads back: kombu's pidbox
 * envelopes over a Redis broker (doc/celery.md).
 *
 * The one function that builds a request is celery_envelope_build(): the
 * probe never publishes anything else. Real workers crash on an envelope
 * without properties.delivery_tag and go deaf on one without
 * content-type, so its exact output is fixed by the unit tests.
 *
 * Replies come from whatever else writes to the broker, so the decoder
 * trusts nothing: every malformed reply is a status, never a crash. */
#ifndef HEALTHTOP_CELERY_WIRE_H
#define HEALTHTOP_CELERY_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "healthtop/buf.h"

#define CELERY_UUID_LEN  36
#define CELERY_REPLY_MAX (64 * 1024) /* bytes; larger replies are ignored */
#define CELERY_NAME_MAX  128         /* a worker name, "name@host" */

/* A random (version 4) UUID, lower-case, NUL-terminated. */
void celery_uuid(char out[CELERY_UUID_LEN + 1]);

/* Standard base64 with padding. Encode appends to out; decode appends the
 * bytes and returns 0, or -1 on a character outside the alphabet, bad
 * padding or a length that is not a multiple of 4 (out then holds junk). */
int celery_b64_encode(const void *in, size_t n, struct buf *out) HT_WUR;
int celery_b64_decode(const char *in, size_t n, struct buf *out) HT_WUR;

/* Writes to out (reset first) the JSON envelope of a `ping` control
 * request: ticket and delivery_tag are UUIDs, reply_rk the routing key
 * of the reply binding, expires a unix time in seconds. Returns 0, or -1
 * when an argument is missing or out is too small. */
int celery_envelope_build(const char *ticket, const char *reply_rk, const char *delivery_tag,
                          int64_t expires, struct buf *out) HT_WUR;

enum celery_reply {
    CELERY_REPLY_PONG,         /* a worker answered pong; name is set */
    CELERY_REPLY_NOT_PONG,     /* our ticket, but no usable {"name": {"ok": "pong"}} */
    CELERY_REPLY_TOO_BIG,      /* over CELERY_REPLY_MAX */
    CELERY_REPLY_BAD_JSON,     /* envelope or body is not the JSON expected */
    CELERY_REPLY_BAD_BASE64,   /* body_encoding base64, body is not */
    CELERY_REPLY_WRONG_TICKET, /* someone else's reply */
};

/* Decodes one reply envelope as LPUSHed by a worker. On PONG, name gets
 * the worker's "name@host" (NUL-terminated, at most namelen-1 bytes;
 * longer names are NOT_PONG rather than truncated). */
enum celery_reply celery_reply_decode(const char *data, size_t len, const char *ticket, char *name,
                                      size_t namelen);
/* "pong", "not a pong", "too big", "bad JSON", "bad base64", "wrong ticket". */
const char *celery_reply_str(enum celery_reply r);

#endif
