/* Themes: how each role of the dashboard (a state, the header, the
 * selection, a sparkline sample...) is drawn.
 *
 * A theme is a small text file under themes/ (the format is documented at
 * the top of every shipped theme and in doc/themes.md):
 *
 *     # comment
 *     healthy   = green    default  bold
 *     selected  = #eeeeee  #005f87
 *
 * Parsing is pure (no terminal needed, fuzzed by fuzz/fuzz_theme.c);
 * theme_apply() turns a parsed theme into ncurses colour pairs and
 * attributes for the terminal at hand. */
#ifndef HEALTHTOP_THEME_H
#define HEALTHTOP_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/util.h"

enum theme_role {
    THEME_ROLE_NORMAL,
    THEME_ROLE_HEADER,
    THEME_ROLE_TITLE,
    THEME_ROLE_COLUMN_HEADER,
    THEME_ROLE_GROUP,
    THEME_ROLE_SELECTED,
    THEME_ROLE_HEALTHY,
    THEME_ROLE_DEGRADED,
    THEME_ROLE_UNHEALTHY,
    THEME_ROLE_STARTING,
    THEME_ROLE_UNKNOWN,
    THEME_ROLE_SKIPPED,
    THEME_ROLE_SPARK_OK,
    THEME_ROLE_SPARK_SLOW,
    THEME_ROLE_SPARK_FAIL,
    THEME_ROLE_SPARK_STARTING,
    THEME_ROLE_DIM,
    THEME_ROLE_FOOTER,
    THEME_ROLE_KEY,
    THEME_ROLE_PAUSED,
    THEME_ROLE_BORDER,
    THEME_ROLE_NOTICE,
    THEME_ROLE_FILTER,
    THEME_ROLE_COUNT
};

/* Colours: THEME_DEFAULT is the terminal's own colour, 0..255 a palette
 * index, THEME_RGB() a #rrggbb value mapped to the nearest colour the
 * terminal has when the theme is applied. */
#define THEME_DEFAULT      (-1)
#define THEME_RGB_FLAG     0x1000000
#define THEME_RGB(r, g, b) (THEME_RGB_FLAG | ((r) << 16) | ((g) << 8) | (b))

/* Attributes, independent of curses so that parsing needs no terminal. */
enum {
    THEME_BOLD = 1 << 0,
    THEME_DIM = 1 << 1,
    THEME_UNDERLINE = 1 << 2,
    THEME_REVERSE = 1 << 3,
    THEME_STANDOUT = 1 << 4,
    THEME_ITALIC = 1 << 5,
    THEME_BLINK = 1 << 6,
};

struct theme_style {
    int32_t fg, bg;
    uint32_t attrs;
};

#define THEME_NAME_MAX 64

struct theme {
    char name[THEME_NAME_MAX];
    struct theme_style style[THEME_ROLE_COUNT];
};

/* "healthy", "sparkline_fail", ...: the names used in theme files. */
const char *theme_role_name(enum theme_role r);

/* The compiled-in themes: the default (dark) one, and mono (attributes
 * only) for terminals without colour and NO_COLOR. Used as the base every
 * file is parsed over, and when no file can be read. */
void theme_builtin(struct theme *t, bool mono);

/* Parses text over the built-in default (roles a file leaves out keep
 * it). On error returns -1, leaves t as the built-in default and writes
 * one "name:line: message" line per problem into err. */
int theme_parse(const char *name, const char *text, size_t len, struct theme *t, char *err,
                size_t errlen) HT_WUR;
/* Reads and parses the file at path; the theme is named after the file. */
int theme_load(const char *path, struct theme *t, char *err, size_t errlen) HT_WUR;

/* Finds NAME.theme in the search path: share/healthtop/themes under the
 * executable's own prefix (P/bin/healthtop -> P/share/healthtop/themes;
 * the build tree has the same layout), then
 * $XDG_CONFIG_HOME/healthtop/themes (~/.config when unset). A name with a
 * '/' is taken as a path. Returns 0 and writes the path, or -1. */
int theme_find(const char *name, char *path, size_t n) HT_WUR;
/* Every theme name in the search path, sorted, without duplicates.
 * Returns the count; *names (and each name) is the caller's: free with
 * theme_list_free. */
size_t theme_list(char ***names);
void theme_list_free(char **names, size_t n);

/* Loads the theme called name (or the built-in default when it cannot be
 * found or parsed, with the reason in err). Returns 0 or -1. */
int theme_open(const char *name, struct theme *t, char *err, size_t errlen);

/* The palette index nearest to r,g,b among the first ncolors colours of
 * an xterm-like palette (8, 16, 88 treated as 16, or 256). */
int theme_nearest_color(int r, int g, int b, int ncolors);
/* A theme colour as the terminal can show it: -1 (default) or an index
 * below ncolors. */
int theme_resolve_color(int32_t c, int ncolors);

#endif
