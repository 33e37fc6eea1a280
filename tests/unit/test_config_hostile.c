/* Configs that attack the parser: flow nesting deep enough to keep
 * libyaml's scanner busy for minutes (refused before libyaml sees it,
 * with the position of the first bracket too many), and what a newcomer
 * trips on (a tab in the indentation gets a message saying so). */
#include "test_config.h"

/* 200,000 '[' in a value, far under the file size cap: took libyaml
 * minutes. A regression would hang here until ctest's timeout. */
static void test_deep_flow_nesting_is_refused_at_its_position(void **state)
{
    const char head[] = "services:\n  a: {tcp: \"127.0.0.1:1\", label: ";
    size_t n = 200000;
    char *text = malloc(sizeof(head) + n + 2);
    struct ht_config cfg;

    (void)state;
    assert_non_null(text);
    memcpy(text, head, sizeof(head) - 1);
    memset(text + sizeof(head) - 1, '[', n);
    memcpy(text + sizeof(head) - 1 + n, "}", 2);
    assert_int_equal(parse_text(text, &cfg), -1);
    /* the opening '{' is level 1, so the 64th '[' is level 65 */
    assert_string_equal(test_err, "t.yml:2:97: nested deeper than 64 levels");
    free(text);
}

/* Brackets in comments, in quoted scalars and in "it's" do not count;
 * 64 real levels are allowed. */
static void test_brackets_outside_flow_do_not_count(void **state)
{
    char text[1024];
    struct ht_config cfg;
    int k;

    (void)state;
    parse_ok("title: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n"
             "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
             "services:\n  a: {tcp: \"127.0.0.1:1\", label: it's}\n"
             "  b: {tcp: \"127.0.0.1:1\", label: "
             "'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['}\n",
             &cfg);
    config_free(&cfg);
    k = snprintf(text, sizeof(text), "x-deep: ");
    for (int i = 0; i < 64; i++)
        text[k++] = '[';
    for (int i = 0; i < 64; i++)
        text[k++] = ']';
    snprintf(text + k, sizeof(text) - (size_t)k, "\nservices:\n  a: {tcp: \"127.0.0.1:1\"}\n");
    parse_ok(text, &cfg);
    config_free(&cfg);
}

static void test_tab_indentation_says_so(void **state)
{
    (void)state;
    parse_fails_with("services:\n\ta: {tcp: \"127.0.0.1:1\"}\n",
                     "t.yml:2:1: YAML syntax error: a tab; tabs are not allowed for indentation "
                     "in YAML, use spaces");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_flow_nesting_is_refused_at_its_position),
        cmocka_unit_test(test_brackets_outside_flow_do_not_count),
        cmocka_unit_test(test_tab_indentation_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
