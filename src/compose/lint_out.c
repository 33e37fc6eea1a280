/* Lint findings written out: compiler-style text, a JSON document, or
 * SARIF 2.1.0 for CI systems that annotate lines. */
#include "compose/lint.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"

static const char *const sev_names[] = {"note", "warning", "error"};

/* A file name made safe for output (it may come from COMPOSE_FILE). */
static void safe_file(const char *file, char *out, size_t n)
{
    text_safe_str(out, n, file ? file : "");
}

static int write_text(FILE *out, const struct compose_project *p, const struct lint_result *r)
{
    char file[1024], name[256];

    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        safe_file(f->pos.file, file, sizeof(file));
        fprintf(out, "%s:%u:%u: %s: %s [%s]\n", file, f->pos.line, f->pos.col, sev_names[f->sev],
                f->msg, lint_rules[f->rule].id);
        if (f->fix)
            fprintf(out, "  fix: %s\n", f->fix);
    }
    text_safe_str(name, sizeof(name), p->name);
    fprintf(out, "%s%zu error%s, %zu warning%s, %zu note%s in %zu services (project %s)\n",
            r->n ? "\n" : "", r->count[LINT_ERROR], r->count[LINT_ERROR] == 1 ? "" : "s",
            r->count[LINT_WARNING], r->count[LINT_WARNING] == 1 ? "" : "s", r->count[LINT_NOTE],
            r->count[LINT_NOTE] == 1 ? "" : "s", p->nsvcs, name);
    return ferror(out) ? -1 : 0;
}

/* text_safe output is UTF-8, which jansson takes. */
static json_t *jstr(const char *s)
{
    char *safe = text_safe_dup(s ? s : "");
    json_t *j = json_string(safe);

    free(safe);
    return j ? j : json_string("");
}

static json_t *json_doc(const struct compose_project *p, const struct lint_result *r)
{
    json_t *files = json_array(), *finds = json_array();

    for (size_t i = 0; i < p->nfiles; i++)
        json_array_append_new(files, jstr(p->files[i]));
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        json_array_append_new(
            finds, json_pack("{s:o, s:i, s:i, s:s, s:s, s:s, s:o}", "file", jstr(f->pos.file),
                             "line", (json_int_t)f->pos.line, "column", (json_int_t)f->pos.col,
                             "severity", sev_names[f->sev], "rule", lint_rules[f->rule].id,
                             "message", f->msg, "fix", f->fix ? json_string(f->fix) : json_null()));
    }
    return json_pack("{s:o, s:o, s:o, s:{s:i, s:i, s:i}}", "project", jstr(p->name), "files", files,
                     "findings", finds, "summary", "errors", (json_int_t)r->count[LINT_ERROR],
                     "warnings", (json_int_t)r->count[LINT_WARNING], "notes",
                     (json_int_t)r->count[LINT_NOTE]);
}

/* A file name as a relative URI reference, as SARIF's artifactLocation
 * wants it: every byte but the unreserved ones and '/' %-encoded. */
static json_t *uri_of(const char *file)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)(file ? file : "");
    char *out = xmalloc(strlen((const char *)p) * 3 + 1), *o = out;
    json_t *j;

    for (; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p) != NULL) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    j = json_string(out);
    free(out);
    return j;
}

/* SARIF 2.1.0: one run, the rules table as the driver's rules, a result
 * per finding with its physical location; the fix goes into the
 * message's text (SARIF's own fixes need the replacement bytes). */
static json_t *sarif_doc(const struct compose_project *p, const struct lint_result *r)
{
    json_t *rules = json_array(), *results = json_array();

    (void)p;
    for (size_t i = 0; i < lint_nrules; i++)
        json_array_append_new(
            rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "id", lint_rules[i].id, "name",
                             lint_rules[i].id, "shortDescription", "text", lint_rules[i].summary,
                             "defaultConfiguration", "level", sev_names[lint_rules[i].sev]));
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        char text[2048];
        ht_snprintf(text, sizeof(text), "%s%s%s", f->msg, f->fix ? " Fix: " : "",
                    f->fix ? f->fix : "");
        json_array_append_new(
            results,
            json_pack("{s:s, s:i, s:s, s:{s:s}, s:[{s:{s:{s:o}, s:{s:i, s:i}}}]}", "ruleId",
                      lint_rules[f->rule].id, "ruleIndex", (json_int_t)f->rule, "level",
                      sev_names[f->sev], "message", "text", text, "locations", "physicalLocation",
                      "artifactLocation", "uri", uri_of(f->pos.file), "region", "startLine",
                      (json_int_t)f->pos.line, "startColumn", (json_int_t)f->pos.col));
    }
    return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o}]}", "$schema",
                     "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
                     "tool", "driver", "name", "healthtop", "version", HT_VERSION, "rules", rules,
                     "results", results);
}

int lint_write(FILE *out, enum lint_format fmt, const struct compose_project *p,
               const struct lint_result *r)
{
    json_t *doc;
    int rc;

    if (fmt == LINT_TEXT)
        return write_text(out, p, r);
    doc = fmt == LINT_JSON ? json_doc(p, r) : sarif_doc(p, r);
    if (doc == NULL)
        return -1;
    rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    fputc('\n', out);
    return rc != 0 || ferror(out) ? -1 : 0;
}
