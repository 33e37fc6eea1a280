/* The celery wire format: the request envelope field by field, base64,
 * and the defensive reply decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/celery_wire.h"

#define TICKET "0c4a3e0e-2f1b-4c55-9d8a-5b7c1e2f3a4b"
#define RK     "7f1e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
#define TAG    "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

static const char *expected_body =
    "{\"method\":\"ping\",\"arguments\":{},\"destination\":null,\"pattern\":null,"
    "\"matcher\":null,\"ticket\":\"" TICKET "\",\"reply_to\":{\"exchange\":"
    "\"reply.celery.pidbox\",\"routing_key\":\"" RK "\"}}";

static const char *str_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static void test_envelope_fields(void **state)
{
    struct buf out, body;
    json_t *env, *h, *p, *di, *b;

    (void)state;
    buf_init(&out, 8192);
    assert_int_equal(celery_envelope_build(TICKET, RK, TAG, 1764300001, &out), 0);
    env = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(env);
    assert_int_equal(json_object_size(env), 5);
    assert_string_equal(str_at(env, "content-encoding"), "utf-8");
    assert_string_equal(str_at(env, "content-type"), "application/json");

    h = json_object_get(env, "headers");
    assert_int_equal(json_object_size(h), 2);
    assert_int_equal(json_integer_value(json_object_get(h, "clock")), 1);
    assert_int_equal(json_integer_value(json_object_get(h, "expires")), 1764300001);

    p = json_object_get(env, "properties");
    assert_int_equal(json_object_size(p), 5);
    assert_int_equal(json_integer_value(json_object_get(p, "delivery_mode")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "priority")), 0);
    assert_true(json_is_integer(json_object_get(p, "priority")));
    assert_string_equal(str_at(p, "body_encoding"), "base64");
    assert_string_equal(str_at(p, "delivery_tag"), TAG);
    di = json_object_get(p, "delivery_info");
    assert_int_equal(json_object_size(di), 2);
    assert_string_equal(str_at(di, "exchange"), "celery.pidbox");
    assert_string_equal(str_at(di, "routing_key"), "");

    /* The body: base64 of the exact request JSON. */
    buf_init(&body, 4096);
    const char *b64 = str_at(env, "body");
    assert_int_equal(celery_b64_decode(b64, strlen(b64), &body), 0);
    assert_string_equal(body.data, expected_body);
    b = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(b);
    assert_int_equal(json_object_size(b), 7);
    assert_string_equal(str_at(b, "method"), "ping");
    assert_true(json_is_object(json_object_get(b, "arguments")));
    assert_int_equal(json_object_size(json_object_get(b, "arguments")), 0);
    assert_true(json_is_null(json_object_get(b, "destination")));
    assert_true(json_is_null(json_object_get(b, "pattern")));
    assert_true(json_is_null(json_object_get(b, "matcher")));
    assert_string_equal(str_at(b, "ticket"), TICKET);
    assert_string_equal(str_at(json_object_get(b, "reply_to"), "exchange"), "reply.celery.pidbox");
    assert_string_equal(str_at(json_object_get(b, "reply_to"), "routing_key"), RK);
    json_decref(b);
    json_decref(env);
    buf_free(&body);
    buf_free(&out);
}

/* The exact bytes, so that any change to what reaches workers is seen. */
static void test_envelope_bytes(void **state)
{
    struct buf out, b64;
    char want[2048];

    (void)state;
    buf_init(&out, 8192);
    buf_init(&b64, 4096);
    assert_int_equal(celery_b64_encode(expected_body, strlen(expected_body), &b64), 0);
    snprintf(want, sizeof(want),
             "{\"body\":\"%s\",\"content-encoding\":\"utf-8\",\"content-type\":"
             "\"application/json\",\"headers\":{\"clock\":1,\"expires\":1764300001},"
             "\"properties\":{\"delivery_mode\":2,\"delivery_info\":{\"exchange\":"
             "\"celery.pidbox\",\"routing_key\":\"\"},\"priority\":0,\"body_encoding\":"
             "\"base64\",\"delivery_tag\":\"" TAG "\"}}",
             b64.data);
    assert_int_equal(celery_envelope_build(TICKET, RK, TAG, 1764300001, &out), 0);
    assert_string_equal(out.data, want);
    /* Never an envelope without a delivery tag. */
    assert_int_equal(celery_envelope_build(TICKET, RK, "", 1, &out), -1);
    assert_int_equal(celery_envelope_build(TICKET, RK, NULL, 1, &out), -1);
    assert_int_equal(out.len, 0);
    buf_free(&b64);
    buf_free(&out);
}

static void test_base64_rfc4648_vectors(void **state)
{
    static const struct {
        const char *plain, *enc;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    struct buf b;

    (void)state;
    for (size_t i = 0; i < HT_ARRAY_LEN(v); i++) {
        buf_init(&b, 64);
        assert_int_equal(celery_b64_encode(v[i].plain, strlen(v[i].plain), &b), 0);
        assert_string_equal(b.data ? b.data : "", v[i].enc);
        buf_reset(&b);
        assert_int_equal(celery_b64_decode(v[i].enc, strlen(v[i].enc), &b), 0);
        assert_int_equal(b.len, strlen(v[i].plain));
        assert_memory_equal(b.data ? b.data : "", v[i].plain, b.len);
        buf_free(&b);
    }
    const char *bad[] = {"Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg=", "Zm=v", "Zm9\n"};
    for (size_t i = 0; i < HT_ARRAY_LEN(bad); i++) {
        buf_init(&b, 64);
        assert_int_equal(celery_b64_decode(bad[i], strlen(bad[i]), &b), -1);
        buf_free(&b);
    }
    /* Bytes with the high bit set, and the buffer limit. */
    unsigned char bin[] = {0xff, 0x00, 0xfe, 0x80};
    buf_init(&b, 64);
    assert_int_equal(celery_b64_encode(bin, sizeof(bin), &b), 0);
    assert_string_equal(b.data, "/wD+gA==");
    buf_free(&b);
    buf_init(&b, 3);
    assert_int_equal(celery_b64_encode("foo", 3, &b), -1);
    buf_free(&b);
}

static void test_uuid_is_v4_and_unique(void **state)
{
    char a[CELERY_UUID_LEN + 1], b[CELERY_UUID_LEN + 1];

    (void)state;
    celery_uuid(a);
    celery_uuid(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    assert_int_equal(a[8], '-');
    assert_int_equal(a[14], '4');
    assert_int_equal(a[23], '-');
}

/* A reply as a Celery 5.2 worker LPUSHes it, with body b (as JSON text)
 * base64-encoded unless raw. */
static char *reply(const char *ticket, const char *body, bool raw)
{
    struct buf b64;
    char *out;

    buf_init(&b64, 1 << 20);
    if (raw)
        assert_int_equal(buf_append(&b64, body, strlen(body)), 0);
    else
        assert_int_equal(celery_b64_encode(body, strlen(body), &b64), 0);
    json_t *env = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}, s:{s:i, s:s, s:s}}", "body",
                            b64.data ? b64.data : "", "content-encoding", "utf-8", "content-type",
                            "application/json", "headers", "ticket", ticket, "clock", 7,
                            "properties", "delivery_mode", 2, "body_encoding",
                            raw ? "utf-8" : "base64", "delivery_tag", TAG);
    out = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    buf_free(&b64);
    return out;
}

static enum celery_reply decode(const char *text, char *name)
{
    return celery_reply_decode(text, strlen(text), TICKET, name, CELERY_NAME_MAX);
}

static void test_reply_pong_names_the_worker(void **state)
{
    char name[CELERY_NAME_MAX];
    char *r;

    (void)state;
    r = reply(TICKET, "{\"worker_light1@box\": {\"ok\": \"pong\"}}", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_PONG);
    assert_string_equal(name, "worker_light1@box");
    free(r);
    r = reply(TICKET, "{\"w@h\": {\"ok\": \"pong\"}}", true);
    assert_int_equal(decode(r, name), CELERY_REPLY_PONG);
    assert_string_equal(name, "w@h");
    free(r);
}

/* Recorded from a real Celery 5.2.6 worker (redis MONITOR of its LPUSH). */
static const char real_reply[] =
    "{\"body\": \"eyJ3b3JrZXJfbGlnaHQxQHZtIjogeyJvayI6ICJwb25nIn19\", \"content-encoding\": "
    "\"utf-8\", \"content-type\": \"application/json\", \"headers\": {\"ticket\": "
    "\"6fd91391-5c1e-4e34-abc7-fa983396d0fd\", \"clock\": 3}, \"properties\": {\"delivery_mode\": "
    "1, \"delivery_info\": {\"exchange\": \"reply.celery.pidbox\", \"routing_key\": "
    "\"7af89560-df41-385c-b358-bc2e29b29ad4\"}, \"priority\": 0, \"body_encoding\": \"base64\", "
    "\"delivery_tag\": \"12379cc0-41b5-4491-bfe4-f1db1858813c\"}}";

static void test_reply_real_worker(void **state)
{
    char name[CELERY_NAME_MAX];

    (void)state;
    assert_int_equal(celery_reply_decode(real_reply, strlen(real_reply),
                                         "6fd91391-5c1e-4e34-abc7-fa983396d0fd", name,
                                         sizeof(name)),
                     CELERY_REPLY_PONG);
    assert_string_equal(name, "worker_light1@vm");
    assert_int_equal(
        celery_reply_decode(real_reply, strlen(real_reply), TICKET, name, sizeof(name)),
        CELERY_REPLY_WRONG_TICKET);
    /* Truncated anywhere: never a pong, never a crash. */
    for (size_t n = 0; n < strlen(real_reply); n++)
        assert_int_not_equal(celery_reply_decode(real_reply, n,
                                                 "6fd91391-5c1e-4e34-abc7-fa983396d0fd", name,
                                                 sizeof(name)),
                             CELERY_REPLY_PONG);
}

static void test_reply_other_ticket_or_bad_json_ignored(void **state)
{
    char name[CELERY_NAME_MAX];
    char *r;

    (void)state;
    r = reply("another-ticket", "{\"w@h\": {\"ok\": \"pong\"}}", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_WRONG_TICKET);
    assert_string_equal(name, "");
    free(r);
    r = reply(TICKET, "not json at all", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_BAD_JSON);
    free(r);
    r = reply(TICKET, "{\"w@h\": {\"error\": \"no\"}}", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_NOT_PONG);
    free(r);
    r = reply(TICKET, "[1, 2]", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_BAD_JSON);
    free(r);
    r = reply(TICKET, "{\"\": {\"ok\": \"pong\"}}", false);
    assert_int_equal(decode(r, name), CELERY_REPLY_NOT_PONG);
    free(r);

    /* Bad base64 in a base64 body. */
    const char *b = "{\"body\":\"eyJ3QGgiOnt9fQ=!\",\"headers\":{\"ticket\":\"" TICKET
                    "\"},\"properties\":{\"body_encoding\":\"base64\"}}";
    assert_int_equal(decode(b, name), CELERY_REPLY_BAD_BASE64);

    assert_int_equal(decode("{\"headers\":", name), CELERY_REPLY_BAD_JSON);
    assert_int_equal(decode("\"a string\"", name), CELERY_REPLY_BAD_JSON);
    assert_int_equal(decode("{}", name), CELERY_REPLY_WRONG_TICKET);
    assert_int_equal(decode("{\"headers\":{\"ticket\":5}}", name), CELERY_REPLY_WRONG_TICKET);
    const char *nobody = "{\"headers\":{\"ticket\":\"" TICKET "\"}}";
    assert_int_equal(decode(nobody, name), CELERY_REPLY_BAD_JSON);
    assert_int_equal(celery_reply_decode("", 0, TICKET, name, sizeof(name)), CELERY_REPLY_BAD_JSON);
}

static void test_reply_limits(void **state)
{
    char name[CELERY_NAME_MAX];
    char big[300];

    (void)state;
    /* Over 64 KiB: ignored before any parsing. */
    size_t n = CELERY_REPLY_MAX + 1;
    char *huge = malloc(n);
    memset(huge, ' ', n);
    assert_int_equal(celery_reply_decode(huge, n, TICKET, name, sizeof(name)),
                     CELERY_REPLY_TOO_BIG);
    free(huge);
    /* A name longer than the caller's buffer is not truncated. */
    memset(big, 'w', sizeof(big));
    snprintf(big + 200, 100, "@h");
    char body[512];
    snprintf(body, sizeof(body), "{\"%s\": {\"ok\": \"pong\"}}", big);
    char *r = reply(TICKET, body, false);
    assert_int_equal(decode(r, name), CELERY_REPLY_NOT_PONG);
    free(r);
    assert_string_equal(celery_reply_str(CELERY_REPLY_BAD_BASE64), "bad base64");
    assert_string_equal(celery_reply_str(CELERY_REPLY_WRONG_TICKET), "wrong ticket");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_fields),
        cmocka_unit_test(test_envelope_bytes),
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_uuid_is_v4_and_unique),
        cmocka_unit_test(test_reply_pong_names_the_worker),
        cmocka_unit_test(test_reply_real_worker),
        cmocka_unit_test(test_reply_other_ticket_or_bad_json_ignored),
        cmocka_unit_test(test_reply_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
