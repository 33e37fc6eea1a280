/* The healthchecks healthtop can run itself from the host, against the
 * port a service publishes: an HTTP GET for curl and wget on a URL, a
 * Redis PING for redis-cli (with its -a password), a TCP connect for the
 * rest it can read a port from (nc -z, pg_isready, /dev/tcp). Written as
 * a healthtop config and read by the config loader, so every default of
 * every kind is the loader's. Used by `lint --live` and by
 * --compose-probes host|both. */
#include "compose/hostprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compose/hcport.h"

struct sbuf {
    char *s;
    size_t n, cap;
};

static void add_str(struct sbuf *b, const char *s)
{
    size_t len = strlen(s);

    XGROW(b->s, b->cap, b->n + len + 1);
    memcpy(b->s + b->n, s, len + 1);
    b->n += len;
}

/* s as a double-quoted YAML scalar the config loader takes literally:
 * '"' and '\' escaped, '$' doubled (the loader expands ${VAR}). */
static void add_quoted(struct sbuf *b, const char *s)
{
    char one[8];

    add_str(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ht_snprintf(one, sizeof(one), "\\%c", *s);
        else if (*s == '$')
            ht_strlcpy(one, "$$", sizeof(one));
        else if ((unsigned char)*s < 0x20)
            ht_snprintf(one, sizeof(one), "\\x%02x", (unsigned char)*s);
        else
            ht_snprintf(one, sizeof(one), "%c", *s);
        add_str(b, one);
    }
    add_str(b, "\"");
}

/* The host port that reaches container port, or 0. */
static int published(const struct compose_service *s, int port)
{
    for (size_t i = 0; i < s->nports; i++)
        if (s->ports[i].target == port && s->ports[i].target_end == port &&
            s->ports[i].published > 0)
            return s->ports[i].published;
    return 0;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The word after flag in the test (redis-cli's "-a PASSWORD"), copied to
 * out; false when there is none. A CMD-SHELL string is split at blanks. */
static bool flag_value(const struct compose_healthcheck *hc, const char *flag, char *out, size_t n)
{
    size_t flen = strlen(flag);

    for (size_t a = 0; a < hc->argc; a++) {
        const char *s = hc->argv[a];
        if (hc->kind == COMPOSE_TEST_CMD) {
            if (strcmp(s, flag) == 0 && a + 1 < hc->argc) {
                ht_strlcpy(out, hc->argv[a + 1], n);
                return true;
            }
            continue;
        }
        for (const char *at = strstr(s, flag); at != NULL; at = strstr(at + 1, flag)) {
            const char *v = at + flen;
            size_t len = 0;
            if ((at != s && at[-1] != ' ') || *v != ' ')
                continue;
            while (*v == ' ')
                v++;
            while (v[len] && v[len] != ' ' && v[len] != ';' && v[len] != '|' && v[len] != '&')
                len++;
            /* Quotes around the word are the shell's, not the password's. */
            if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v++;
                len -= 2;
            }
            if (len == 0 || len >= n)
                continue;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
    }
    return false;
}

/* One service's probe as config text; false when its check is not one
 * healthtop can run from the host. what gets the target, for messages. */
static bool probe_text(const struct compose_service *s, struct sbuf *b, char *what, size_t n)
{
    struct hcport hp;
    int host;
    char line[512];

    if (!s->hc.present || s->hc.disabled || s->hc.argc == 0 || hcport_find(&s->hc, &hp) != 0 ||
        (host = published(s, hp.port)) == 0)
        return false;
    if (strstr(hp.what, "://") != NULL &&
        (starts(hp.what, "http://") || starts(hp.what, "https://"))) {
        /* The URL with the host's side of the port in it. */
        const char *rest = strchr(strstr(hp.what, "://") + 3, '/');
        ht_snprintf(what, n, "%s://127.0.0.1:%d%s", starts(hp.what, "https") ? "https" : "http",
                    host, rest ? rest : "/");
        ht_snprintf(line, sizeof(line),
                    "    timeout: 5s\n    http:\n      insecure: true\n"
                    "      url: ");
        add_str(b, line);
        add_quoted(b, what);
        add_str(b, "\n");
        return true;
    }
    for (size_t i = 0; i < s->hc.argc; i++)
        if (strstr(s->hc.argv[i], "redis-cli") != NULL) {
            char pass[256];
            ht_snprintf(what, n, "redis://127.0.0.1:%d", host);
            ht_snprintf(line, sizeof(line), "    timeout: 5s\n    redis:\n      url: \"%s\"\n",
                        what);
            add_str(b, line);
            if (flag_value(&s->hc, "-a", pass, sizeof(pass))) {
                /* The password as the healthcheck gives it (a secret when
                 * it came from a variable: interpolation registered it). */
                add_str(b, "      password: ");
                add_quoted(b, pass);
                add_str(b, "\n");
            }
            return true;
        }
    ht_snprintf(what, n, "127.0.0.1:%d", host);
    ht_snprintf(line, sizeof(line), "    timeout: 5s\n    tcp: \"%s\"\n", what);
    add_str(b, line);
    return true;
}

int hostprobe_config(const struct compose_project *p, struct ht_config *cfg, size_t *at,
                     char (*what)[HOSTPROBE_WHAT_MAX], char *err, size_t n)
{
    struct sbuf b = {0};
    size_t count = 0;
    int rc = 0;

    memset(cfg, 0, sizeof(*cfg));
    add_str(&b, "services:\n");
    for (size_t i = 0; i < p->nsvcs; i++) {
        size_t before = b.n;
        add_str(&b, "  ");
        add_quoted(&b, p->svcs[i].name);
        add_str(&b, ":\n    retries: 1\n");
        if (!p->svcs[i].active || !probe_text(&p->svcs[i], &b, what[count], sizeof(what[count]))) {
            b.n = before;
            b.s[b.n] = '\0';
            continue;
        }
        at[count++] = i;
    }
    if (count > 0 && config_parse("(host probes)", b.s, b.n, cfg, err, n) != 0)
        rc = -1;
    free(b.s);
    return rc;
}
