/* The config as a file: reading it, finding the default one, and
 * refusing one that someone else could have written. */
#include "healthtop/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* No real config comes near this; a bigger file is likely the wrong one. */
#define CONFIG_FILE_MAX (1024 * 1024)

int config_load(const char *path, struct ht_config *cfg, char *err, size_t errlen)
{
    FILE *f;
    char *text;
    size_t len;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    f = fopen(path, "rb");
    if (f == NULL) {
        ht_snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    text = xmalloc(CONFIG_FILE_MAX + 1);
    len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
    if (ferror(f)) {
        ht_snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    } else if (len > CONFIG_FILE_MAX) {
        ht_snprintf(err, errlen, "%s: larger than %d KiB; is it the right file?", path,
                    CONFIG_FILE_MAX / 1024);
        rc = -1;
    } else {
        rc = config_parse(path, text, len, cfg, err, errlen);
    }
    fclose(f);
    free(text);
    return rc;
}

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int config_find_default(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    if (is_file("healthtop.yml")) {
        ht_strlcpy(out, "healthtop.yml", n);
        return 0;
    }
    /* The XDG spec: an empty or relative XDG_CONFIG_HOME is ignored. */
    if (xdg != NULL && xdg[0] == '/')
        ht_snprintf(out, n, "%s/healthtop/config.yml", xdg);
    else if (home != NULL && home[0] != '\0')
        ht_snprintf(out, n, "%s/.config/healthtop/config.yml", home);
    else
        return -1;
    return is_file(out) ? 0 : -1;
}

/* Like ssh with its config: a file others can change could point the
 * dashboard at anything, or run any program through an exec probe. */
int config_check_perms(const char *path, char *err, size_t n)
{
    const char *fix = "or pass --allow-insecure-config";
    struct stat st;

    if (stat(path, &st) != 0) {
        ht_snprintf(err, n, "%s: cannot stat: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        ht_snprintf(err, n, "bad permissions: %s is writable by %s; run chmod go-w %s %s", path,
                    (st.st_mode & S_IWOTH) ? "others" : "its group", path, fix);
        return -1;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        ht_snprintf(err, n,
                    "bad ownership: %s is owned by uid %u, neither you nor root; run chown "
                    "%u %s %s",
                    path, (unsigned)st.st_uid, (unsigned)geteuid(), path, fix);
        return -1;
    }
    return 0;
}
