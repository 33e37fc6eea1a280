/* libFuzzer target for the theme parser: any bytes must parse or fail
 * with messages, never crash, and a failed parse must leave the built-in
 * default theme. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct theme t, def;
    char err[512];
    int rc = theme_parse("fuzz.theme", (const char *)data, size, &t, err, sizeof(err));

    if (strlen(err) >= sizeof(err))
        abort();
    if (rc != 0) {
        theme_builtin(&def, false);
        if (memcmp(t.style, def.style, sizeof(t.style)) != 0 || err[0] == '\0')
            abort();
    }
    for (int r = 0; r < THEME_ROLE_COUNT; r++) {
        /* Whatever was parsed maps to a colour every terminal has. */
        if (theme_resolve_color(t.style[r].fg, 8) >= 8 ||
            theme_resolve_color(t.style[r].bg, 256) >= 256)
            abort();
    }
    return 0;
}
