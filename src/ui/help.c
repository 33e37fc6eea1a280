/* The help overlay (?): every key of the key table that applies to this
 * run (no demo keys outside --demo, no probe keys in a replay) with what
 * it does, in a box over the centre of the screen, in as many columns as
 * the height needs. The table is the one keys.c dispatches with, so the
 * help cannot miss a key. */
#include "ui/ui.h"

#define HELP_KEY_W 8

void help_draw(struct ui *u)
{
    size_t n, shown = 0;
    const struct ui_key *keys = ui_keys(&n);
    int w = u->cols - 4 < 64 ? u->cols - 4 : 64, h, rows, ncols, colw;
    WINDOW *win;

    for (size_t i = 0; i < n; i++)
        shown += keys[i].help != NULL && ui_key_applies(u, &keys[i]);
    rows = (int)shown;
    h = rows + 3; /* border, keys, the closing hint, border */
    if (h > u->rows - 2)
        h = u->rows - 2;
    /* The dashboard never draws below UI_MIN_ROWS; without room for one
     * line of keys the column count below would divide by zero. */
    if (h <= 3)
        return;
    ncols = (rows + (h - 3) - 1) / (h - 3);
    rows = (int)(shown + (size_t)ncols - 1) / ncols;
    colw = (w - 2) / ncols;
    win = newwin(h, w, (u->rows - h) / 2, (u->cols - w) / 2);
    if (win == NULL)
        return;
    werase(win);
    for (int y = 0; y < h; y++)
        ui_fill(u, win, y, 0, w, THEME_ROLE_NORMAL);
    ui_box(u, win, "Keys");
    shown = 0;
    for (size_t i = 0; i < n; i++) {
        int col, row, x;
        if (keys[i].help == NULL || !ui_key_applies(u, &keys[i]))
            continue;
        col = (int)shown / rows;
        row = (int)shown % rows;
        x = 2 + col * colw;
        ui_put(u, win, 1 + row, x, HELP_KEY_W, keys[i].name, THEME_ROLE_KEY);
        ui_put(u, win, 1 + row, x + HELP_KEY_W, colw - HELP_KEY_W - 1, keys[i].help,
               THEME_ROLE_NORMAL);
        shown++;
    }
    ui_put(u, win, h - 2, 2, w - 4, "Press any key to close this help", THEME_ROLE_DIM);
    wnoutrefresh(win);
    delwin(win);
}
