/* The config as a file: reading it, finding the default one, and
 * refusing one that someone else could have written, or replaced. */
#include "healthtop/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* No real config comes near this; a bigger file is likely the wrong one. */
#define CONFIG_FILE_MAX (1024 * 1024)

static const char insecure_fix[] = "or pass --allow-insecure-config";

static const char *file_type(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a file";
}

/* Like ssh with its config: a file others can change could point the
 * dashboard at anything, or run any program through an exec probe. what
 * is "" for the file itself, or "directory " for one above it. */
static int check_owner_mode(const char *what, const char *path, const struct stat *st, char *err,
                            size_t n)
{
    /* A world-writable directory with the sticky bit (/tmp) lets others
     * add entries but not rename or remove ours. */
    bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir) {
        ht_snprintf(err, n, "bad permissions: %s%s is writable by %s; run chmod go-w %s %s", what,
                    path, (st->st_mode & S_IWOTH) ? "others" : "its group", path, insecure_fix);
        return -1;
    }
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        ht_snprintf(err, n,
                    "bad ownership: %s%s is owned by uid %u, neither you nor root; run chown "
                    "%u %s %s",
                    what, path, (unsigned)st->st_uid, (unsigned)geteuid(), path, insecure_fix);
        return -1;
    }
    return 0;
}

/* The directories above the file that was opened (its real path, read
 * back from the descriptor), up to /: anyone who may write one of them
 * could have put another file in its place. */
static int check_dirs(int fd, const char *path, char *err, size_t n)
{
    char link[64], real[PATH_MAX];
    ssize_t len;
    char *slash;
    struct stat st;

    ht_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    len = readlink(link, real, sizeof(real) - 1);
    if (len <= 0) {
        if (realpath(path, real) == NULL) {
            ht_snprintf(err, n, "%s: cannot resolve: %s", path, strerror(errno));
            return -1;
        }
    } else {
        real[len] = '\0';
    }
    while ((slash = strrchr(real, '/')) != NULL) {
        if (slash == real)
            slash[1] = '\0'; /* "/" itself, last */
        else
            *slash = '\0';
        if (stat(real, &st) != 0) {
            ht_snprintf(err, n, "%s: cannot stat: %s", real, strerror(errno));
            return -1;
        }
        if (check_owner_mode("directory ", real, &st, err, n) != 0)
            return -1;
        if (slash == real)
            break;
    }
    return 0;
}

/* Opens the config once and makes every check on what was opened, never
 * on the name again (a name checked, then opened, can be swapped between
 * the two). Non-blocking, so a FIFO cannot hang the open; anything but a
 * regular file is refused. Returns the descriptor, or -1. */
static int config_open(const char *path, bool check_perms, char *err, size_t n)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        ht_snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        ht_snprintf(err, n, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        ht_snprintf(err, n, "%s: not a regular file (%s)", path, file_type(st.st_mode));
    } else if (check_perms && (check_owner_mode("", path, &st, err, n) != 0 ||
                               check_dirs(fd, path, err, n) != 0)) {
        /* err says why */
    } else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        ht_snprintf(err, n, "%s: %s", path, strerror(errno));
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

int config_load_file(const char *path, bool check_perms, struct ht_config *cfg, char *err,
                     size_t errlen)
{
    char *text;
    size_t len = 0;
    ssize_t got = 1;
    int fd, rc;

    memset(cfg, 0, sizeof(*cfg));
    fd = config_open(path, check_perms, err, errlen);
    if (fd < 0)
        return -1;
    text = xmalloc(CONFIG_FILE_MAX + 1);
    while (len <= CONFIG_FILE_MAX && got != 0) {
        got = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
        if (got < 0 && errno != EINTR)
            break;
        if (got > 0)
            len += (size_t)got;
    }
    if (got < 0) {
        ht_snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    } else if (len > CONFIG_FILE_MAX) {
        ht_snprintf(err, errlen, "%s: larger than %d KiB; is it the right file?", path,
                    CONFIG_FILE_MAX / 1024);
        rc = -1;
    } else {
        rc = config_parse(path, text, len, cfg, err, errlen);
    }
    close(fd);
    free(text);
    return rc;
}

int config_load(const char *path, struct ht_config *cfg, char *err, size_t errlen)
{
    return config_load_file(path, false, cfg, err, errlen);
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

    out[0] = '\0';
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
