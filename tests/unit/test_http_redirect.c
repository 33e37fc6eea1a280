/* What a redirect may carry (http_redirect_classify): the configured
 * headers only to the same scheme, host and port (default ports filled
 * in, host names compared without case); https to http is a downgrade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "probes/http_check.h"

static void test_redirect_origins(void **state)
{
    (void)state;
    assert_int_equal(http_redirect_classify("http://a:80/x", "http://A/y?z"),
                     HTTP_REDIRECT_SAME_ORIGIN);
    assert_int_equal(http_redirect_classify("https://a/x", "https://a:443/y"),
                     HTTP_REDIRECT_SAME_ORIGIN);
    assert_int_equal(http_redirect_classify("http://a:8080/x", "http://a:8081/x"),
                     HTTP_REDIRECT_OTHER_ORIGIN);
    assert_int_equal(http_redirect_classify("http://a/x", "http://b/x"),
                     HTTP_REDIRECT_OTHER_ORIGIN);
    assert_int_equal(http_redirect_classify("http://a/x", "https://a/x"),
                     HTTP_REDIRECT_OTHER_ORIGIN);
    assert_int_equal(http_redirect_classify("https://a/x", "http://a/x"), HTTP_REDIRECT_DOWNGRADE);
    assert_int_equal(http_redirect_classify("http://a/x", "ftp://a/x"), HTTP_REDIRECT_BAD);
    assert_int_equal(http_redirect_classify("http://a/x", "::not a url"), HTTP_REDIRECT_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redirect_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
