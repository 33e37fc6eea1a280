/* Key dispatch: one table maps keys to handlers and to their help text,
 * so adding a key is one line and the help overlay lists it by itself.
 * Typing a filter, the help overlay and the detail pane take keys first;
 * the table handles the rest. */
#include "ui/ui.h"

#include <string.h>

#define KEY_ESC    27
#define KEY_CTRL_C 3
#define WHEEL_STEP 3

static void k_down(struct ui *u, int key)
{
    (void)key;
    grid_move(u, 1);
}

static void k_up(struct ui *u, int key)
{
    (void)key;
    grid_move(u, -1);
}

static void k_page(struct ui *u, int key)
{
    grid_move(u, key == KEY_NPAGE ? grid_page(u) : -grid_page(u));
}

static void k_ends(struct ui *u, int key)
{
    grid_move_to(u, key == 'G' || key == KEY_END);
}

static void k_enter(struct ui *u, int key)
{
    (void)key;
    if (ui_selected(u) != NULL) {
        u->detail = true;
        u->detail_scroll = 0;
    }
}

static void k_esc(struct ui *u, int key)
{
    (void)key;
    u->filter[0] = '\0';
}

static void k_filter(struct ui *u, int key)
{
    (void)key;
    u->filtering = true;
}

static void k_next(struct ui *u, int key)
{
    (void)key;
    if (!grid_next_match(u))
        ui_notice(u, u->filter[0] ? "no other match" : "no filter: type / first");
}

static void k_sort(struct ui *u, int key)
{
    char msg[64];

    (void)key;
    u->sort = (enum ui_sort)((u->sort + 1) % UI_SORT_COUNT);
    ht_snprintf(msg, sizeof(msg), "sorted by %s", grid_sort_name(u->sort));
    ui_notice(u, msg);
}

static void k_pause(struct ui *u, int key)
{
    (void)key;
    u->act.pause(u, !u->s->paused);
    ui_notice(u, u->s->paused ? "probing paused (space resumes)" : "probing resumed");
}

static void k_probe(struct ui *u, int key)
{
    struct service *svc = ui_selected(u);
    char msg[160];

    (void)key;
    if (svc == NULL)
        return;
    u->act.probe_now(u, svc);
    ht_snprintf(msg, sizeof(msg), "probing %s now",
                svc->cfg->label ? svc->cfg->label : svc->cfg->name);
    ui_notice(u, msg);
}

static void k_probe_all(struct ui *u, int key)
{
    (void)key;
    u->act.probe_all(u);
    ui_notice(u, "probing every service now");
}

static void k_theme(struct ui *u, int key)
{
    (void)key;
    ui_cycle_theme(u);
}

static void k_help(struct ui *u, int key)
{
    (void)key;
    u->help = true;
}

static void k_quit(struct ui *u, int key)
{
    (void)key;
    u->act.quit(u);
}

/* Wheel scrolls, a click selects, a click on the selection opens it. */
static void k_mouse(struct ui *u, int key)
{
    MEVENT ev;
    struct service *svc;

    (void)key;
    if (getmouse(&ev) != OK)
        return;
    if (ev.bstate & BUTTON4_PRESSED) {
        grid_move(u, -WHEEL_STEP);
    } else if (ev.bstate & BUTTON5_PRESSED) {
        grid_move(u, WHEEL_STEP);
    } else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
        if (u->detail || (svc = grid_service_at(u, ev.y - 1)) == NULL)
            return;
        if ((long)svc->idx == u->sel)
            k_enter(u, '\n');
        ui_select(u, svc);
    }
}

/* In the footer's order (footer.c), so that ? reads like the footer it
 * explains, then the keys the footer has no room for. */
static const struct ui_key keys[] = {
    {{'q', KEY_CTRL_C}, "q ^C", "quit", k_quit, UI_KEYS_ALWAYS},
    {{'?'}, "?", "this help", k_help, UI_KEYS_ALWAYS},
    {{'j', KEY_DOWN}, "j Down", "move down", k_down, UI_KEYS_ALWAYS},
    {{'k', KEY_UP}, "k Up", "move up", k_up, UI_KEYS_ALWAYS},
    {{KEY_NPAGE}, "PgDn", "page down", k_page, UI_KEYS_ALWAYS},
    {{KEY_PPAGE}, "PgUp", "page up", k_page, UI_KEYS_ALWAYS},
    {{'g', KEY_HOME}, "g Home", "first service", k_ends, UI_KEYS_ALWAYS},
    {{'G', KEY_END}, "G End", "last service", k_ends, UI_KEYS_ALWAYS},
    {{'\n', '\r', KEY_ENTER}, "Enter", "open detail", k_enter, UI_KEYS_ALWAYS},
    {{'/'}, "/", "filter by name", k_filter, UI_KEYS_ALWAYS},
    {{'n'}, "n", "next match", k_next, UI_KEYS_ALWAYS},
    {{'s'}, "s", "cycle sort", k_sort, UI_KEYS_ALWAYS},
    {{' '}, "space", "pause/resume", k_pause, UI_KEYS_ALWAYS},
    {{'r'}, "r", "probe selected", k_probe, UI_KEYS_PROBING},
    {{'R'}, "R", "probe all now", k_probe_all, UI_KEYS_PROBING},
    {{'t'}, "t", "start-up timeline", timeline_key, UI_KEYS_ALWAYS},
    {{'T'}, "T", "cycle themes", k_theme, UI_KEYS_ALWAYS},
    {{KEY_ESC}, "Esc", "back, clear filter", k_esc, UI_KEYS_ALWAYS},
    {{KEY_MOUSE}, "mouse", "wheel, click", k_mouse, UI_KEYS_ALWAYS},
    {{'K'}, "K", "stop or revive", ui_demo_key, UI_KEYS_DEMO},
    {{'.', '[', ']'}, ". [ ]", "step, seek 10s", ui_replay_key, UI_KEYS_REPLAY},
    {{'+', '-'}, "+ -", "replay speed", ui_replay_key, UI_KEYS_REPLAY},
};

bool ui_key_applies(const struct ui *u, const struct ui_key *k)
{
    switch (k->mode) {
    case UI_KEYS_PROBING:
        return !ui_playback(u);
    case UI_KEYS_DEMO:
        return u->ext.demo_toggle != NULL;
    case UI_KEYS_REPLAY:
        return ui_playback(u);
    default:
        return true;
    }
}

const struct ui_key *ui_keys(size_t *n)
{
    *n = HT_ARRAY_LEN(keys);
    return keys;
}

static const struct ui_key *find_key(int key)
{
    for (size_t i = 0; i < HT_ARRAY_LEN(keys); i++)
        for (size_t j = 0; j < HT_ARRAY_LEN(keys[i].keys) && keys[i].keys[j]; j++)
            if (keys[i].keys[j] == key)
                return &keys[i];
    return NULL;
}

/* Typing the filter: the list narrows with every key. */
static bool filter_key(struct ui *u, int key)
{
    size_t len = strlen(u->filter);

    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        u->filtering = false;
    } else if (key == KEY_ESC) {
        u->filtering = false;
        u->filter[0] = '\0';
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        while (len > 0 && ((unsigned char)u->filter[--len] & 0xc0) == 0x80)
            ;
        u->filter[len] = '\0';
    } else if (key >= ' ' && key < 256 && key != 127 && len + 1 < sizeof(u->filter)) {
        u->filter[len] = (char)key;
        u->filter[len + 1] = '\0';
    } else {
        return false; /* arrows and the like still move */
    }
    return true;
}

/* Keys the detail pane keeps for itself: scrolling and closing. */
static bool detail_key(struct ui *u, int key)
{
    int page = u->body ? getmaxy(u->body) - 2 : 10;

    switch (key) {
    case 'j':
    case KEY_DOWN:
        u->detail_scroll++;
        break;
    case 'k':
    case KEY_UP:
        u->detail_scroll--;
        break;
    case KEY_NPAGE:
        u->detail_scroll += page;
        break;
    case KEY_PPAGE:
        u->detail_scroll -= page;
        break;
    case 'g':
    case KEY_HOME:
        u->detail_scroll = 0;
        break;
    case 'G':
    case KEY_END:
        u->detail_scroll = detail_lines(u);
        break;
    case KEY_ESC:
    case '\n':
    case '\r':
    case KEY_ENTER:
        u->detail = false;
        break;
    default:
        return false;
    }
    return true;
}

void ui_key(struct ui *u, int key)
{
    const struct ui_key *k;

    u->dirty = true;
    grid_rebuild(u); /* moves work on the list as it is now */
    if (u->filtering && filter_key(u, key)) {
        grid_rebuild(u); /* keeps the selection while it still matches */
        return;
    }
    if (u->help) {
        u->help = false;
        if (key != 'q' && key != KEY_CTRL_C)
            return;
    }
    if (u->detail && detail_key(u, key))
        return;
    k = find_key(key);
    if (k != NULL)
        k->fn(u, key);
}
