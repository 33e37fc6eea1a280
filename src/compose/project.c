/* Which files make the project, in what order, under what name and with
 * which profiles; reading, interpolating and merging them (tree.c) and
 * the .env file (interp.c). The services come out of the merged tree in
 * service.c. */
#include "compose/tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compose/service.h"
#include "healthtop/secret.h"

/* Compose files and .env files bigger than this are refused. */
#define COMPOSE_FILE_MAX (16u << 20)

static const char *const lookup_names[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                           "docker-compose.yml"};

void cerrs_add(struct cerrs *e, const struct compose_pos *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    secret_scrub(msg, sizeof(msg));
    XGROW(e->lines, e->cap, e->n + 1);
    if (at != NULL && at->file != NULL) {
        size_t len = strlen(at->file) + strlen(msg) + 32;
        e->lines[e->n] = xmalloc(len);
        ht_snprintf(e->lines[e->n], len, "%s:%u:%u: %s", at->file, at->line, at->col, msg);
    } else {
        e->lines[e->n] = xstrdup(msg);
    }
    e->n++;
}

/* Writes every line into err (as many as fit) and frees them. */
static void cerrs_flush(struct cerrs *e, char *err, size_t n)
{
    size_t used = 0;

    if (n > 0)
        err[0] = '\0';
    for (size_t i = 0; i < e->n; i++) {
        size_t len = strlen(e->lines[i]);
        if (used + len + 2 <= n) {
            memcpy(err + used, e->lines[i], len);
            used += len;
            err[used++] = '\n';
            err[used] = '\0';
        }
        free(e->lines[i]);
    }
    free(e->lines);
    memset(e, 0, sizeof(*e));
}

static void strv_push(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = xstrdup(s);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads path whole (at most COMPOSE_FILE_MAX): 0, or -1 with errno. */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    if (f == NULL)
        return -1;
    for (;;) {
        size_t got;
        XGROW(buf, cap, n + 65536);
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > COMPOSE_FILE_MAX) {
            fclose(f);
            free(buf);
            errno = EFBIG;
            return -1;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(buf);
        errno = EIO;
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *path_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(len);

    if (name[0] == '/')
        ht_strlcpy(p, name, len);
    else
        ht_snprintf(p, len, "%s/%s", dir, name);
    return p;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* The variables compose itself reads (COMPOSE_FILE, ...): the process
 * environment, else the .env file of the working directory. */
static const char *compose_var(const struct compose_env *cwd_env, const char *name)
{
    const char *v = getenv(name);

    return v != NULL ? v : compose_env_get(cwd_env, name);
}

static int load_env_file(struct compose_env *e, const char *path, struct cerrs *errs)
{
    char *text, err[512];
    size_t len;

    if (!is_file(path))
        return 0;
    if (read_file(path, &text, &len) != 0) {
        cerrs_add(errs, NULL, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (compose_env_parse(e, path, text, len, err, sizeof(err)) != 0) {
        cerrs_add(errs, NULL, "%s", err);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

/* The lookup: the first directory from cwd up holding one of the four
 * names; there, the first of them, and its override file. */
static int find_files(const char *cwd, bool shown_relative, struct compose_project *p,
                      struct cerrs *errs)
{
    char *dir = xstrdup(cwd);
    /* How the files are named in messages: relative to the working
     * directory ("../compose.yaml") when lookup started there. */
    char rel[4096] = "";

    for (;;) {
        for (size_t i = 0; i < HT_ARRAY_LEN(lookup_names); i++) {
            char *path = path_join(dir, lookup_names[i]);
            if (is_file(path)) {
                if (shown_relative) {
                    free(path);
                    path = xmalloc(strlen(rel) + strlen(lookup_names[i]) + 1);
                    strcpy(path, rel);
                    strcat(path, lookup_names[i]);
                }
                /* compose.yaml -> compose.override.yaml, then .yml */
                size_t stem = strlen(lookup_names[i]) - (strstr(lookup_names[i], ".yaml") ? 5 : 4);
                strv_push(&p->files, &p->nfiles, path);
                for (int y = 0; y < 2; y++) {
                    char name[64], *o;
                    ht_snprintf(name, sizeof(name), "%.*s.override.%s", (int)stem, lookup_names[i],
                                y == 0 ? "yaml" : "yml");
                    o = path_join(dir, name);
                    if (is_file(o)) {
                        if (shown_relative) {
                            free(o);
                            o = xmalloc(strlen(rel) + strlen(name) + 1);
                            strcpy(o, rel);
                            strcat(o, name);
                        }
                        strv_push(&p->files, &p->nfiles, o);
                        free(o);
                        break;
                    }
                    free(o);
                }
                free(path);
                free(dir);
                return 0;
            }
            free(path);
        }
        if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
            break;
        char *up = dir_of(dir);
        free(dir);
        dir = up;
        if (strlen(rel) + 4 < sizeof(rel))
            strcat(rel, "../");
    }
    free(dir);
    cerrs_add(errs, NULL,
              "no compose file found: looked for compose.yaml, compose.yml, "
              "docker-compose.yaml and docker-compose.yml in %s and its parents",
              cwd);
    return -1;
}

/* The files: -f, else COMPOSE_FILE, else the lookup. */
static char *file_name(const struct compose_opts *o, const char *cwd, const char *name)
{
    /* Relative names stay as the user wrote them when they are relative
     * to the process's own working directory. */
    return o->cwd == NULL ? xstrdup(name) : path_join(cwd, name);
}

static int choose_files(const struct compose_opts *o, const char *cwd,
                        const struct compose_env *cwd_env, struct compose_project *p,
                        struct cerrs *errs)
{
    const char *cf = compose_var(cwd_env, "COMPOSE_FILE");

    if (o->nfiles > 0) {
        for (size_t i = 0; i < o->nfiles; i++) {
            char *path = file_name(o, cwd, o->files[i]);
            strv_push(&p->files, &p->nfiles, path);
            free(path);
        }
        return 0;
    }
    if (cf != NULL && cf[0] != '\0') {
        const char *sep = compose_var(cwd_env, "COMPOSE_PATH_SEPARATOR");
        char s = sep != NULL && sep[0] != '\0' ? sep[0] : ':';
        for (const char *a = cf; *a;) {
            const char *b = strchr(a, s);
            size_t len = b ? (size_t)(b - a) : strlen(a);
            if (len > 0) {
                char *one = xstrndup(a, len), *path = file_name(o, cwd, one);
                strv_push(&p->files, &p->nfiles, path);
                free(one);
                free(path);
            }
            a += len + (b != NULL);
        }
        return 0;
    }
    return find_files(cwd, o->cwd == NULL, p, errs);
}

/* Interpolation's lookup: the environment, then the project's .env. */
static const char *project_lookup(const char *name, void *ud)
{
    const struct compose_project *p = ud;
    const char *v = getenv(name);

    if (v == NULL)
        v = compose_env_get(&p->env, name);
    /* A value from the environment or .env is a secret (secret.h), as
     * ${VAR} is in a healthtop config; the project's own name is not. */
    if (v != NULL)
        secret_add(v);
    else if (p->interp_name != NULL && strcmp(name, "COMPOSE_PROJECT_NAME") == 0)
        v = p->interp_name;
    return v;
}

/* Compose's warnings and errors recorded in d, into errs and warns. */
static int take_errors(struct ydoc *d, struct cerrs *errs, struct cerrs *warns)
{
    int bad = 0;

    for (size_t i = 0; i < d->nerrs; i++) {
        struct compose_pos at = {d->name, d->errs[i].line, d->errs[i].col};
        const char *m = d->errs[i].msg;
        if (strncmp(m, "warning: ", 9) == 0) {
            cerrs_add(warns, &at, "%s", m);
        } else {
            cerrs_add(errs, &at, "%s", m);
            bad = 1;
        }
    }
    if (d->dropped > 0) {
        cerrs_add(errs, NULL, "%s: ... and %zu more errors", d->name, d->dropped);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* services.*.depends_on as a list becomes the mapping it stands for, so
 * that the two forms merge (each name with condition service_started). */
static void normalize_depends(struct cnode *root)
{
    struct cnode *svcs = cnode_get(root, "services");

    if (svcs == NULL || svcs->type != CNODE_MAP)
        return;
    for (size_t i = 0; i < svcs->n; i++) {
        struct cnode *dep = cnode_get(svcs->ents[i].val, "depends_on");
        struct cnode *m;
        if (dep == NULL || dep->type != CNODE_SEQ)
            continue;
        m = cnode_new(CNODE_MAP, dep->file, dep->line, dep->col);
        for (size_t j = 0; j < dep->n; j++) {
            struct cnode *item = dep->ents[j].val, *cond, *val;
            if (item->type != CNODE_SCALAR)
                continue;
            val = cnode_new(CNODE_MAP, item->file, item->line, item->col);
            cond = cnode_new(CNODE_SCALAR, item->file, item->line, item->col);
            cond->str = xstrdup("service_started");
            XGROW(val->ents, val->cap, 1);
            val->ents[val->n++] =
                (struct centry){xstrdup("condition"), item->line, item->col, cond};
            XGROW(m->ents, m->cap, m->n + 1);
            m->ents[m->n++] = (struct centry){xstrdup(item->str), item->line, item->col, val};
        }
        m->tag = dep->tag;
        cnode_entry(svcs->ents[i].val, "depends_on")->val = m;
        cnode_free(dep);
    }
}

/* One file's text into the merged tree. */
static int merge_text(struct compose_project *p, const char *name, const char *text, size_t len,
                      struct cerrs *errs, struct cerrs *warns)
{
    struct ydoc d;
    struct compose_interp it = {.lookup = project_lookup, .ud = p};
    struct cnode *t = NULL;
    int rc = 0;

    if (ydoc_load(&d, name, text, len) != 0) {
        rc = take_errors(&d, errs, warns);
        ydoc_free(&d);
        return rc != 0 ? rc : -1;
    }
    t = cnode_from_ydoc(&d, &it);
    rc = take_errors(&d, errs, warns);
    ydoc_free(&d);
    if (t == NULL)
        return -1;
    if (t->type != CNODE_MAP) {
        struct compose_pos at = {name, t->line, t->col};
        cerrs_add(errs, &at, "a compose file is a mapping (services:, ...)");
        cnode_free(t);
        return -1;
    }
    normalize_depends(t);
    cnode_merge(&p->root, t, NULL, 0);
    return rc;
}

static void set_profiles(const struct compose_opts *o, const struct compose_env *cwd_env,
                         struct compose_project *p)
{
    const char *env = compose_var(cwd_env, "COMPOSE_PROFILES");

    for (size_t i = 0; i < o->nprofiles; i++)
        strv_push(&p->profiles, &p->nprofiles, o->profiles[i]);
    if (o->nprofiles == 0 && env != NULL) {
        for (const char *a = env; *a;) {
            const char *b = strchr(a, ',');
            size_t len = b ? (size_t)(b - a) : strlen(a);
            if (len > 0) {
                char *one = xstrndup(a, len);
                strv_push(&p->profiles, &p->nprofiles, one);
                free(one);
            }
            a += len + (b != NULL);
        }
    }
}

/* The name: COMPOSE_PROJECT_NAME, else name:, else the directory. */
static int set_name(const struct compose_env *cwd_env, struct compose_project *p,
                    struct cerrs *errs)
{
    const char *env = compose_var(cwd_env, "COMPOSE_PROJECT_NAME");
    struct cnode *n = cnode_get(p->root, "name");
    char norm[256];

    if (env != NULL && env[0] != '\0') {
        if (!compose_name_valid(env)) {
            cerrs_add(errs, NULL,
                      "COMPOSE_PROJECT_NAME '%s' is not a valid project name: lower case "
                      "letters, digits, '-' and '_', starting with a letter or digit",
                      env);
            return -1;
        }
        p->name = xstrdup(env);
    } else if (n != NULL && n->type == CNODE_SCALAR && n->str[0] != '\0') {
        if (!compose_name_valid(n->str)) {
            struct compose_pos at = {n->file, n->line, n->col};
            cerrs_add(errs, &at,
                      "name '%s' is not a valid project name: lower case letters, digits, "
                      "'-' and '_', starting with a letter or digit",
                      n->str);
            return -1;
        }
        p->name = xstrdup(n->str);
    } else {
        const char *base = strrchr(p->dir, '/');
        compose_name_normalize(base ? base + 1 : p->dir, norm, sizeof(norm));
        if (norm[0] == '\0') {
            cerrs_add(errs, NULL,
                      "the project directory %s gives no project name: set name: or "
                      "COMPOSE_PROJECT_NAME",
                      p->dir);
            return -1;
        }
        p->name = xstrdup(norm);
    }
    return 0;
}

/* What compose_load and compose_load_texts share once the texts are in
 * memory. */
/* The name COMPOSE_PROJECT_NAME stands for in the files when the
 * environment does not set it: the last file's name: (interpolated), else
 * the directory's, normalised. Worked out only when a file mentions it,
 * since it means reading the files twice. */
static void set_interp_name(const char *const *names, const char *const *texts, const size_t *lens,
                            size_t nfiles, const struct compose_env *cwd_env,
                            struct compose_project *p)
{
    const char *env = compose_var(cwd_env, "COMPOSE_PROJECT_NAME");
    struct compose_interp it = {.lookup = project_lookup, .ud = p};
    char norm[256];
    bool used = false;

    for (size_t i = 0; i < nfiles && !used; i++)
        used = strstr(texts[i], "COMPOSE_PROJECT_NAME") != NULL;
    if (!used)
        return;
    if (env != NULL && env[0] != '\0') {
        p->interp_name = xstrdup(env);
        return;
    }
    for (size_t i = 0; i < nfiles; i++) {
        struct ydoc d;
        struct ypair *pairs;
        size_t np;
        if (ydoc_load(&d, names[i], texts[i], lens[i]) == 0 &&
            ydoc_pairs(&d, ydoc_root(&d), &pairs, &np) == 0) {
            for (size_t k = 0; k < np; k++) {
                yaml_node_t *v = pairs[k].value;
                char *val;
                if (strcmp(pairs[k].name, "name") != 0 || !ydoc_is_scalar(v) ||
                    compose_interp(&it, (const char *)v->data.scalar.value, v->data.scalar.length,
                                   &val) != 0)
                    continue;
                if (val[0] != '\0') {
                    free(p->interp_name);
                    p->interp_name = val;
                } else {
                    free(val);
                }
            }
            free(pairs);
        }
        ydoc_free(&d);
    }
    if (p->interp_name == NULL) {
        const char *base = strrchr(p->dir, '/');
        compose_name_normalize(base ? base + 1 : p->dir, norm, sizeof(norm));
        p->interp_name = xstrdup(norm);
    }
}

/* What compose would read and healthtop does not: said once, at its
 * place, so that a finding it causes (a "missing" service that an
 * included file defines) is not taken on trust. */
static void warn_unread(const struct compose_project *p, struct cerrs *warns)
{
    const struct centry *e = cnode_entry(p->root, "include");
    const struct cnode *svcs = cnode_get(p->root, "services");

    if (e != NULL) {
        struct compose_pos at = {e->val->file, e->line, e->col};
        cerrs_add(warns, &at,
                  "warning: include: is not read by healthtop: the services of included files "
                  "are not seen");
    }
    for (size_t i = 0; svcs != NULL && svcs->type == CNODE_MAP && i < svcs->n; i++) {
        const struct centry *x = cnode_entry(svcs->ents[i].val, "extends");
        if (x != NULL) {
            struct compose_pos at = {x->val->file, x->line, x->col};
            cerrs_add(warns, &at,
                      "warning: extends: is not read by healthtop: %s has only the keys it "
                      "sets itself",
                      svcs->ents[i].key);
        }
    }
}

static int load_all(const char *const *names, const char *const *texts, const size_t *lens,
                    size_t nfiles, const struct compose_opts *o, const struct compose_env *cwd_env,
                    struct compose_project *p, struct cerrs *errs, struct cerrs *warns)
{
    int rc = 0;

    p->root = cnode_new(CNODE_MAP, names[0], 1, 1);
    set_interp_name(names, texts, lens, nfiles, cwd_env, p);
    for (size_t i = 0; i < nfiles; i++)
        if (merge_text(p, names[i], texts[i], lens[i], errs, warns) != 0)
            rc = -1;
    /* Go on after an error, so that one run shows every mistake. */
    warn_unread(p, warns);
    set_profiles(o, cwd_env, p);
    if (set_name(cwd_env, p, errs) != 0)
        rc = -1;
    if (compose_services_read(p, errs) != 0)
        rc = -1;
    return rc;
}

static void finish(struct compose_project *p, struct cerrs *errs, struct cerrs *warns, int rc,
                   char *err, size_t n)
{
    if (warns->n > 0) {
        char buf[8192];
        cerrs_flush(warns, buf, sizeof(buf));
        p->warnings = xstrdup(buf);
    }
    if (rc != 0)
        cerrs_flush(errs, err, n);
    else
        cerrs_flush(errs, NULL, 0);
}

int compose_load_texts(const char *const *names, const char *const *texts, size_t nfiles,
                       const char *dir, const struct compose_opts *o, struct compose_project *p,
                       char *err, size_t n)
{
    struct cerrs errs = {0}, warns = {0};
    struct compose_env none = {0};
    size_t *lens = xcalloc(nfiles + 1, sizeof(*lens));
    int rc;

    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < nfiles; i++) {
        strv_push(&p->files, &p->nfiles, names[i]);
        lens[i] = strlen(texts[i]);
    }
    p->dir = xstrdup(dir);
    if (nfiles == 0) {
        cerrs_add(&errs, NULL, "no compose file");
        rc = -1;
    } else {
        rc = load_all((const char *const *)p->files, texts, lens, nfiles, o, &none, p, &errs,
                      &warns);
    }
    free(lens);
    finish(p, &errs, &warns, rc, err, n);
    return rc;
}

int compose_load(const struct compose_opts *o, struct compose_project *p, char *err, size_t n)
{
    struct cerrs errs = {0}, warns = {0};
    struct compose_env cwd_env = {0};
    char cwdbuf[4096], *envpath;
    const char *cwd = o->cwd;
    char **texts = NULL;
    size_t *lens = NULL;
    int rc = 0;

    memset(p, 0, sizeof(*p));
    if (cwd == NULL) {
        if (getcwd(cwdbuf, sizeof(cwdbuf)) == NULL) {
            ht_snprintf(err, n, "cannot read the working directory: %s", strerror(errno));
            return -1;
        }
        cwd = cwdbuf;
    }
    envpath = path_join(cwd, ".env");
    if (load_env_file(&cwd_env, envpath, &errs) != 0 ||
        choose_files(o, cwd, &cwd_env, p, &errs) != 0) {
        rc = -1;
        goto out;
    }
    p->dir = dir_of(p->files[0]);
    {
        /* The name comes from the real directory, not "..". */
        char *real = realpath(p->dir, NULL);
        if (real != NULL) {
            free(p->dir);
            p->dir = real;
        }
    }
    free(envpath);
    envpath = path_join(p->dir, ".env");
    if (load_env_file(&p->env, envpath, &errs) != 0) {
        rc = -1;
        goto out;
    }
    texts = xcalloc(p->nfiles, sizeof(*texts));
    lens = xcalloc(p->nfiles, sizeof(*lens));
    for (size_t i = 0; i < p->nfiles; i++)
        if (read_file(p->files[i], &texts[i], &lens[i]) != 0) {
            cerrs_add(&errs, NULL, "%s: %s", p->files[i],
                      errno == EFBIG ? "bigger than 16 MiB" : strerror(errno));
            rc = -1;
        }
    if (rc == 0)
        rc = load_all((const char *const *)p->files, (const char *const *)texts, lens, p->nfiles, o,
                      &cwd_env, p, &errs, &warns);
out:
    for (size_t i = 0; texts != NULL && i < p->nfiles; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    free(envpath);
    compose_env_free(&cwd_env);
    finish(p, &errs, &warns, rc, err, n);
    return rc;
}

void compose_project_free(struct compose_project *p)
{
    compose_services_free(p);
    free(p->name);
    free(p->dir);
    strv_free(p->files, p->nfiles);
    strv_free(p->profiles, p->nprofiles);
    cnode_free(p->root);
    compose_env_free(&p->env);
    free(p->interp_name);
    free(p->warnings);
    memset(p, 0, sizeof(*p));
}
