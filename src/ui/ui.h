/* What the dashboard's views share: the view state (selection, scroll,
 * sort, filter, open panes), the glyph set, the column layout and text
 * fitting, and one draw function per view. tui.c owns the terminal and
 * the loop; everything here can be driven headless by the screen tests.
 *
 * Errors: a view draws what it has and returns nothing; what the user
 * must learn (a theme that would not load) becomes a notice (ui_notice)
 * in the footer, and the function that gave it returns -1. */
#ifndef HEALTHTOP_UI_UI_H
#define HEALTHTOP_UI_UI_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include "healthtop/scheduler.h"
#include "theme.h"
#include "healthtop/tui.h"

/* The smallest screen the dashboard draws; below it, one line says so. */
#define UI_MIN_COLS 60
#define UI_MIN_ROWS 15

/* ---- glyphs.c ---------------------------------------------------------- */

struct glyphs {
    const char *mark[HEALTH_STATE_COUNT]; /* status marks, one column each */
    const char *ramp[8];                  /* sparkline levels, low to high */
    const char *fail;                     /* a failed sample */
    const char *ellipsis;                 /* one column */
    const char *more_up, *more_down;      /* the grid scrolls */
    const char *hline, *vline, *tl, *tr, *bl, *br;
    const char *arrow_up, *arrow_down, *enter;
};

const struct glyphs *glyphs_get(bool ascii);

/* ---- layout.c: pure functions of widths -------------------------------- */

enum ui_column {
    UI_COL_MARK,
    UI_COL_LABEL,
    UI_COL_KIND,
    UI_COL_STATE,
    UI_COL_REPLICAS,
    UI_COL_LATENCY,
    UI_COL_SPARK,
    UI_COL_UPTIME,
    UI_COL_SINCE,
    UI_COL_MESSAGE,
    UI_COL_COUNT
};

struct layout {
    struct {
        bool shown;
        int x, w;
    } col[UI_COL_COUNT];
};

/* The grid's columns for a screen width cols, given the widest label:
 * which show and where (the rules are above the function in layout.c). */
void layout_columns(int cols, int label_pref, struct layout *out);
const char *layout_column_title(enum ui_column c);
/* Display width of UTF-8 text (control and invalid bytes count one: they
 * are drawn as '?'). */
int layout_text_width(const char *s);
/* Copies s into out (n bytes), cut to at most width columns with the
 * ellipsis as the last column when it does not fit; control characters
 * and invalid UTF-8 become '?'. Returns the width of the result. */
int layout_text_fit(const char *s, int width, const char *ellipsis, char *out, size_t n);

/* ---- sparkline.c ------------------------------------------------------- */

#define SPARK_EMPTY HISTORY_SLICE_EMPTY /* no sample in this cell */
#define SPARK_FAIL  HISTORY_SLICE_FAIL  /* a failed sample: drawn with glyphs->fail */

struct spark_cell {
    int level;            /* 0..7, SPARK_EMPTY or SPARK_FAIL */
    enum theme_role role; /* colour by the sample's state */
};

/* history_slices (history.h) coloured for the terminal: width (at most
 * 64) cells, right-aligned. Returns the cells that hold results. */
int sparkline_cells(const struct history *h, int64_t wall_ms, int width, struct spark_cell *cells);

/* ---- the view state ---------------------------------------------------- */

/* What a role is drawn over: plain screen, the header bar, the selected
 * row. */
enum ui_base { UI_BASE_NORMAL, UI_BASE_HEADER, UI_BASE_SELECTED, UI_BASE_COUNT };

enum ui_sort { UI_SORT_CONFIG, UI_SORT_SEVERITY, UI_SORT_NAME, UI_SORT_LATENCY, UI_SORT_COUNT };

struct ui;

/* What the modes beside live probing add (timeline.c's keys use them):
 * --demo's K, and what moves the model (tui.h: live probing, or a
 * recording's playback). Zero when absent: headless, a live run. */
struct ui_ext {
    int (*demo_toggle)(void *ud, const char *name); /* stack_toggle */
    void *demo_ud;
    const struct tui_source *src;
    const struct alerts *alerts; /* a failing receiver shows in the header */
};

/* What keys may ask of the scheduler; tui.c points these at sched_*,
 * headless tests at counters. A view never starts a probe otherwise. */
struct ui_actions {
    void (*probe_now)(struct ui *u, struct service *svc);
    void (*probe_all)(struct ui *u);
    void (*pause)(struct ui *u, bool paused);
    void (*quit)(struct ui *u);
};

/* One line of the grid: a group heading or a service. */
struct ui_row {
    const char *group; /* heading text, when svc is NULL */
    struct service *svc;
};

struct ui {
    struct scheduler *s;
    struct ui_actions act;
    const struct glyphs *g;
    bool ascii;
    bool color; /* colour pairs in use */
    attr_t attr[UI_BASE_COUNT][THEME_ROLE_COUNT];
    enum ui_base base; /* what is being drawn over, for ui_attr() */
    struct theme theme;
    int rows, cols; /* screen size */
    WINDOW *header, *body, *footer;

    /* Rows in display order: rebuilt by grid_rebuild() when the filter,
     * the sort or (for state and latency sorts) the results change. */
    struct ui_row *list;
    size_t nlist;
    size_t *grank;      /* per service: rank of its group, by first appearance */
    int64_t *lat_held;  /* per service: the latency the LAT column shows */
    long sel;           /* selected service index, -1 = none */
    uint64_t rows_gen;  /* the scheduler's rows_gen that grank, list and lat_held are for */
    char sel_name[256]; /* the selected service's name, kept across rows_gen */
    int scroll;         /* first list row shown */
    enum ui_sort sort;

    char filter[64];
    bool filtering; /* typing the filter */

    bool detail; /* the detail pane is open */
    int detail_scroll;
    bool help;     /* the help overlay is open */
    bool timeline; /* the start-up timeline replaces the grid (t) */
    struct ui_ext ext;

    int64_t now_ms, wall_ms; /* the time the screen shows; set before drawing */
    char notice[200];        /* a passing message in the footer */
    int64_t notice_until;    /* monotonic ms */
    bool dirty;
};

/* ---- screen.c: the view state's life and the whole-screen draw -------- */

void ui_init(struct ui *u, struct scheduler *s, bool ascii);
void ui_free(struct ui *u);
/* Turns a theme into attributes (and colour pairs when u->color). */
void ui_apply_theme(struct ui *u, const struct theme *t);
/* The attributes of role r over the current base (u->base). */
attr_t ui_attr(const struct ui *u, enum theme_role r);
/* (Re)creates the windows for the current LINES x COLS. */
void ui_resize(struct ui *u);
/* Draws every view and updates the terminal with one doupdate(). */
void ui_draw(struct ui *u);
void ui_notice(struct ui *u, const char *msg);
/* Loads the theme called name (mono whatever the name when colour is
 * off); a theme that cannot be read or parsed gives a notice with its
 * file:line and the built-in default. Returns 0 or -1. */
int ui_load_theme(struct ui *u, const char *name);
/* The next theme in the search path, for T. */
void ui_cycle_theme(struct ui *u);
/* The role for a health state. */
enum theme_role ui_state_role(enum health_state s);
/* True when the model is a recording played back (tui.h's playback). */
bool ui_playback(const struct ui *u);
/* The time the model stands at, monotonic and wall-clock: the present
 * (now_ms, wall_ms) in a live run, where playback stands in a replay. */
int64_t ui_model_now(const struct ui *u);
int64_t ui_model_wall(const struct ui *u);

/* ---- draw.c: text helpers shared by the views -------------------------- */

/* Writes s at y,x in at most width columns (cut with an ellipsis) and
 * returns the columns written. */
int ui_put(struct ui *u, WINDOW *w, int y, int x, int width, const char *s, enum theme_role r);
/* The same, right-aligned in width columns. */
void ui_put_right(struct ui *u, WINDOW *w, int y, int x, int width, const char *s,
                  enum theme_role r);
/* Fills width columns at y,x with spaces in role r. */
void ui_fill(struct ui *u, WINDOW *w, int y, int x, int width, enum theme_role r);
/* A box with a title, drawn with the glyph set. */
void ui_box(struct ui *u, WINDOW *w, const char *title);
/* "HH:MM:SS" of a wall-clock time in ms (local time). */
void ui_clock(int64_t wall_ms, char *buf, size_t n);
/* A time since, as the grid and header show it: seconds for 10 s, tens
 * of seconds to a minute ("40s"), then minutes ("17m"), hours ("3h05m"),
 * days ("2d04h"), so that it changes once a minute, not every second, on
 * every row. */
void ui_age_format(int64_t ms, char *buf, size_t n);

/* ---- the views --------------------------------------------------------- */

void header_draw(struct ui *u);
void footer_draw(struct ui *u);

void grid_rebuild(struct ui *u);
/* Frees what the grid keeps per service index (rebuilt on next use). */
void grid_forget(struct ui *u);
void grid_draw(struct ui *u);
/* Moves the selection by delta services (clamped). */
void grid_move(struct ui *u, int delta);
void grid_move_to(struct ui *u, bool last);
/* Selects the next service (after the selection, wrapping) whose name or
 * label matches the filter; returns false when none does. */
bool grid_next_match(struct ui *u);
/* The service at screen row y of the body window, or NULL. */
struct service *grid_service_at(struct ui *u, int y);
/* Rows of services the body shows at once. */
int grid_page(const struct ui *u);
bool grid_matches(const struct ui *u, const struct service *svc);
const char *grid_sort_name(enum ui_sort s);
struct service *ui_selected(const struct ui *u);
/* Selects svc (kept by name when rows come and go: s->rows_gen). */
void ui_select(struct ui *u, const struct service *svc);

void detail_draw(struct ui *u);
/* Lines of the detail pane for svc, for scrolling bounds. */
int detail_lines(struct ui *u);

void help_draw(struct ui *u);

/* ---- timeline.c: the start-up timeline, demo and replay keys ---------- */

void timeline_view_draw(struct ui *u);
void timeline_key(struct ui *u, int key);  /* t */
void ui_demo_key(struct ui *u, int key);   /* K */
void ui_replay_key(struct ui *u, int key); /* . [ ] + - */
/* For the header: the root causes ("root cause: redis, 3 services
 * blocked") and, in a replay, where it stands; "" when neither. */
void timeline_header_note(const struct ui *u, char *buf, size_t n);

/* ---- keys.c: the key table --------------------------------------------- */

/* Which runs a key applies to, so that the help lists only keys that do
 * something now. */
enum ui_key_mode {
    UI_KEYS_ALWAYS,
    UI_KEYS_PROBING, /* live probing: not in a replay */
    UI_KEYS_DEMO,    /* --demo only */
    UI_KEYS_REPLAY,  /* playback (--replay) only */
};

struct ui_key {
    int keys[4];      /* 0-terminated */
    const char *name; /* as shown in the help: "j Down" */
    const char *help; /* NULL: not listed (reserved keys) */
    void (*fn)(struct ui *u, int key);
    enum ui_key_mode mode;
};

/* Whether k applies to this run (and so is listed in the help). */
bool ui_key_applies(const struct ui *u, const struct ui_key *k);

/* Handles one key (a getch() value). */
void ui_key(struct ui *u, int key);
/* The table, for the help overlay. */
const struct ui_key *ui_keys(size_t *n);

#endif
