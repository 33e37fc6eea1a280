/* Theme files: every shipped theme loads, malformed ones are reported
 * with file:line and leave the default, colours map to what a terminal
 * has, and the search path finds themes in the right order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/theme.h"
#include "support/check.h"

static const char *const shipped[] = {"default", "light", "solarized-dark", "high-contrast",
                                      "mono"};

static void test_shipped_themes_load(void **state)
{
    char err[1024], path[600];
    struct theme t;

    (void)state;
    for (size_t i = 0; i < HT_ARRAY_LEN(shipped); i++) {
        snprintf(path, sizeof(path), "%s/%s.theme", HT_SOURCE_THEMES, shipped[i]);
        if (theme_load(path, &t, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        assert_string_equal(t.name, shipped[i]);
        assert_int_equal(theme_open(shipped[i], &t, err, sizeof(err)), 0);
    }
}

/* Every *.theme in the source tree, not only the ones listed above. */
static void test_every_theme_file_loads(void **state)
{
    DIR *d = opendir(HT_SOURCE_THEMES);
    struct dirent *e;
    int n = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[600], err[1024];
        struct theme t;
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".theme") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", HT_SOURCE_THEMES, e->d_name);
        if (theme_load(path, &t, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        n++;
    }
    closedir(d);
    CHECK_GE("n", n, 5);
}

/* themes/default.theme and the compiled-in default say the same. */
static void test_builtin_matches_files(void **state)
{
    struct theme file, builtin;
    char err[256];

    (void)state;
    assert_int_equal(theme_open("default", &file, err, sizeof(err)), 0);
    theme_builtin(&builtin, false);
    assert_memory_equal(file.style, builtin.style, sizeof(file.style));
    assert_int_equal(theme_open("mono", &file, err, sizeof(err)), 0);
    theme_builtin(&builtin, true);
    assert_memory_equal(file.style, builtin.style, sizeof(file.style));
}

static void test_parse_syntax(void **state)
{
    const char *text = "# comment\n"
                       "  # indented comment\n"
                       "\n"
                       "healthy = green\n"
                       "UNHEALTHY=#FF0000,black,bold,underline\r\n"
                       "selected = 17 - reverse\n"
                       "header = bright-white bright_blue\n"
                       "dim = default default none";
    struct theme t;
    char err[256];

    (void)state;
    assert_int_equal(theme_parse("x.theme", text, strlen(text), &t, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(t.style[THEME_ROLE_HEALTHY].fg, 2);
    assert_int_equal(t.style[THEME_ROLE_HEALTHY].bg, THEME_DEFAULT);
    assert_int_equal(t.style[THEME_ROLE_HEALTHY].attrs, 0);
    assert_int_equal(t.style[THEME_ROLE_UNHEALTHY].fg, THEME_RGB(255, 0, 0));
    assert_int_equal(t.style[THEME_ROLE_UNHEALTHY].bg, 0);
    assert_int_equal(t.style[THEME_ROLE_UNHEALTHY].attrs, THEME_BOLD | THEME_UNDERLINE);
    assert_int_equal(t.style[THEME_ROLE_SELECTED].fg, 17);
    assert_int_equal(t.style[THEME_ROLE_SELECTED].bg, THEME_DEFAULT);
    assert_int_equal(t.style[THEME_ROLE_SELECTED].attrs, THEME_REVERSE);
    assert_int_equal(t.style[THEME_ROLE_HEADER].fg, 15);
    assert_int_equal(t.style[THEME_ROLE_HEADER].bg, 12);
    /* A role left out keeps the built-in default. */
    {
        struct theme b;
        theme_builtin(&b, false);
        assert_memory_equal(&t.style[THEME_ROLE_FOOTER], &b.style[THEME_ROLE_FOOTER],
                            sizeof(b.style[0]));
    }
}

static void expect_error(const char *text, const char *want)
{
    struct theme t, b;
    char err[512];

    assert_int_equal(theme_parse("bad.theme", text, strlen(text), &t, err, sizeof(err)), -1);
    if (strstr(err, want) == NULL)
        fail_msg("got '%s', want '%s'", err, want);
    theme_builtin(&b, false);
    assert_memory_equal(t.style, b.style, sizeof(t.style)); /* the default is used */
    assert_string_equal(t.name, "default");
}

static void test_malformed(void **state)
{
    char long_line[700];

    (void)state;
    expect_error("healthy = green\nhelthy = red\n", "bad.theme:2: unknown role 'helthy'");
    expect_error("\n\nhealthy = grean\n", "bad.theme:3: bad colour 'grean'");
    expect_error("healthy = green black blod\n", "bad.theme:1: unknown attribute 'blod'");
    expect_error("healthy green\n", "bad.theme:1: expected 'role = ");
    expect_error("healthy =\n", "bad.theme:1: no colour given for 'healthy'");
    expect_error(" = red\n", "bad.theme:1: missing role name");
    expect_error("healthy = #12345\n", "bad colour '#12345'");
    expect_error("healthy = #gg0000\n", "bad colour '#gg0000'");
    expect_error("healthy = 256\n", "bad colour '256'");
    expect_error("healthy = a b c d e f g h i\n", "too many words");
    memset(long_line, 'a', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    expect_error(long_line, "bad.theme:1: line longer than 512 bytes");
    /* Every problem is listed, each with its line. */
    {
        struct theme t;
        char err[512];
        const char *text = "x = red\nhealthy = green\ny = blue\n";
        assert_int_equal(theme_parse("m.theme", text, strlen(text), &t, err, sizeof(err)), -1);
        CHECK_CONTAINS("err", err, "m.theme:1: unknown role 'x'\n");
        CHECK_CONTAINS("err", err, "m.theme:3: unknown role 'y'\n");
    }
    /* A NUL byte and a tiny error buffer do not break anything. */
    {
        struct theme t;
        char err[8];
        assert_int_equal(theme_parse("n.theme", "a\0b = c\n", 8, &t, err, sizeof(err)), -1);
        CHECK_LT("strlen(err)", strlen(err), sizeof(err));
    }
}

static void test_load_errors_name_the_file(void **state)
{
    char dir[] = "/tmp/ht-theme-XXXXXX", path[256], err[512];
    struct theme t;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/broken.theme", dir);
    f = fopen(path, "w");
    fputs("# fine\nhealthy = green\nselected = purple\n", f);
    fclose(f);
    assert_int_equal(theme_load(path, &t, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "broken.theme:3: bad colour 'purple'");
    CHECK_CONTAINS("err", err, dir);
    assert_int_equal(theme_load("/nonexistent/x.theme", &t, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "/nonexistent/x.theme");
    assert_int_equal(theme_open("no-such-theme", &t, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "'no-such-theme' not found");
    assert_string_equal(t.name, "default");
    unlink(path);
    rmdir(dir);
}

static void test_search_path(void **state)
{
    char dir[] = "/tmp/ht-xdg-XXXXXX", sub[256], path[600], err[256];
    char real_found[PATH_MAX], real_shipped[PATH_MAX];
    char **names;
    size_t n;
    struct theme t;
    FILE *f;
    bool mine = false;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/healthtop", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof(sub), "%s/healthtop/themes", dir);
    mkdir(sub, 0700);
    setenv("XDG_CONFIG_HOME", dir, 1);
    snprintf(path, sizeof(path), "%s/mine.theme", sub);
    f = fopen(path, "w");
    fputs("healthy = #00ff00\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/light.theme", sub); /* shadowed by the source tree's */
    f = fopen(path, "w");
    fputs("healthy = red\n", f);
    fclose(f);

    assert_int_equal(theme_find("mine", path, sizeof(path)), 0);
    CHECK_CONTAINS("path", path, dir);
    assert_int_equal(theme_find("light", path, sizeof(path)), 0);
    /* Found through the build tree's share/healthtop/themes, the link that
     * mirrors an installed prefix: the very file the source tree ships. */
    assert_non_null(realpath(path, real_found));
    assert_non_null(realpath(HT_SOURCE_THEMES "/light.theme", real_shipped));
    assert_string_equal(real_found, real_shipped);
    assert_int_equal(theme_open("mine", &t, err, sizeof(err)), 0);
    assert_string_equal(t.name, "mine");
    assert_int_equal(t.style[THEME_ROLE_HEALTHY].fg, THEME_RGB(0, 255, 0));
    assert_int_equal(theme_find("../etc/passwd", path, sizeof(path)), -1);
    assert_int_equal(theme_find(".hidden", path, sizeof(path)), -1);

    n = theme_list(&names);
    CHECK_GE("n", n, 6);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            assert_true(strcmp(names[i - 1], names[i]) < 0); /* sorted, no duplicates */
        mine |= strcmp(names[i], "mine") == 0;
    }
    assert_true(mine);
    theme_list_free(names, n);

    snprintf(path, sizeof(path), "%s/mine.theme", sub);
    unlink(path);
    snprintf(path, sizeof(path), "%s/light.theme", sub);
    unlink(path);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/healthtop", dir);
    rmdir(sub);
    rmdir(dir);
    unsetenv("XDG_CONFIG_HOME");
}

static void test_colour_mapping(void **state)
{
    (void)state;
    /* 256 colours: into the fixed cube and greys. */
    assert_int_equal(theme_nearest_color(255, 0, 0, 256), 196);
    assert_int_equal(theme_nearest_color(0, 0, 0, 256), 16);
    assert_int_equal(theme_nearest_color(255, 255, 255, 256), 231);
    assert_int_equal(theme_nearest_color(0x80, 0x80, 0x80, 256), 244);
    /* 16 and 8 colours: the base palette. */
    assert_int_equal(theme_nearest_color(255, 0, 0, 16), 9);
    assert_int_equal(theme_nearest_color(255, 0, 0, 8), 1);
    assert_int_equal(theme_nearest_color(0, 200, 0, 8), 2);
    assert_int_equal(theme_nearest_color(250, 250, 250, 8), 7);
    /* Resolving: default stays default, indexes above the terminal's map down. */
    assert_int_equal(theme_resolve_color(THEME_DEFAULT, 256), -1);
    assert_int_equal(theme_resolve_color(196, 256), 196);
    assert_int_equal(theme_resolve_color(196, 8), 1);
    assert_int_equal(theme_resolve_color(46, 16), 10);
    assert_int_equal(theme_resolve_color(THEME_RGB(0xdc, 0x32, 0x2f), 8), 1);
    assert_int_equal(theme_resolve_color(3, 0), -1); /* no colours at all */
    for (int c = 0; c < 256; c++) {
        CHECK_LT("theme_resolve_color(c, 8)", theme_resolve_color(c, 8), 8);
        CHECK_LT("theme_resolve_color(c, 16)", theme_resolve_color(c, 16), 16);
        assert_int_equal(theme_resolve_color(c, 256), c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_themes_load),
        cmocka_unit_test(test_every_theme_file_loads),
        cmocka_unit_test(test_builtin_matches_files),
        cmocka_unit_test(test_parse_syntax),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_load_errors_name_the_file),
        cmocka_unit_test(test_search_path),
        cmocka_unit_test(test_colour_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
