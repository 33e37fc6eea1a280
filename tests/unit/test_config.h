/* Helpers shared by the config tests (test_config*.c). */
#ifndef TEST_CONFIG_H
#define TEST_CONFIG_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "healthtop/config.h"
#include "healthtop/secret.h"

#define ERR_LEN 8192

static char test_err[ERR_LEN];

/* Parses text as "t.yml"; returns config_parse's result. */
static inline int parse_text(const char *text, struct ht_config *cfg)
{
    return config_parse("t.yml", text, strlen(text), cfg, test_err, sizeof(test_err));
}

/* Parses text that must be valid. */
static inline void parse_ok(const char *text, struct ht_config *cfg)
{
    if (parse_text(text, cfg) != 0) {
        print_error("unexpected config error:\n%s\n", test_err);
        fail();
    }
}

/* Parses text that must fail with an error containing want. */
static inline void parse_fails_with(const char *text, const char *want)
{
    struct ht_config cfg;

    if (parse_text(text, &cfg) == 0) {
        config_free(&cfg);
        print_error("config was accepted; wanted an error with: %s\n", want);
        fail();
    }
    if (strstr(test_err, want) == NULL) {
        print_error("error text:\n%s\nlacks: %s\n", test_err, want);
        fail();
    }
    /* A failed parse leaves nothing to free. */
    assert_int_equal(cfg.nsvcs, 0);
    assert_null(cfg.svcs);
}

static inline size_t count_lines(const char *s)
{
    size_t n = *s ? 1 : 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static inline int teardown_secrets(void **state)
{
    (void)state;
    secret_clear();
    return 0;
}

#endif
