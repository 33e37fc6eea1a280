/* text_safe: outside text masked, then escaped, then cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "healthtop/secret.h"
#include "healthtop/text.h"

static void check(const char *src, size_t len, size_t cap, const char *want)
{
    char out[256];

    assert_true(cap <= sizeof(out));
    text_safe(out, cap, src, len);
    if (strcmp(out, want) != 0)
        fail_msg("text_safe of %zu bytes into %zu: expected \"%s\", saw \"%s\"", len, cap, want,
                 out);
}

#define CHECK(src, cap, want) check(src, sizeof(src) - 1, cap, want)

/* Escape sequences, OSC 52 (clipboard), C1 controls in UTF-8, bidi
 * overrides and invalid bytes all become visible ASCII escapes. */
static void test_escapes_what_acts_on_a_terminal(void **state)
{
    (void)state;
    CHECK("ok \x1b[2J\x1b]0;pwned\x07", 64, "ok \\x1b[2J\\x1b]0;pwned\\x07");
    CHECK("\x1b]52;c;aGk=\x07", 64, "\\x1b]52;c;aGk=\\x07");
    CHECK("a\xc2\x9b"
          "31mb",
          64, "a\\u009b31mb");
    CHECK("user \xe2\x80\xae"
          "txt.exe",
          64, "user \\u202etxt.exe");
    CHECK("\xe2\x81\xa6x\xe2\x81\xa9", 64, "\\u2066x\\u2069");
    CHECK("bad \xff\xc0\xaf end", 64, "bad \\xff\\xc0\\xaf end");
    CHECK("line1\nline2\r\tx\x7f", 64, "line1\\nline2\\r\\tx\\x7f");
    CHECK("nul\0byte", 64, "nul\\x00byte");
    CHECK("caf\xc3\xa9 \xe2\x9c\x93 ok", 64, "caf\xc3\xa9 \xe2\x9c\x93 ok");
    /* Already safe text passes unchanged. */
    CHECK("\\x1b[2J \\u202e", 64, "\\x1b[2J \\u202e");
}

/* Cutting comes last and never splits a character or an escape. */
static void test_cuts_at_boundaries_with_an_ellipsis(void **state)
{
    (void)state;
    CHECK("abcdefghij", 11, "abcdefghij");
    CHECK("abcdefghijk", 11, "abcdefg...");
    CHECK("ab\x1b\x1b\x1b", 9, "ab...");
    CHECK("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, "\xc3\xa9\xc3\xa9...");
}

/* A secret is masked on the whole text before anything is cut: a cut
 * never leaves its first characters showing (a Redis error echoing a
 * password showed 15 of its 19 characters). */
static void test_masks_before_cutting(void **state)
{
    (void)state;
    secret_add("hunter2-s3cret-pass");
    CHECK("ERR invalid password 'hunter2-s3cret-pass' for user", 30,
          "ERR invalid password '***'...");
    CHECK("ERR invalid password 'hunter2-s3cret-pass'", 26, "ERR invalid password '...");
    CHECK("x\x1bhunter2-s3cret-pass\x1b", 64, "x\\x1b***\\x1b");
    secret_clear();
}

static void check_html(const char *src, size_t cap, const char *want)
{
    char out[256];

    assert_true(cap <= sizeof(out));
    text_html(out, cap, src, strlen(src));
    if (strcmp(out, want) != 0)
        fail_msg("text_html of \"%s\" into %zu: expected \"%s\", saw \"%s\"", src, cap, want, out);
}

/* The status page's one escaper: the five characters that make markup
 * become entities, after the terminal's escapes; secrets are masked first
 * and the cut never splits an entity. */
static void test_html_is_never_markup(void **state)
{
    (void)state;
    check_html("<script>window.pwned=1</script>", 128,
               "&lt;script&gt;window.pwned=1&lt;/script&gt;");
    check_html("<img src=x onerror=\"a('b')\">", 128,
               "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;");
    check_html("AT&T \x1b[2J \xe2\x80\xae", 128, "AT&amp;T \\x1b[2J \\u202e");
    check_html("caf\xc3\xa9 \xe2\x9c\x97", 128, "caf\xc3\xa9 \xe2\x9c\x97");
    /* Cut last, at an entity's boundary: "a&lt;" fits, "&gt;" does not. */
    check_html("a<<<<b", 12, "a&lt;...");
    check_html("<<", 9, "&lt;&lt;");
    /* A secret with markup characters in it is masked whole, before the
     * entities could change its bytes. */
    secret_add("p<ss&word\"1");
    check_html("auth failed for 'p<ss&word\"1'!", 128, "auth failed for &#39;***&#39;!");
    secret_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_what_acts_on_a_terminal),
        cmocka_unit_test(test_cuts_at_boundaries_with_an_ellipsis),
        cmocka_unit_test(test_masks_before_cutting),
        cmocka_unit_test(test_html_is_never_markup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
