/* Theme files: parsing, the search path, and colour mapping. Nothing here
 * touches the terminal; src/ui/screen.c applies a parsed theme. */
#include "theme.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <uv.h>

static const char *const role_names[THEME_ROLE_COUNT] = {
    [THEME_ROLE_NORMAL] = "normal",
    [THEME_ROLE_HEADER] = "header",
    [THEME_ROLE_TITLE] = "title",
    [THEME_ROLE_COLUMN_HEADER] = "column_header",
    [THEME_ROLE_GROUP] = "group",
    [THEME_ROLE_SELECTED] = "selected",
    [THEME_ROLE_HEALTHY] = "healthy",
    [THEME_ROLE_DEGRADED] = "degraded",
    [THEME_ROLE_UNHEALTHY] = "unhealthy",
    [THEME_ROLE_STARTING] = "starting",
    [THEME_ROLE_UNKNOWN] = "unknown",
    [THEME_ROLE_SKIPPED] = "skipped",
    [THEME_ROLE_SPARK_OK] = "sparkline_ok",
    [THEME_ROLE_SPARK_SLOW] = "sparkline_slow",
    [THEME_ROLE_SPARK_FAIL] = "sparkline_fail",
    [THEME_ROLE_SPARK_STARTING] = "sparkline_starting",
    [THEME_ROLE_DIM] = "dim",
    [THEME_ROLE_FOOTER] = "footer",
    [THEME_ROLE_KEY] = "key",
    [THEME_ROLE_PAUSED] = "paused",
    [THEME_ROLE_BORDER] = "border",
    [THEME_ROLE_NOTICE] = "notice",
    [THEME_ROLE_FILTER] = "filter",
};

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_ROLE_COUNT ? role_names[r] : "?";
}

#define D THEME_DEFAULT
#define B THEME_BOLD
#define R THEME_REVERSE

/* The built-in dark theme; themes/default.theme says the same in text. */
static const struct theme_style builtin_dark[THEME_ROLE_COUNT] = {
    [THEME_ROLE_NORMAL] = {D, D, 0},       [THEME_ROLE_HEADER] = {252, 236, 0},
    [THEME_ROLE_TITLE] = {81, 236, B},     [THEME_ROLE_COLUMN_HEADER] = {245, D, THEME_UNDERLINE},
    [THEME_ROLE_GROUP] = {75, D, B},       [THEME_ROLE_SELECTED] = {231, 238, B},
    [THEME_ROLE_HEALTHY] = {78, D, 0},     [THEME_ROLE_DEGRADED] = {220, D, B},
    [THEME_ROLE_UNHEALTHY] = {203, D, B},  [THEME_ROLE_STARTING] = {111, D, 0},
    [THEME_ROLE_UNKNOWN] = {245, D, 0},    [THEME_ROLE_SKIPPED] = {244, D, 0},
    [THEME_ROLE_SPARK_OK] = {71, D, 0},    [THEME_ROLE_SPARK_SLOW] = {214, D, 0},
    [THEME_ROLE_SPARK_FAIL] = {196, D, B}, [THEME_ROLE_SPARK_STARTING] = {67, D, 0},
    [THEME_ROLE_DIM] = {244, D, 0},        [THEME_ROLE_FOOTER] = {250, 236, 0},
    [THEME_ROLE_KEY] = {81, 236, B},       [THEME_ROLE_PAUSED] = {16, 214, B},
    [THEME_ROLE_BORDER] = {67, D, 0},      [THEME_ROLE_NOTICE] = {220, 236, B},
    [THEME_ROLE_FILTER] = {231, 24, B},
};

/* Attributes only: every state still reads by glyph and word. */
static const struct theme_style builtin_mono[THEME_ROLE_COUNT] = {
    [THEME_ROLE_NORMAL] = {D, D, 0},
    [THEME_ROLE_HEADER] = {D, D, R},
    [THEME_ROLE_TITLE] = {D, D, R | B},
    [THEME_ROLE_COLUMN_HEADER] = {D, D, THEME_UNDERLINE},
    [THEME_ROLE_GROUP] = {D, D, B},
    [THEME_ROLE_SELECTED] = {D, D, R},
    [THEME_ROLE_HEALTHY] = {D, D, 0},
    [THEME_ROLE_DEGRADED] = {D, D, B},
    [THEME_ROLE_UNHEALTHY] = {D, D, B | THEME_UNDERLINE},
    [THEME_ROLE_STARTING] = {D, D, THEME_DIM},
    [THEME_ROLE_UNKNOWN] = {D, D, THEME_DIM},
    [THEME_ROLE_SKIPPED] = {D, D, THEME_DIM},
    [THEME_ROLE_SPARK_OK] = {D, D, 0},
    [THEME_ROLE_SPARK_SLOW] = {D, D, B},
    [THEME_ROLE_SPARK_FAIL] = {D, D, B},
    [THEME_ROLE_SPARK_STARTING] = {D, D, THEME_DIM},
    [THEME_ROLE_DIM] = {D, D, THEME_DIM},
    [THEME_ROLE_FOOTER] = {D, D, R},
    [THEME_ROLE_KEY] = {D, D, R | B},
    [THEME_ROLE_PAUSED] = {D, D, R | B},
    [THEME_ROLE_BORDER] = {D, D, 0},
    [THEME_ROLE_NOTICE] = {D, D, B},
    [THEME_ROLE_FILTER] = {D, D, THEME_UNDERLINE},
};

#undef D
#undef B
#undef R

void theme_builtin(struct theme *t, bool mono)
{
    ht_strlcpy(t->name, mono ? "mono" : "default", sizeof(t->name));
    memcpy(t->style, mono ? builtin_mono : builtin_dark, sizeof(t->style));
}

static const struct {
    const char *name;
    int index;
} color_names[] = {
    {"black", 0},         {"red", 1},
    {"green", 2},         {"yellow", 3},
    {"blue", 4},          {"magenta", 5},
    {"cyan", 6},          {"white", 7},
    {"bright_black", 8},  {"gray", 8},
    {"grey", 8},          {"bright_red", 9},
    {"bright_green", 10}, {"bright_yellow", 11},
    {"bright_blue", 12},  {"bright_magenta", 13},
    {"bright_cyan", 14},  {"bright_white", 15},
};

static const struct {
    const char *name;
    uint32_t bit;
} attr_names[] = {
    {"bold", THEME_BOLD},           {"dim", THEME_DIM},
    {"underline", THEME_UNDERLINE}, {"reverse", THEME_REVERSE},
    {"standout", THEME_STANDOUT},   {"italic", THEME_ITALIC},
    {"blink", THEME_BLINK},         {"none", 0},
};

/* One colour word: a name (bright-red and bright_red alike), a 0..255
 * index, #rrggbb, or default / -. */
static int parse_color(const char *w, int32_t *out)
{
    char name[32];
    size_t i;

    if (strcmp(w, "default") == 0 || strcmp(w, "-") == 0) {
        *out = THEME_DEFAULT;
        return 0;
    }
    if (w[0] == '#') {
        int32_t v = 0;
        if (strlen(w) != 7)
            return -1;
        for (i = 1; i < 7; i++) {
            int h = ht_hexval((unsigned char)w[i]);
            if (h < 0)
                return -1;
            v = v << 4 | h;
        }
        *out = THEME_RGB_FLAG | v;
        return 0;
    }
    if (isdigit((unsigned char)w[0])) {
        char *end;
        long v;
        errno = 0;
        v = strtol(w, &end, 10);
        if (*end != '\0' || errno != 0 || v < 0 || v > 255)
            return -1;
        *out = (int32_t)v;
        return 0;
    }
    ht_strlcpy(name, w, sizeof(name));
    for (i = 0; name[i] != '\0'; i++)
        if (name[i] == '-')
            name[i] = '_';
    for (i = 0; i < HT_ARRAY_LEN(color_names); i++)
        if (strcasecmp(name, color_names[i].name) == 0) {
            *out = color_names[i].index;
            return 0;
        }
    return -1;
}

static int parse_attr(const char *w, uint32_t *attrs)
{
    for (size_t i = 0; i < HT_ARRAY_LEN(attr_names); i++)
        if (strcasecmp(w, attr_names[i].name) == 0) {
            *attrs |= attr_names[i].bit;
            return 0;
        }
    return -1;
}

static void add_error(char *err, size_t errlen, size_t *used, const char *name, unsigned line,
                      const char *fmt, const char *word)
{
    char msg[160];

    if (err == NULL || errlen == 0 || *used + 1 >= errlen)
        return;
    ht_snprintf(msg, sizeof(msg), fmt, word);
    ht_snprintf(err + *used, errlen - *used, "%s:%u: %s\n", name, line, msg);
    *used += strlen(err + *used);
}

#define THEME_LINE_MAX 512
#define THEME_WORDS    8

/* Splits line (modified in place) into words at blanks and commas. */
static int split_words(char *line, char **words, int max)
{
    int n = 0;
    char *save = NULL;

    for (char *w = strtok_r(line, " \t,", &save); w != NULL; w = strtok_r(NULL, " \t,", &save)) {
        if (n == max)
            return -1;
        words[n++] = w;
    }
    return n;
}

static int role_find(const char *w)
{
    for (int r = 0; r < THEME_ROLE_COUNT; r++)
        if (strcasecmp(w, role_names[r]) == 0)
            return r;
    return -1;
}

/* Parses one non-blank, non-comment line ("role = fg [bg] [attr...]")
 * into t. Returns NULL or a printf format (with one %s: the offending
 * word) saying what is wrong. */
static const char *parse_line(char *line, struct theme *t, const char **bad)
{
    char *eq = strchr(line, '=');
    char *words[THEME_WORDS], *key;
    struct theme_style st = {THEME_DEFAULT, THEME_DEFAULT, 0};
    int n, role;

    *bad = "";
    if (eq == NULL)
        return "expected 'role = foreground [background] [attributes]'%s";
    *eq = '\0';
    key = line;
    while (isspace((unsigned char)*key))
        key++;
    for (char *e = key + strlen(key); e > key && isspace((unsigned char)e[-1]);)
        *--e = '\0';
    *bad = key;
    role = role_find(key);
    if (role < 0)
        return *key ? "unknown role '%s'" : "missing role name%s";
    n = split_words(eq + 1, words, THEME_WORDS);
    if (n < 0)
        return "too many words for '%s'";
    if (n == 0)
        return "no colour given for '%s'";
    for (int i = 0; i < n; i++) {
        *bad = words[i];
        if (i == 0 && parse_color(words[i], &st.fg) == 0)
            continue;
        if (i == 1 && parse_color(words[i], &st.bg) == 0)
            continue;
        if (parse_attr(words[i], &st.attrs) == 0)
            continue;
        if (i < 2)
            return "bad colour '%s' (a name, 0-255, #rrggbb or default)";
        return "unknown attribute '%s'";
    }
    t->style[role] = st;
    return NULL;
}

int theme_parse(const char *name, const char *text, size_t len, struct theme *t, char *err,
                size_t errlen)
{
    size_t used = 0, pos = 0;
    unsigned lineno = 0;
    int errors = 0;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    theme_builtin(t, false);
    while (pos < len) {
        char line[THEME_LINE_MAX + 1];
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
        const char *why, *bad, *p;

        lineno++;
        if (n > THEME_LINE_MAX) {
            add_error(err, errlen, &used, name, lineno, "line longer than 512 bytes%s", "");
            errors++;
            pos = end + 1;
            continue;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (memchr(line, '\0', n) != NULL) {
            add_error(err, errlen, &used, name, lineno, "NUL byte in line%s", "");
            errors++;
            continue;
        }
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        for (p = line; isspace((unsigned char)*p); p++)
            ;
        if (*p == '\0' || *p == '#')
            continue;
        why = parse_line(line, t, &bad);
        if (why != NULL) {
            add_error(err, errlen, &used, name, lineno, why, bad);
            errors++;
        }
    }
    if (errors > 0) {
        theme_builtin(t, false);
        return -1;
    }
    ht_strlcpy(t->name, name, sizeof(t->name));
    return 0;
}

/* Themes are tiny; anything bigger than this is not one. */
#define THEME_FILE_MAX (64 * 1024)
/* The two prefixes around the executable, then the user's own directory. */
#define THEME_DIRS 3

static void theme_name_from_path(const char *path, char *name, size_t n)
{
    const char *base = strrchr(path, '/');
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (len > 6 && strcmp(base + len - 6, ".theme") == 0)
        len -= 6;
    if (len >= n)
        len = n - 1;
    memcpy(name, base, len);
    name[len] = '\0';
}

int theme_load(const char *path, struct theme *t, char *err, size_t errlen)
{
    char name[THEME_NAME_MAX];
    char *text;
    size_t len;
    FILE *f = fopen(path, "rb");
    int rc;

    theme_builtin(t, false);
    if (f == NULL) {
        ht_snprintf(err, errlen, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    text = xmalloc(THEME_FILE_MAX + 1);
    len = fread(text, 1, THEME_FILE_MAX + 1, f);
    fclose(f);
    if (len > THEME_FILE_MAX) {
        ht_snprintf(err, errlen, "%s: larger than %d bytes\n", path, THEME_FILE_MAX);
        free(text);
        return -1;
    }
    rc = theme_parse(path, text, len, t, err, errlen);
    free(text);
    if (rc == 0) {
        theme_name_from_path(path, name, sizeof(name));
        ht_strlcpy(t->name, name, sizeof(t->name));
    }
    return rc;
}

/* The search path, in order; returns the number of directories.
 *
 * Shipped themes live in share/healthtop/themes beside the executable's
 * prefix: P/bin/healthtop reads P/share/healthtop/themes, wherever P has
 * been moved. The build tree mirrors that layout (CMake links
 * build/share/healthtop/themes to the source's themes/), so a binary run
 * from build/ or build/tests/ finds the themes it was built with. No
 * directory is fixed at configure time. */
static int theme_dirs(char dirs[THEME_DIRS][512])
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char exe[512];
    size_t len = sizeof(exe);
    int n = 0;

    if (uv_exepath(exe, &len) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash != NULL) { /* the build tree: build/healthtop */
            *slash = '\0';
            ht_snprintf(dirs[n++], 512, "%s/share/healthtop/themes", exe);
        }
        if (slash != NULL && (slash = strrchr(exe, '/')) != NULL) { /* P/bin/healthtop */
            *slash = '\0';
            ht_snprintf(dirs[n++], 512, "%s/share/healthtop/themes", exe);
        }
    }
    if (xdg != NULL && xdg[0] != '\0')
        ht_snprintf(dirs[n++], 512, "%s/healthtop/themes", xdg);
    else if (home != NULL && home[0] != '\0')
        ht_snprintf(dirs[n++], 512, "%s/.config/healthtop/themes", home);
    return n;
}

static bool valid_theme_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strlen(name) < THEME_NAME_MAX;
}

int theme_find(const char *name, char *path, size_t n)
{
    char dirs[THEME_DIRS][512];
    int nd = theme_dirs(dirs);

    if (strchr(name, '/') != NULL) {
        ht_strlcpy(path, name, n);
        return access(path, R_OK) == 0 ? 0 : -1;
    }
    if (!valid_theme_name(name))
        return -1;
    for (int i = 0; i < nd; i++) {
        ht_snprintf(path, n, "%s/%s.theme", dirs[i], name);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t theme_list(char ***names)
{
    char dirs[THEME_DIRS][512];
    int nd = theme_dirs(dirs);
    size_t n = 0, cap = 0, out = 0;
    char **v = NULL;

    for (int i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        if (d == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            char name[THEME_NAME_MAX];
            size_t len = strlen(e->d_name);
            if (len <= 6 || strcmp(e->d_name + len - 6, ".theme") != 0)
                continue;
            theme_name_from_path(e->d_name, name, sizeof(name));
            if (!valid_theme_name(name))
                continue;
            XGROW(v, cap, n + 1);
            v[n++] = xstrdup(name);
        }
        closedir(d);
    }
    if (n > 0)
        qsort(v, n, sizeof(*v), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(v[out - 1], v[i]) == 0)
            free(v[i]);
        else
            v[out++] = v[i];
    }
    *names = v;
    return out;
}

void theme_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int theme_open(const char *name, struct theme *t, char *err, size_t errlen)
{
    char path[600];

    if (theme_find(name, path, sizeof(path)) != 0) {
        char dirs[THEME_DIRS][512];
        int nd = theme_dirs(dirs);
        ht_snprintf(err, errlen, "theme '%s' not found (looked in", name);
        for (int i = 0; i < nd; i++) {
            size_t off = strlen(err);
            ht_snprintf(err + off, errlen - off, "%s %s", i ? "," : "", dirs[i]);
        }
        ht_snprintf(err + strlen(err), errlen - strlen(err), ")\n");
        theme_builtin(t, strcmp(name, "mono") == 0);
        return -1;
    }
    return theme_load(path, t, err, errlen);
}

/* The xterm palette: 16 base colours, a 6x6x6 cube, 24 greys. */
static void palette_rgb(int i, int *r, int *g, int *b)
{
    static const unsigned char base[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    static const unsigned char level[6] = {0, 95, 135, 175, 215, 255};

    if (i < 16) {
        *r = base[i][0], *g = base[i][1], *b = base[i][2];
    } else if (i < 232) {
        i -= 16;
        *r = level[i / 36], *g = level[i / 6 % 6], *b = level[i % 6];
    } else {
        *r = *g = *b = 8 + (i - 232) * 10;
    }
}

int theme_nearest_color(int r, int g, int b, int ncolors)
{
    /* With 256 colours the cube and greys are fixed while the first 16
     * follow the user's terminal palette, so search only the fixed ones. */
    int lo = ncolors >= 256 ? 16 : 0;
    int hi = ncolors >= 256 ? 256 : ncolors >= 16 ? 16 : ncolors >= 8 ? 8 : 2;
    long best = -1;
    int besti = 0;

    for (int i = lo; i < hi; i++) {
        int pr, pg, pb;
        palette_rgb(i, &pr, &pg, &pb);
        /* "Redmean" weighting: cheap and closer to what eyes see than
         * plain Euclidean distance. */
        long rm = (r + pr) / 2, dr = r - pr, dg = g - pg, db = b - pb;
        long d = ((512 + rm) * dr * dr >> 8) + 4 * dg * dg + ((767 - rm) * db * db >> 8);
        if (best < 0 || d < best)
            best = d, besti = i;
    }
    return besti;
}

int theme_resolve_color(int32_t c, int ncolors)
{
    int r, g, b;

    if (c < 0 || ncolors <= 0)
        return -1;
    if (c & THEME_RGB_FLAG)
        return theme_nearest_color(c >> 16 & 0xff, c >> 8 & 0xff, c & 0xff, ncolors);
    if (c < ncolors)
        return c;
    palette_rgb(c, &r, &g, &b);
    return theme_nearest_color(r, g, b, ncolors);
}
