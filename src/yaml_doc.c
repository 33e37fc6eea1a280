/* YAML documents for the config loader: libyaml's document API plus
 * positions, merge keys, ${VAR} expansion, bounded work and an error list. */
#include "yaml_doc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/secret.h"

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* Longest message kept. Messages are scrubbed of secrets before they are
 * cut, so that a cut can never leave part of a secret showing. */
#define YDOC_MSG_MAX 1024

static HT_PRINTF(4, 0) void verror_at(struct ydoc *d, unsigned line, unsigned col, const char *fmt,
                                      va_list ap)
{
    va_list copy;
    char *msg;
    int len;

    va_copy(copy, ap);
    len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0) {
        msg = xstrdup("(unprintable error)");
    } else {
        msg = xmalloc((size_t)len + 1);
        (void)vsnprintf(msg, (size_t)len + 1, fmt, ap);
        secret_scrub(msg, (size_t)len + 1);
        if (strlen(msg) > YDOC_MSG_MAX)
            memcpy(msg + YDOC_MSG_MAX - 3, "...", 4);
    }
    /* The same node reached twice through an alias gives the same error:
     * say it once. */
    for (size_t i = 0; i < d->nerrs; i++)
        if (d->errs[i].line == line && d->errs[i].col == col && strcmp(d->errs[i].msg, msg) == 0) {
            free(msg);
            return;
        }
    if (d->nerrs >= YDOC_ERRORS_MAX) {
        d->dropped++;
        free(msg);
        return;
    }
    d->errs = xrealloc(d->errs, (d->nerrs + 1) * sizeof(*d->errs));
    d->errs[d->nerrs] = (struct ydoc_err){line, col, (unsigned)d->nerrs, msg};
    d->nerrs++;
}

void ydoc_error_at(struct ydoc *d, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror_at(d, line, col, fmt, ap);
    va_end(ap);
}

void ydoc_error(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
    unsigned line = n ? (unsigned)n->start_mark.line + 1 : 1;
    unsigned col = n ? (unsigned)n->start_mark.column + 1 : 1;
    va_list ap;

    va_start(ap, fmt);
    verror_at(d, line, col, fmt, ap);
    va_end(ap);
}

static int err_cmp(const void *a, const void *b)
{
    const struct ydoc_err *x = *(const struct ydoc_err *const *)a;
    const struct ydoc_err *y = *(const struct ydoc_err *const *)b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Appends one line to out, scrubbed again (a secret may have been
 * registered after the error was recorded); a line that does not fit is
 * left out whole rather than cut. Returns false when it did not fit. */
static bool append_line(char *out, size_t n, size_t *used, char *line)
{
    size_t len;

    secret_scrub(line, strlen(line) + 1);
    len = strlen(line);
    if (*used + len + (*used > 0) + 1 > n)
        return false;
    if (*used > 0)
        out[(*used)++] = '\n';
    memcpy(out + *used, line, len + 1);
    *used += len;
    return true;
}

void ydoc_errors_format(const struct ydoc *d, char *out, size_t n)
{
    const struct ydoc_err **sorted;
    size_t used = 0, shown = 0;
    /* Sized for the longest line, so that nothing is cut before the
     * final scrub in append_line. */
    size_t cap = strlen(d->name) + YDOC_MSG_MAX + 64;
    char *line = xmalloc(cap);

    if (n == 0) {
        free(line);
        return;
    }
    out[0] = '\0';
    sorted = xmalloc((d->nerrs + 1) * sizeof(*sorted));
    for (size_t i = 0; i < d->nerrs; i++)
        sorted[i] = &d->errs[i];
    qsort(sorted, d->nerrs, sizeof(*sorted), err_cmp);
    for (size_t i = 0; i < d->nerrs; i++) {
        ht_snprintf(line, cap, "%s:%u:%u: %s", d->name, sorted[i]->line, sorted[i]->col,
                    sorted[i]->msg);
        if (!append_line(out, n, &used, line))
            break;
        shown++;
    }
    free(sorted);
    if (shown < d->nerrs + d->dropped) {
        ht_snprintf(line, cap, "%s: ... and %zu more errors", d->name,
                    d->nerrs + d->dropped - shown);
        (void)append_line(out, n, &used, line);
    }
    free(line);
}

bool ydoc_charge(struct ydoc *d, size_t units)
{
    if (d->over_budget)
        return false;
    d->work += units;
    if (d->work > YDOC_WORK_MAX) {
        d->over_budget = true;
        ydoc_error_at(d, 1, 1,
                      "document too complex: over %d nodes visited through aliases and merges "
                      "(an alias bomb?)",
                      YDOC_WORK_MAX);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */

/* Reader errors (bad UTF-8, control characters) carry a byte offset, not
 * a mark: count lines up to it. */
static void offset_to_mark(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static void syntax_error(struct ydoc *d, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "cannot parse";
    unsigned line = (unsigned)p->problem_mark.line + 1;
    unsigned col = (unsigned)p->problem_mark.column + 1;
    size_t at = p->problem_mark.index;

    /* libyaml's words for a tab where indentation is expected. */
    if (p->error == YAML_SCANNER_ERROR && at < len && text[at] == '\t') {
        ydoc_error_at(d, line, col,
                      "YAML syntax error: a tab; tabs are not allowed for "
                      "indentation in YAML, use spaces");
        return;
    }
    if (p->error == YAML_MEMORY_ERROR) {
        ydoc_error_at(d, 1, 1, "out of memory while parsing YAML");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        offset_to_mark(text, len, p->problem_offset, &line, &col);
        ydoc_error_at(d, line, col, "YAML syntax error: %s", problem);
        return;
    }
    if (p->context)
        ydoc_error_at(d, line, col, "YAML syntax error: %s (%s at line %u, column %u)", problem,
                      p->context, (unsigned)p->context_mark.line + 1,
                      (unsigned)p->context_mark.column + 1);
    else
        ydoc_error_at(d, line, col, "YAML syntax error: %s", problem);
}

/* libyaml's scanner does work quadratic in the depth of flow nesting
 * ("[[[[..."): 200,000 brackets, well under the file size cap, kept it
 * busy for minutes. No config nests deeply, so the depth is measured on
 * the text before libyaml sees it. The scan skips comments and quoted
 * scalars (a quote starts one only where libyaml would start one); a
 * bracket inside a plain scalar counts too, which only ever errs towards
 * refusing something absurd. Returns false (error added)
 * past YDOC_DEPTH_MAX. */
static bool depth_ok(struct ydoc *d, const char *text, size_t len)
{
    unsigned depth = 0, line = 1, col = 0;
    char quote = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        col += ((unsigned char)c & 0xC0) != 0x80;
        if (c == '\n') {
            line++;
            col = 0;
            if (quote == 0)
                continue;
        }
        if (quote != 0) {
            if (c == '\\' && quote == '"' && i + 1 < len)
                i++, col++;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '#' && (i == 0 || isspace((unsigned char)text[i - 1]))) {
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        } else if ((c == '"' || c == '\'') && (i == 0 || strchr(" \t\n[{,:-?", text[i - 1]))) {
            quote = c; /* starts a quoted scalar, as in libyaml; "it's" does not */
        } else if (c == '[' || c == '{') {
            if (++depth > YDOC_DEPTH_MAX) {
                ydoc_error_at(d, line, col, "nested deeper than %d levels", YDOC_DEPTH_MAX);
                return false;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

int ydoc_load(struct ydoc *d, const char *name, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_document_t extra;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    d->name = name;
    if (!depth_ok(d, text, len))
        return -1;
    if (!yaml_parser_initialize(&p)) {
        ydoc_error_at(d, 1, 1, "out of memory while parsing YAML");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &d->doc)) {
        syntax_error(d, &p, text, len);
        yaml_parser_delete(&p);
        return -1;
    }
    d->loaded = true;
    /* A second document would be ignored without a word: refuse it. */
    if (!yaml_parser_load(&p, &extra)) {
        syntax_error(d, &p, text, len);
        rc = -1;
    } else {
        yaml_node_t *r = yaml_document_get_root_node(&extra);
        if (r != NULL) {
            ydoc_error(d, r, "only one YAML document is allowed (found a second '---')");
            rc = -1;
        }
        yaml_document_delete(&extra);
    }
    yaml_parser_delete(&p);
    return rc;
}

void ydoc_init(struct ydoc *d, const char *name)
{
    memset(d, 0, sizeof(*d));
    d->name = name;
    if (!yaml_document_initialize(&d->doc, NULL, NULL, NULL, 1, 1))
        ht_fatal("out of memory");
    d->loaded = true;
}

void ydoc_free(struct ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    for (size_t i = 0; i < d->nerrs; i++)
        free(d->errs[i].msg);
    free(d->errs);
    d->errs = NULL;
    d->nerrs = 0;
    d->loaded = false;
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
    return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

/* ------------------------------------------------------------------ */
/* Node types                                                           */

bool ydoc_is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

    if (n == NULL)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < HT_ARRAY_LEN(nulls); i++)
        if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
            return true;
    return false;
}

bool ydoc_is_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE;
}

bool ydoc_is_seq(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SEQUENCE_NODE;
}

bool ydoc_is_map(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_MAPPING_NODE;
}

const char *ydoc_type_name(const yaml_node_t *n)
{
    if (ydoc_is_null(n))
        return "empty";
    if (ydoc_is_seq(n))
        return "a list";
    if (ydoc_is_map(n))
        return "a mapping";
    return "a string";
}

size_t ydoc_nitems(const yaml_node_t *seq)
{
    if (!ydoc_is_seq(seq))
        return 0;
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *ydoc_item(struct ydoc *d, const yaml_node_t *seq, size_t i)
{
    if (i >= ydoc_nitems(seq) || !ydoc_charge(d, 1))
        return NULL;
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

/* ------------------------------------------------------------------ */
/* Mappings and merge keys                                              */

struct pvec {
    struct ypair *v;
    size_t n, cap;
};

static void pvec_push(struct pvec *pv, struct ypair p)
{
    XGROW(pv->v, pv->cap, pv->n + 1);
    pv->v[pv->n++] = p;
}

static bool is_merge_key(const yaml_node_t *k)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

static int name_cmp(const void *a, const void *b)
{
    const struct ypair *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c != 0)
        return c;
    /* Same name: file order, so that the first one stays the original. */
    if (x->key->start_mark.index != y->key->start_mark.index)
        return x->key->start_mark.index < y->key->start_mark.index ? -1 : 1;
    return 0;
}

/* The explicit (non-merge) pairs of map, sorted by name, duplicates
 * reported and dropped. */
static int explicit_pairs(struct ydoc *d, yaml_node_t *map, struct pvec *ex)
{
    yaml_node_pair_t *pair;
    size_t keep = 0;

    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&d->doc, pair->value);
        if (!ydoc_charge(d, 1))
            return -1;
        if (k == NULL || v == NULL || is_merge_key(k))
            continue;
        if (k->type != YAML_SCALAR_NODE || ydoc_is_null(k)) {
            ydoc_error(d, k, "keys must be names, not %s", ydoc_type_name(k));
            continue;
        }
        if (strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
            ydoc_error(d, k, "a key holds a NUL byte");
            continue;
        }
        pvec_push(ex, (struct ypair){k, v, (const char *)k->data.scalar.value});
    }
    if (ex->n > 1)
        qsort(ex->v, ex->n, sizeof(*ex->v), name_cmp);
    for (size_t i = 0; i < ex->n; i++) {
        if (keep > 0 && strcmp(ex->v[keep - 1].name, ex->v[i].name) == 0) {
            const yaml_node_t *first = ex->v[keep - 1].key;
            ydoc_error(d, ex->v[i].key, "duplicate key '%s' (first at line %u, column %u)",
                       ex->v[i].name, (unsigned)first->start_mark.line + 1,
                       (unsigned)first->start_mark.column + 1);
            continue;
        }
        ex->v[keep++] = ex->v[i];
    }
    ex->n = keep;
    return 0;
}

static int name_only_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ypair *)a)->name, ((const struct ypair *)b)->name);
}

/* The explicit pair called name (ex is sorted), or NULL. */
static struct ypair *find_explicit(const struct pvec *ex, const char *name)
{
    struct ypair key = {.name = name};

    if (ex->n == 0)
        return NULL;
    return bsearch(&key, ex->v, ex->n, sizeof(*ex->v), name_only_cmp);
}

static bool pvec_has(struct ydoc *d, const struct pvec *pv, const char *name)
{
    if (!ydoc_charge(d, pv->n + 1))
        return true;
    for (size_t i = 0; i < pv->n; i++)
        if (strcmp(pv->v[i].name, name) == 0)
            return true;
    return false;
}

static int pairs_rec(struct ydoc *d, yaml_node_t *map, int depth, struct pvec *out);

/* Splices the pairs of one merge source into out, skipping keys the
 * mapping sets itself (ex) and keys an earlier source already gave. */
static int merge_source(struct ydoc *d, yaml_node_t *src, int depth, const struct pvec *ex,
                        struct pvec *out)
{
    struct pvec sub = {0};

    if (!ydoc_is_map(src)) {
        ydoc_error(d, src, "a '<<' merge takes a mapping (*alias) or a list of them, not %s",
                   ydoc_type_name(src));
        return 0;
    }
    if (pairs_rec(d, src, depth + 1, &sub) != 0) {
        free(sub.v);
        return -1;
    }
    for (size_t i = 0; i < sub.n; i++) {
        if (find_explicit(ex, sub.v[i].name) != NULL || pvec_has(d, out, sub.v[i].name))
            continue;
        pvec_push(out, sub.v[i]);
    }
    free(sub.v);
    return d->over_budget ? -1 : 0;
}

static int pairs_rec(struct ydoc *d, yaml_node_t *map, int depth, struct pvec *out)
{
    struct pvec ex = {0};
    yaml_node_pair_t *pair;
    int rc = 0;

    if (depth > YDOC_MERGE_MAX) {
        ydoc_error(d, map, "'<<' merges nested more than %d deep (an anchor merged into itself?)",
                   YDOC_MERGE_MAX);
        return -1;
    }
    if (explicit_pairs(d, map, &ex) != 0) {
        free(ex.v);
        return -1;
    }
    for (pair = map->data.mapping.pairs.start; rc == 0 && pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&d->doc, pair->value);
        if (k == NULL || v == NULL)
            continue;
        if (!is_merge_key(k)) {
            struct ypair *e = k->type == YAML_SCALAR_NODE
                                  ? find_explicit(&ex, (const char *)k->data.scalar.value)
                                  : NULL;
            if (e != NULL && e->key == k)
                pvec_push(out, *e);
            continue;
        }
        if (ydoc_is_seq(v)) {
            for (size_t i = 0; rc == 0 && i < ydoc_nitems(v); i++) {
                yaml_node_t *src = ydoc_item(d, v, i);
                rc = src ? merge_source(d, src, depth, &ex, out) : -1;
            }
        } else {
            rc = merge_source(d, v, depth, &ex, out);
        }
    }
    free(ex.v);
    return rc;
}

int ydoc_pairs(struct ydoc *d, yaml_node_t *map, struct ypair **out, size_t *n)
{
    struct pvec pv = {0};

    *out = NULL;
    *n = 0;
    if (!ydoc_is_map(map))
        return -1;
    if (pairs_rec(d, map, 0, &pv) != 0) {
        free(pv.v);
        return -1;
    }
    *out = pv.v;
    *n = pv.n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars and ${VAR}                                                   */

struct sbuf {
    char *s;
    size_t n, cap;
};

static void sbuf_add(struct sbuf *b, const char *p, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        b->cap = (b->n + len + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, p, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static bool is_name_start(int c)
{
    return isalpha(c) || c == '_';
}

/* One ${...} reference, body being what is inside the braces. Appends the
 * value to b; returns -1 with the error recorded. The compose forms are
 * supported: ${V}, ${V:-default}, ${V-default}, ${V:?message}, ${V?message}. */
static int expand_ref(struct ydoc *d, const yaml_node_t *n, const char *body, size_t len,
                      struct sbuf *b)
{
    char name[128];
    size_t i = 0;
    const char *val, *arg = "";
    bool colon = false;
    char op = 0;

    size_t namelen;

    while (i < len &&
           (is_name_start((unsigned char)body[i]) || (i > 0 && isdigit((unsigned char)body[i]))))
        i++;
    namelen = i;
    if (i < len && body[i] == ':' && i + 1 < len && (body[i + 1] == '-' || body[i + 1] == '?')) {
        colon = true;
        i++;
    }
    if (i < len && (body[i] == '-' || body[i] == '?')) {
        op = body[i];
        arg = body + i + 1;
    }
    if (namelen == 0 || namelen >= sizeof(name) || (op == 0 && i != len)) {
        ydoc_error(d, n,
                   "bad variable reference '${%.*s}': a name is letters, digits and '_' "
                   "(write $$ for a literal $)",
                   (int)(len > 60 ? 60 : len), body);
        return -1;
    }
    memcpy(name, body, namelen);
    name[namelen] = '\0';
    val = getenv(name);
    if (val != NULL && (!colon || *val != '\0')) {
        secret_add(val);
        sbuf_add(b, val, strlen(val));
        return 0;
    }
    if (op == '-') {
        sbuf_add(b, arg, len - (size_t)(arg - body));
        return 0;
    }
    if (op == '?' && arg < body + len) {
        ydoc_error(d, n, "environment variable %s: %.*s", name, (int)(len - (size_t)(arg - body)),
                   arg);
        return -1;
    }
    ydoc_error(d, n, "environment variable %s is %s (write ${%s:-default} to give a default)", name,
               val ? "empty" : "not set", name);
    return -1;
}

/* Expands $$ and ${...} in s. A '$' before a name without braces is an
 * error rather than a literal, because "$TOKEN" left as it is would fail
 * later and far from here; any other '$' is kept. */
static char *expand(struct ydoc *d, const yaml_node_t *n, const char *s, size_t len)
{
    struct sbuf b = {0};
    int rc = 0;

    sbuf_add(&b, "", 0);
    for (size_t i = 0; i < len;) {
        const char *close;
        /* The byte after a '$', or 0 for any other byte. */
        int next = s[i] == '$' && i + 1 < len ? (unsigned char)s[i + 1] : 0;
        if (next == '$') {
            sbuf_add(&b, "$", 1);
            i += 2;
        } else if (next == '{') {
            close = memchr(s + i + 2, '}', len - i - 2);
            if (close == NULL) {
                ydoc_error(d, n, "unterminated '${' (write $$ for a literal $)");
                rc = -1;
                break;
            }
            if (expand_ref(d, n, s + i + 2, (size_t)(close - s) - i - 2, &b) != 0)
                rc = -1;
            i = (size_t)(close - s) + 1;
        } else if (next != 0 && is_name_start(next)) {
            size_t j = i + 1;
            while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
                j++;
            ydoc_error(d, n, "write ${%.*s} with braces (or $$ for a literal $)",
                       (int)(j - i - 1 > 60 ? 60 : j - i - 1), s + i + 1);
            rc = -1;
            i = j;
        } else {
            sbuf_add(&b, s + i++, 1);
        }
    }
    if (rc != 0) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The node's text expanded, or NULL (recorded) when it is not a scalar. */
static char *scalar(struct ydoc *d, yaml_node_t *n, const char *what, const char *expected)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || ydoc_is_null(n)) {
        ydoc_error(d, n, "%s must be %s, not %s", what, expected, ydoc_type_name(n));
        return NULL;
    }
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
        ydoc_error(d, n, "%s holds a NUL byte", what);
        return NULL;
    }
    if (!ydoc_charge(d, 1))
        return NULL;
    return expand(d, n, (const char *)n->data.scalar.value, n->data.scalar.length);
}

char *ydoc_str(struct ydoc *d, yaml_node_t *n, const char *what)
{
    return scalar(d, n, what, "a string");
}

int ydoc_int(struct ydoc *d, yaml_node_t *n, const char *what, int64_t min, int64_t max,
             int64_t *out)
{
    char *s = scalar(d, n, what, "a whole number");
    char *end;
    long long v;
    int rc = -1;

    if (s == NULL)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || isspace((unsigned char)s[0]))
        ydoc_error(d, n, "%s must be a whole number, not '%s'", what, s);
    else if (errno == ERANGE || v < min || v > max)
        ydoc_error(d, n, "%s must be between %lld and %lld, not %s", what, (long long)min,
                   (long long)max, s);
    else {
        *out = v;
        rc = 0;
    }
    free(s);
    return rc;
}

int ydoc_bool(struct ydoc *d, yaml_node_t *n, const char *what, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                              "FALSE"};
    char *s = scalar(d, n, what, "true or false");
    int rc = -1;

    if (s == NULL)
        return -1;
    for (size_t i = 0; i < HT_ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            rc = 0;
        } else if (strcmp(s, no[i]) == 0) {
            *out = false;
            rc = 0;
        }
    }
    if (rc != 0)
        ydoc_error(d, n, "%s must be true or false, not '%s'", what, s);
    free(s);
    return rc;
}

int ydoc_duration(struct ydoc *d, yaml_node_t *n, const char *what, int64_t min_ms, int64_t *out)
{
    char *s = scalar(d, n, what, "a duration (250ms, 2s, 1m)");
    const char *why;
    char minbuf[32];
    int64_t ms;
    int rc = -1;

    if (s == NULL)
        return -1;
    if (ht_duration_parse(s, &ms, &why) != 0) {
        ydoc_error(d, n, "bad duration '%s' for %s: %s", s, what, why);
    } else if (ms < min_ms) {
        ht_duration_format(min_ms, minbuf, sizeof(minbuf));
        ydoc_error(d, n, "%s must be at least %s, not %s", what, minbuf, s);
    } else {
        *out = ms;
        rc = 0;
    }
    free(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Did you mean                                                         */

/* Case-insensitive Levenshtein distance, for short words only. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[65];

    if (la > 64 || lb > 64)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ydoc_nearest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(cands[i]);
        size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
        size_t dist = edit_distance(word, cands[i]);
        if (dist <= limit && dist < strlen(word) && dist < bestd) {
            best = cands[i];
            bestd = dist;
        }
    }
    return best;
}

void ydoc_unknown_key(struct ydoc *d, const struct ypair *p, const char *where,
                      const char *const *cands, size_t n)
{
    const char *near = ydoc_nearest(p->name, cands, n);
    char list[256] = "";
    size_t used = 0;

    if (near != NULL) {
        ydoc_error(d, p->key, "unknown key '%s' in %s (did you mean '%s'?)", p->name, where, near);
        return;
    }
    for (size_t i = 0; i < n && used + 1 < sizeof(list); i++) {
        ht_snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", cands[i]);
        used = strlen(list);
    }
    ydoc_error(d, p->key, "unknown key '%s' in %s (valid keys: %s)", p->name, where, list);
}
