/* The x-healthtop: extensions of a compose project (compose ignores x-
 * keys) read as a healthtop.yml is: each service's is a healthtop.yml
 * service of its name (label, group, the timings, a probe adding a row
 * NAME/KIND), the top-level one gives title: and defaults:. The values
 * are the compose tree's, already interpolated by the compose rules (and
 * registered as secrets there); they are turned back into a YAML
 * document with the compose file's positions, so that the config loader
 * (config_doc.h) reads them and its errors point into the compose file. */
#include "compose/compose.h"

#include <stdlib.h>
#include <string.h>
#include "config_doc.h"
#include "healthtop/config.h"
#include "healthtop/util.h"
#include "yaml_doc.h"

#define EXT_KEY "x-healthtop"

static void mark(yaml_document_t *doc, int id, unsigned line, unsigned col)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);

    n->start_mark.line = line > 0 ? line - 1 : 0;
    n->start_mark.column = col > 0 ? col - 1 : 0;
    n->end_mark = n->start_mark;
}

/* A scalar whose text the loader takes as it is: every '$' doubled, since
 * the compose rules have interpolated it already. */
static int add_text(yaml_document_t *doc, const char *s, yaml_scalar_style_t style)
{
    size_t len = strlen(s), dollars = 0;
    char *t, *o;
    int id;

    for (const char *c = s; *c; c++)
        dollars += *c == '$';
    t = o = xmalloc(len + dollars + 1);
    for (const char *c = s; *c; c++) {
        *o++ = *c;
        if (*c == '$')
            *o++ = '$';
    }
    *o = '\0';
    id = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)t, (int)(len + dollars), style);
    free(t);
    if (id == 0)
        ht_fatal("out of memory");
    return id;
}

/* The compose node c as a node of doc, with c's positions. */
static int add_node(yaml_document_t *doc, const struct cnode *c)
{
    int id;

    switch (c->type) {
    case CNODE_MAP:
        id = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
        for (size_t i = 0; id && i < c->n; i++) {
            int k = add_text(doc, c->ents[i].key, YAML_PLAIN_SCALAR_STYLE);
            mark(doc, k, c->ents[i].line, c->ents[i].col);
            if (!yaml_document_append_mapping_pair(doc, id, k, add_node(doc, c->ents[i].val)))
                ht_fatal("out of memory");
        }
        break;
    case CNODE_SEQ:
        id = yaml_document_add_sequence(doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
        for (size_t i = 0; id && i < c->n; i++)
            if (!yaml_document_append_sequence_item(doc, id, add_node(doc, c->ents[i].val)))
                ht_fatal("out of memory");
        break;
    case CNODE_SCALAR:
        /* Quoted: "null" or "" written in the compose file stays a string. */
        id = add_text(doc, c->str, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        break;
    default:
        id = add_text(doc, "", YAML_PLAIN_SCALAR_STYLE);
        break;
    }
    if (id == 0)
        ht_fatal("out of memory");
    mark(doc, id, c->line, c->col);
    return id;
}

/* Adds key: value (value's positions; the key's at line, col). */
static void add_pair(yaml_document_t *doc, int map, const char *key, unsigned line, unsigned col,
                     const struct cnode *value)
{
    int k = add_text(doc, key, YAML_PLAIN_SCALAR_STYLE);

    mark(doc, k, line, col);
    if (!yaml_document_append_mapping_pair(doc, map, k, add_node(doc, value)))
        ht_fatal("out of memory");
}

/* A document: the top-level extension's keys a healthtop.yml also has
 * (title:, defaults:), then services: {name: ext} when name is given. */
static int new_doc(struct ydoc *d, const char *file, const struct cnode *top, const char *name,
                   const struct compose_pos *at, const struct cnode *ext)
{
    static const char *const keys[] = {"title", "defaults"};
    int root;

    ydoc_init(d, file);
    root = yaml_document_add_mapping(&d->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    if (root == 0)
        ht_fatal("out of memory");
    mark(&d->doc, root, top ? top->line : 1, top ? top->col : 1);
    for (size_t i = 0; top != NULL && top->type == CNODE_MAP && i < top->n; i++) {
        const struct centry *e = &top->ents[i];
        if (strcmp(e->key, "title") == 0 || strcmp(e->key, "defaults") == 0)
            add_pair(&d->doc, root, e->key, e->line, e->col, e->val);
        else if (name == NULL) {
            /* Only the top-level document says so, once. */
            int k = add_text(&d->doc, e->key, YAML_PLAIN_SCALAR_STYLE);
            struct ypair p = {yaml_document_get_node(&d->doc, k), NULL, e->key};
            mark(&d->doc, k, e->line, e->col);
            ydoc_unknown_key(d, &p, "the top-level " EXT_KEY, keys, HT_ARRAY_LEN(keys));
        }
    }
    if (top != NULL && top->type != CNODE_MAP && top->type != CNODE_NULL)
        ydoc_error_at(d, top->line, top->col,
                      EXT_KEY " must be a mapping (title:, defaults:), not a %s",
                      top->type == CNODE_SEQ ? "list" : "string");
    if (name != NULL) {
        int svcs = add_text(&d->doc, "services", YAML_PLAIN_SCALAR_STYLE);
        int map = yaml_document_add_mapping(&d->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
        if (map == 0)
            ht_fatal("out of memory");
        mark(&d->doc, svcs, at->line, at->col);
        mark(&d->doc, map, at->line, at->col);
        add_pair(&d->doc, map, name, at->line, at->col, ext);
        if (!yaml_document_append_mapping_pair(&d->doc, root, svcs, map))
            ht_fatal("out of memory");
    }
    return root;
}

/* Reads one document (d is freed); own is its config, or err. */
static int read_doc(struct ydoc *d, struct ht_config *own, char *err, size_t n)
{
    int rc;

    if (d->nerrs > 0) {
        ydoc_errors_format(d, err, n);
        ydoc_free(d);
        memset(own, 0, sizeof(*own));
        return -1;
    }
    rc = config_parse_overlay_doc(d, own, err, n);
    ydoc_free(d);
    return rc;
}

/* Lays the services gathered in all (read from file) over cfg; all is
 * then empty (*cap its capacity). */
static int flush(struct ht_config *cfg, struct ht_config *all, size_t *cap, const char *file,
                 char *err, size_t n)
{
    int rc = all->nsvcs > 0 ? compose_overlay_apply(cfg, all, file, err, n) : 0;

    config_free(all);
    *cap = 0;
    return rc;
}

int compose_ext_apply(const struct compose_project *p, struct ht_config *cfg, char *err, size_t n)
{
    const struct cnode *top = cnode_get(p->root, EXT_KEY);
    struct ht_config own, all = {0};
    const char *file = NULL;
    size_t cap = 0;
    struct ydoc d;

    /* The top-level one alone first: its mistakes are said once. */
    if (top != NULL) {
        new_doc(&d, top->file, top, NULL, NULL, NULL);
        if (read_doc(&d, &own, err, n) != 0)
            return -1;
        config_free(&own);
    }
    /* Each service's is read alone (its own file named in its errors),
     * and those of one file laid over the rows together (one pass to
     * resolve depends_on, however many there are). */
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        const struct cnode *ext = cnode_get(s->node, EXT_KEY);
        const struct centry *at = cnode_entry(s->node, EXT_KEY);
        /* A service outside the active profiles runs nothing to probe. */
        if (ext == NULL || ext->type == CNODE_NULL || !s->active)
            continue;
        if (file != NULL && strcmp(file, ext->file) != 0 &&
            flush(cfg, &all, &cap, file, err, n) != 0)
            return -1;
        file = ext->file;
        new_doc(&d, ext->file, top, s->name, &(struct compose_pos){ext->file, at->line, at->col},
                ext);
        if (read_doc(&d, &own, err, n) != 0) {
            config_free(&all);
            return -1;
        }
        XGROW(all.svcs, cap, all.nsvcs + own.nsvcs);
        memcpy(&all.svcs[all.nsvcs], own.svcs, own.nsvcs * sizeof(*own.svcs));
        all.nsvcs += own.nsvcs;
        own.nsvcs = 0;
        config_free(&own);
    }
    return flush(cfg, &all, &cap, file, err, n);
}
