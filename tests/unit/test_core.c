/* Shared helpers: durations, the bounded buffer, the ring, secrets, history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/buf.h"
#include "healthtop/history.h"
#include "healthtop/ring.h"
#include "healthtop/secret.h"
#include "healthtop/util.h"
#include "support/check.h"

static void test_duration_parse(void **state)
{
    (void)state;
    const char *why;
    int64_t ms;

    assert_int_equal(ht_duration_parse("250ms", &ms, &why), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(ht_duration_parse("2s", &ms, &why), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(ht_duration_parse("1.5s", &ms, &why), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(ht_duration_parse("1m", &ms, &why), 0);
    assert_int_equal(ms, 60000);
    assert_int_equal(ht_duration_parse("1h", &ms, &why), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(ht_duration_parse("3", &ms, &why), 0);
    assert_int_equal(ms, 3000);
    assert_int_equal(ht_duration_parse("2 s", &ms, &why), -1);
    assert_non_null(why);
    assert_int_equal(ht_duration_parse("2sec", &ms, &why), -1);
    assert_int_equal(ht_duration_parse("-1s", &ms, &why), -1);
    assert_int_equal(ht_duration_parse("", &ms, &why), -1);
    assert_int_equal(ht_duration_parse("nan", &ms, &why), -1);
    assert_int_equal(ht_duration_parse("1e30s", &ms, &why), -1);
}

static void test_duration_format(void **state)
{
    (void)state;
    char b[32];
    ht_duration_format(250, b, sizeof(b));
    assert_string_equal(b, "250ms");
    ht_duration_format(1000, b, sizeof(b));
    assert_string_equal(b, "1.0s");
    ht_duration_format(245000, b, sizeof(b));
    assert_string_equal(b, "4m05s");
    ht_duration_format(2 * 3600000 + 13 * 60000, b, sizeof(b));
    assert_string_equal(b, "2h13m");
    ht_latency_format(840, true, b, sizeof(b));
    assert_string_equal(b, "840us");
    ht_latency_format(12400, true, b, sizeof(b));
    assert_string_equal(b, "12ms");
    ht_latency_format(-1, true, b, sizeof(b));
    assert_string_equal(b, "-");
}

static void test_buf_stops_at_its_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    assert_int_equal(buf_append(&b, " world!", 7), -1);
    assert_true(b.over);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "hello worl");
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d", 42), 0);
    assert_string_equal(b.data, "42");
    buf_free(&b);
}

static void test_xgrow_keeps_what_was_pushed(void **state)
{
    int *v = NULL;
    size_t n = 0, cap = 0;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        XGROW(v, cap, n + 1);
        assert_true(cap >= n + 1);
        v[n++] = i;
    }
    assert_int_equal(cap, 1024);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i);
    /* Room enough already: nothing moves. */
    {
        int *before = v;
        XGROW(v, cap, 10);
        assert_ptr_equal(v, before);
        assert_int_equal(cap, 1024);
    }
    free(v);
}

/* Pieces put one after another, cut where the room ends, always ended. */
static void test_put_in_pieces(void **state)
{
    char s[32], small[8];
    size_t len = 0, slen = 0;

    (void)state;
    s[0] = '\0';
    ht_put_int(s, sizeof(s), &len, 0);
    ht_put(s, sizeof(s), &len, "/");
    ht_put_int(s, sizeof(s), &len, -42);
    ht_put(s, sizeof(s), &len, " ");
    ht_put_int(s, sizeof(s), &len, LLONG_MIN);
    CHECK_STR("numbers and text", s, "0/-42 -9223372036854775808");
    CHECK_EQ("its length", len, strlen(s));
    small[0] = '\0';
    ht_put(small, sizeof(small), &slen, "abc");
    ht_put_int(small, sizeof(small), &slen, LLONG_MAX);
    CHECK_STR("cut at the room", small, "abc9223");
    ht_put(small, sizeof(small), &slen, "x");
    CHECK_STR("full: nothing more", small, "abc9223");
    CHECK_EQ("length at the room", slen, sizeof(small) - 1);
}

/* ht_memmem: bytes, not strings (a NUL in either is a byte like any
 * other), and a needle that would run past the end is not found. */
static void test_memmem_over_bytes(void **state)
{
    static const char hay[] = "ab\0cab\0cd"; /* 9 bytes and the NUL */

    (void)state;
    CHECK_TRUE("first", ht_memmem(hay, 9, "ab", 2) == hay);
    CHECK_TRUE("across a NUL", ht_memmem(hay, 9, "\0cd", 3) == hay + 6);
    CHECK_TRUE("the later one", ht_memmem(hay + 1, 8, "ab", 2) == hay + 4);
    CHECK_TRUE("not past the end", ht_memmem(hay, 8, "cd", 2) == NULL);
    CHECK_TRUE("the whole", ht_memmem(hay, 9, hay, 9) == hay);
    CHECK_TRUE("longer than the hay", ht_memmem(hay, 3, "ab\0c", 4) == NULL);
    CHECK_TRUE("empty hay", ht_memmem(hay, 0, "a", 1) == NULL);
}

/* A table comes zeroed and whole on both sides of the huge-page line,
 * and is given back by the same size. */
static void test_table_zeroed_on_both_paths(void **state)
{
    static const size_t sizes[] = {16, HT_TABLE_HUGE / 64 - 1, HT_TABLE_HUGE / 64,
                                   3 * HT_TABLE_HUGE / 64 + 7};

    (void)state;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        unsigned char(*t)[64] = ht_table_alloc(n, 64);
        size_t nonzero = 0;

        for (size_t i = 0; i < n; i += 97)
            for (size_t j = 0; j < 64; j++)
                nonzero += t[i][j] != 0;
        for (size_t j = 0; j < 64; j++)
            nonzero += t[n - 1][j] != 0;
        CHECK_EQ("a new table is zeroed", nonzero, 0);
        memset(t[0], 0xa5, 64);
        memset(t[n - 1], 0x5a, 64); /* the last byte is the table's */
        CHECK_EQ("written at both ends", t[0][0] + t[n - 1][63], 0xa5 + 0x5a);
        ht_table_free(t, n, 64);
    }
    ht_table_free(NULL, 1u << 20, 64);
}

static void test_ring_keeps_the_last_n(void **state)
{
    (void)state;
    struct ring r;
    ring_init(&r, sizeof(int), 3);
    assert_null(ring_last(&r));
    for (int i = 1; i <= 5; i++)
        *(int *)ring_push(&r) = i;
    assert_int_equal(r.len, 3);
    assert_int_equal(*(int *)ring_at(&r, 0), 3);
    assert_int_equal(*(int *)ring_at(&r, 2), 5);
    assert_int_equal(*(int *)ring_last(&r), 5);
    assert_null(ring_at(&r, 3));
    ring_free(&r);
}

/* What a server echoes may be a secret in another form: each is masked. */
static void test_secrets_masked_in_their_encoded_forms(void **state)
{
    char s[512];

    (void)state;
    secret_add("p\xc3\xa4ssw\xc3\xb6rd\xf0\x9d\x84\x9e"); /* pässwörd + U+1D11E */
    secret_add_header("Basic dXNlcjpodW50ZXIy");          /* user:hunter2 */
    secret_add_basic("ops", "s3cr3t!");
    ht_strlcpy(
        s,
        "json \"p\\u00e4ssw\\u00f6rd\\ud834\\udd1e\" JSON \"p\\u00E4ssw\\u00F6rd\\uD834\\uDD1E\" "
        "url p%C3%A4ssw%C3%B6rd%F0%9D%84%9E b64 cMOkc3N3w7ZyZPCdhJ4= auth dXNlcjpodW50ZXIy "
        "pw hunter2 basic b3BzOnMzY3IzdCE=",
        sizeof(s));
    secret_scrub(s, sizeof(s));
    assert_string_equal(s, "json \"***\" JSON \"***\" url *** b64 ***= auth *** pw *** basic ***=");
    secret_clear();
}

/* A cut never splits a secret: it moves past a whole one, or back before
 * one that runs on past what is known. */
static void test_secret_cut_never_splits_a_secret(void **state)
{
    const char *s = "abcdef-TOKEN123-xyz";

    (void)state;
    secret_add("TOKEN123");
    assert_int_equal(secret_cut(s, strlen(s), 3), 3);   /* no secret there */
    assert_int_equal(secret_cut(s, strlen(s), 10), 15); /* past the whole token */
    assert_int_equal(secret_cut(s, 12, 10), 7);         /* token runs past 12: before it */
    assert_int_equal(secret_cut(s, strlen(s), 99), strlen(s));
    secret_clear();
}

static void test_secrets_scrubbed_and_urls_redacted(void **state)
{
    (void)state;
    char s[128] = "AUTH hunter22 failed for hunter22";
    char u[128];

    secret_add("hunter22");
    secret_add("ab"); /* too short to register */
    secret_scrub(s, sizeof(s));
    assert_string_equal(s, "AUTH *** failed for ***");
    secret_redact_url("redis://user:pw@host:6379/0", u, sizeof(u));
    assert_string_equal(u, "redis://***@host:6379/0");
    /* Up to the last '@': a password may hold '/' (it ends the authority
     * for a parser); an '@' in a path is masked too, the safe side. */
    secret_redact_url("redis://:pw/x#y@host:6379/0", u, sizeof(u));
    assert_string_equal(u, "redis://***@host:6379/0");
    secret_redact_url("http://host/a@b", u, sizeof(u));
    assert_string_equal(u, "http://***@b");
    secret_clear();
}

static void test_history_keeps_the_recent_samples(void **state)
{
    (void)state;
    struct history h;
    history_init(&h, 10000, 1000); /* 10 samples -> floor of 16 */
    assert_int_equal(h.samples.cap, 16);
    CHECK_LT("history_uptime(&h)", history_uptime(&h), 0);
    for (int i = 0; i < 20; i++)
        history_push(&h, i < 10 ? HEALTH_UNHEALTHY : HEALTH_HEALTHY, i >= 10,
                     i == 19 ? -1 : i * 1000, "msg", i, i);
    assert_int_equal(history_len(&h), 16);
    /* 16 kept: 6 unhealthy (4..9) then 10 healthy */
    assert_int_equal(history_state_at(&h, 0), HEALTH_UNHEALTHY);
    assert_int_equal(history_latency_at(&h, 0), 4000);
    assert_int_equal(history_latency_at(&h, 15), -1);
    assert_false(history_ok_at(&h, 0));
    assert_true(history_ok_at(&h, 15));
    assert_true(history_uptime(&h) > 62.4 && history_uptime(&h) < 62.6);
    history_push(&h, HEALTH_HEALTHY, true, INT64_MAX, NULL, 21, 21);
    /* Clipped, and kept to within 0.4% (test_layout tests the buckets). */
    assert_true(history_latency_at(&h, 15) >= (HISTORY_LATENCY_MAX - 1) / 256 * 255 &&
                history_latency_at(&h, 15) <= (HISTORY_LATENCY_MAX - 1) / 255 * 256);
    for (int64_t us = 1; us < HISTORY_LATENCY_MAX; us = us * 3 / 2 + 1) {
        history_push(&h, HEALTH_HEALTHY, true, us, NULL, 22, 22);
        int64_t got = history_latency_at(&h, 15);
        assert_true(us < 128 ? got == us : got >= us - us / 256 && got <= us + us / 256);
    }
    assert_int_equal(h.recent.len, HISTORY_RECENT);
    history_transition(&h, HEALTH_UNHEALTHY, HEALTH_HEALTHY, "PONG", 5, 5);
    assert_int_equal(((struct history_transition *)ring_last(&h.transitions))->to, HEALTH_HEALTHY);
    history_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_buf_stops_at_its_limit),
        cmocka_unit_test(test_xgrow_keeps_what_was_pushed),
        cmocka_unit_test(test_put_in_pieces),
        cmocka_unit_test(test_memmem_over_bytes),
        cmocka_unit_test(test_table_zeroed_on_both_paths),
        cmocka_unit_test(test_ring_keeps_the_last_n),
        cmocka_unit_test(test_secrets_scrubbed_and_urls_redacted),
        cmocka_unit_test(test_secrets_masked_in_their_encoded_forms),
        cmocka_unit_test(test_secret_cut_never_splits_a_secret),
        cmocka_unit_test(test_history_keeps_the_recent_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
