/* The compose tree: one file's YAML (through yaml_doc, so positions, `<<`
 * merge keys, duplicate keys and the alias bound come from there) copied
 * into cnodes with every value interpolated, and several such trees
 * merged by the compose specification's rules. */
#include "compose/tree.h"

#include <stdlib.h>
#include <string.h>

void cnode_free(struct cnode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        free(n->ents[i].key);
        cnode_free(n->ents[i].val);
    }
    free(n->ents);
    free(n->str);
    free(n);
}

struct centry *cnode_entry(const struct cnode *n, const char *key)
{
    if (n == NULL || n->type != CNODE_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->ents[i].key, key) == 0)
            return &n->ents[i];
    return NULL;
}

struct cnode *cnode_get(const struct cnode *n, const char *key)
{
    struct centry *e = cnode_entry(n, key);

    return e ? e->val : NULL;
}

static void cnode_push(struct cnode *n, char *key, unsigned line, unsigned col, struct cnode *val)
{
    struct centry *e;

    XGROW(n->ents, n->cap, n->n + 1);
    e = &n->ents[n->n++];
    e->key = key; /* owned from here on */
    e->line = line;
    e->col = col;
    e->val = val;
}

struct cnode *cnode_new(enum cnode_type t, const char *file, unsigned line, unsigned col)
{
    struct cnode *n = xcalloc(1, sizeof(*n));

    n->type = t;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

/* ------------------------------------------------------------------ */
/* From YAML                                                            */

static enum cnode_tag tag_of(const yaml_node_t *y)
{
    const char *t = (const char *)y->tag;

    if (t == NULL)
        return CNODE_TAG_NONE;
    if (strcmp(t, "!reset") == 0)
        return CNODE_TAG_RESET;
    if (strcmp(t, "!override") == 0)
        return CNODE_TAG_OVERRIDE;
    return CNODE_TAG_NONE;
}

static struct cnode *from_yaml(struct ydoc *d, yaml_node_t *y, struct compose_interp *it, int depth)
{
    unsigned line = (unsigned)y->start_mark.line + 1, col = (unsigned)y->start_mark.column + 1;
    struct cnode *n;

    if (depth > YDOC_DEPTH_MAX * 2) {
        ydoc_error(d, y, "nested deeper than %d levels", YDOC_DEPTH_MAX * 2);
        return NULL;
    }
    if (!ydoc_charge(d, 1))
        return NULL;
    if (ydoc_is_null(y)) {
        n = cnode_new(CNODE_NULL, d->name, line, col);
    } else if (y->type == YAML_SCALAR_NODE) {
        n = cnode_new(CNODE_SCALAR, d->name, line, col);
        if (strlen((const char *)y->data.scalar.value) != y->data.scalar.length) {
            ydoc_error(d, y, "a value holds a NUL byte");
            n->str = xstrdup("");
        } else if (compose_interp(it, (const char *)y->data.scalar.value, y->data.scalar.length,
                                  &n->str) != 0) {
            ydoc_error(d, y, "%s", it->err);
            n->str = xstrdup("");
        } else if (it->unset[0]) {
            /* compose warns and goes on with an empty string. */
            ydoc_error(d, y, "warning: variable %s is not set, an empty string is used", it->unset);
            it->unset[0] = '\0';
        }
    } else if (y->type == YAML_SEQUENCE_NODE) {
        n = cnode_new(CNODE_SEQ, d->name, line, col);
        for (size_t i = 0; i < ydoc_nitems(y); i++) {
            yaml_node_t *item = ydoc_item(d, y, i);
            struct cnode *c = item ? from_yaml(d, item, it, depth + 1) : NULL;
            if (c == NULL)
                break;
            cnode_push(n, NULL, c->line, c->col, c);
        }
    } else {
        struct ypair *pairs;
        size_t np;
        n = cnode_new(CNODE_MAP, d->name, line, col);
        if (ydoc_pairs(d, y, &pairs, &np) == 0) {
            for (size_t i = 0; i < np; i++) {
                struct cnode *c = from_yaml(d, pairs[i].value, it, depth + 1);
                if (c == NULL)
                    break;
                cnode_push(n, xstrdup(pairs[i].name), (unsigned)pairs[i].key->start_mark.line + 1,
                           (unsigned)pairs[i].key->start_mark.column + 1, c);
            }
            free(pairs);
        }
    }
    n->tag = tag_of(y);
    return n;
}

struct cnode *cnode_from_ydoc(struct ydoc *d, struct compose_interp *it)
{
    yaml_node_t *root = ydoc_root(d);

    if (root == NULL)
        return cnode_new(CNODE_MAP, d->name, 1, 1);
    return from_yaml(d, root, it, 0);
}

/* ------------------------------------------------------------------ */
/* Merging                                                              */

static bool path_is(const char **path, size_t depth, size_t want, const char *last)
{
    return depth == want && strcmp(path[0], "services") == 0 && strcmp(path[depth - 1], last) == 0;
}

/* A sequence the spec says the later file replaces: command, entrypoint,
 * healthcheck.test. */
static bool replaced_seq(const char **path, size_t depth)
{
    return path_is(path, depth, 3, "command") || path_is(path, depth, 3, "entrypoint") ||
           (depth == 4 && strcmp(path[0], "services") == 0 && strcmp(path[2], "healthcheck") == 0 &&
            strcmp(path[3], "test") == 0);
}

/* The unique key of a port (ip, target, published, protocol) or of a
 * volume, secret or config (its target), as a string; "" when there is
 * none to compare. */
static void unique_key(const struct cnode *item, bool port, char *out, size_t n)
{
    const char *parts[4] = {"", "", "", ""};
    static const char *const port_keys[] = {"host_ip", "target", "published", "protocol"};

    out[0] = '\0';
    if (item->type == CNODE_SCALAR) {
        if (port) {
            /* The short form: normalise "8080:80" and "8080:80/tcp". */
            size_t len = strlen(item->str);
            bool proto = strchr(item->str, '/') != NULL;
            ht_snprintf(out, n, "%.*s%s", (int)len, item->str, proto ? "" : "/tcp");
        } else {
            /* source:target[:mode]: the target is the second field. */
            const char *c = strchr(item->str, ':');
            const char *e = c ? strchr(c + 1, ':') : NULL;
            if (c == NULL)
                ht_strlcpy(out, item->str, n);
            else
                ht_snprintf(out, n, "%.*s", (int)(e ? e - c - 1 : (long)strlen(c + 1)), c + 1);
        }
        return;
    }
    if (item->type != CNODE_MAP)
        return;
    if (!port) {
        struct cnode *t = cnode_get(item, "target");
        if (t && t->type == CNODE_SCALAR)
            ht_strlcpy(out, t->str, n);
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        struct cnode *v = cnode_get(item, port_keys[i]);
        if (v && v->type == CNODE_SCALAR)
            parts[i] = v->str;
    }
    /* The long form, written like the short one so the two forms meet. */
    ht_snprintf(out, n, "%s%s%s%s%s/%s", parts[0], parts[0][0] ? ":" : "", parts[2],
                parts[2][0] ? ":" : "", parts[1], parts[3][0] ? parts[3] : "tcp");
}

static void merge_unique(struct cnode *base, struct cnode *over, bool port)
{
    char a[256], b[256];

    for (size_t i = 0; i < over->n; i++) {
        struct cnode *item = over->ents[i].val;
        bool done = false;
        unique_key(item, port, b, sizeof(b));
        for (size_t j = 0; b[0] && j < base->n && !done; j++) {
            unique_key(base->ents[j].val, port, a, sizeof(a));
            if (strcmp(a, b) == 0) {
                cnode_free(base->ents[j].val);
                base->ents[j].val = item;
                done = true;
            }
        }
        if (!done)
            cnode_push(base, NULL, item->line, item->col, item);
    }
    over->n = 0;
    cnode_free(over);
}

void cnode_merge(struct cnode **base, struct cnode *over, const char **path, size_t depth)
{
    struct cnode *b = *base;

    if (b == NULL || over->tag == CNODE_TAG_OVERRIDE || b->type != over->type ||
        over->type == CNODE_SCALAR || over->type == CNODE_NULL ||
        (over->type == CNODE_SEQ && replaced_seq(path, depth))) {
        cnode_free(b);
        *base = over;
        return;
    }
    if (over->type == CNODE_SEQ) {
        bool port = depth == 3 && path_is(path, depth, 3, "ports");
        bool target = depth == 3 &&
                      (path_is(path, depth, 3, "volumes") || path_is(path, depth, 3, "secrets") ||
                       path_is(path, depth, 3, "configs"));
        if (port || target) {
            merge_unique(b, over, port);
            return;
        }
        for (size_t i = 0; i < over->n; i++)
            cnode_push(b, NULL, over->ents[i].line, over->ents[i].col, over->ents[i].val);
        over->n = 0;
        cnode_free(over);
        return;
    }
    for (size_t i = 0; i < over->n; i++) {
        struct centry *oe = &over->ents[i];
        struct centry *be = cnode_entry(b, oe->key);
        if (oe->val->tag == CNODE_TAG_RESET) {
            if (be != NULL) {
                size_t at = (size_t)(be - b->ents);
                free(be->key);
                cnode_free(be->val);
                memmove(be, be + 1, (b->n - at - 1) * sizeof(*be));
                b->n--;
            }
            free(oe->key);
            cnode_free(oe->val);
            continue;
        }
        if (be == NULL) {
            oe->val->tag = CNODE_TAG_NONE;
            cnode_push(b, oe->key, oe->line, oe->col, oe->val);
            continue;
        }
        if (depth < 8) {
            const char *sub[8];
            if (depth > 0)
                memcpy(sub, path, depth * sizeof(*path));
            sub[depth] = oe->key;
            cnode_merge(&be->val, oe->val, sub, depth + 1);
        } else {
            cnode_free(be->val);
            be->val = oe->val;
        }
        free(oe->key);
    }
    over->n = 0;
    cnode_free(over);
}
