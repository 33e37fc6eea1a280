/* The prometheus kind's answer, mapped: the JSON of GET /api/v1/query
 * (jansson) turned into a probe result, and the conditions on a sample's
 * value. Pure functions, so that the unit tests and the fuzz target call
 * them without a server.
 *
 * What the answer looks like (doc/probe-kinds.md says it in full):
 * {"status":"success","data":{"resultType":"vector","result":[{"metric":
 * {...labels...},"value":[<time>,"<value as text>"]}, ...]}}, or a scalar
 * with "result":[<time>,"<value>"]; on failure {"status":"error",
 * "errorType":"bad_data","error":"..."}, with an HTTP status of 400, 422
 * or 503. Values are text because of NaN, +Inf and -Inf. */
#include "probes/prometheus.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"

/* ---- conditions ---------------------------------------------------------- */

static const struct {
    const char *text;
    enum prom_op op;
} ops[] = {
    /* Two-character operators first, so that "<=" is not read as "<". */
    {"<=", PROM_LE}, {">=", PROM_GE}, {"==", PROM_EQ}, {"!=", PROM_NE},
    {"<", PROM_LT},  {">", PROM_GT},  {"=", PROM_EQ},
};

int prom_number_parse(const char *s, double *out)
{
    char *end;

    while (*s == ' ')
        s++;
    if (*s == '\0')
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end == '\0' && errno != ERANGE ? 0 : -1;
}

int prom_cond_parse(const char *text, struct prom_cond *c, const char **why)
{
    const char *s = text;

    memset(c, 0, sizeof(*c));
    c->op = PROM_EQ;
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < HT_ARRAY_LEN(ops); i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(s, ops[i].text, n) == 0) {
            c->op = ops[i].op;
            s += n;
            break;
        }
    }
    if (prom_number_parse(s, &c->value) != 0 || isnan(c->value)) {
        *why = "a condition is an operator (<, <=, >, >=, ==, !=) and a number: '< 0.5'";
        return -1;
    }
    return 0;
}

bool prom_cond_pass(const struct prom_cond *c, double v)
{
    if (isnan(v))
        return false;
    switch (c->op) {
    case PROM_NONZERO:
        return v != 0;
    case PROM_LT:
        return v < c->value;
    case PROM_LE:
        return v <= c->value;
    case PROM_GT:
        return v > c->value;
    case PROM_GE:
        return v >= c->value;
    case PROM_EQ:
        return v == c->value;
    case PROM_NE:
        return v != c->value;
    case PROM_RANGE:
        return (!c->has_min || v >= c->min) && (!c->has_max || v <= c->max);
    }
    return false;
}

void prom_value_format(double v, char *out, size_t n)
{
    if (isnan(v))
        ht_strlcpy(out, "NaN", n);
    else if (isinf(v))
        ht_strlcpy(out, v > 0 ? "+Inf" : "-Inf", n);
    else
        ht_snprintf(out, n, "%.6g", v);
}

void prom_cond_format(const struct prom_cond *c, char *out, size_t n)
{
    static const char *const names[] = {
        [PROM_LT] = "<",  [PROM_LE] = "<=", [PROM_GT] = ">",
        [PROM_GE] = ">=", [PROM_EQ] = "==", [PROM_NE] = "!=",
    };
    char a[32], b[32];

    prom_value_format(c->value, a, sizeof(a));
    prom_value_format(c->min, b, sizeof(b));
    if (c->op == PROM_NONZERO)
        ht_strlcpy(out, "non-zero", n);
    else if (c->op != PROM_RANGE)
        ht_snprintf(out, n, "%s %s", names[c->op], a);
    else if (c->has_min && c->has_max) {
        prom_value_format(c->max, a, sizeof(a));
        ht_snprintf(out, n, "from %s to %s", b, a);
    } else if (c->has_min)
        ht_snprintf(out, n, ">= %s", b);
    else {
        prom_value_format(c->max, a, sizeof(a));
        ht_snprintf(out, n, "<= %s", a);
    }
}

/* ---- the answer ---------------------------------------------------------- */

/* Appends printf-style to out (capacity n, length *len); what does not
 * fit is dropped, and *len stops at the end. */
HT_PRINTF(4, 5) static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int k = 0;

    va_start(ap, fmt);
    if (*len + 1 < n)
        k = vsnprintf(out + *len, n - *len, fmt, ap);
    va_end(ap);
    if (*len + 1 >= n)
        return;
    if (k < 0)
        out[*len] = '\0';
    else
        *len = (size_t)k < n - *len ? *len + (size_t)k : n - 1;
}

/* One series: its name and value as shown (made safe), and whether it is up. */
struct series {
    char name[96];
    char value[32];
    bool up;
};

/* Reads series i of result (a vector item, or the scalar's pair) and
 * judges its value by cond. Only what is shown is formatted: the name and
 * value of a series that is down, and the value of the first (shown when
 * it is the only one). With 10,000 series, most of them up, that keeps
 * the mapping to jansson's parse and little more. */
static void series_read(json_t *item, bool scalar, size_t i, const char *by,
                        const struct prom_cond *cond, struct series *s)
{
    json_t *pair = scalar ? item : json_object_get(item, "value");
    const char *text = json_string_value(json_array_get(pair, 1));
    const char *name;
    double v = 0;
    bool valid = text != NULL && prom_number_parse(text, &v) == 0;

    s->up = valid && prom_cond_pass(cond, v);
    s->name[0] = '\0';
    s->value[0] = '\0';
    if (s->up && i > 0)
        return;
    if (valid)
        prom_value_format(v, s->value, sizeof(s->value));
    else
        ht_strlcpy(s->value, "bad value", sizeof(s->value));
    if (s->up)
        return;
    name =
        scalar ? "scalar" : json_string_value(json_object_get(json_object_get(item, "metric"), by));
    if (name != NULL)
        text_safe_str(s->name, sizeof(s->name), name);
    else
        ht_snprintf(s->name, sizeof(s->name), "#%zu (no %s)", i + 1, by);
}

static const char *error_kind(const char *type)
{
    static const struct {
        const char *type, *says;
    } kinds[] = {
        {"bad_data", "bad query"},
        {"timeout", "query timed out in Prometheus"},
        {"canceled", "query cancelled in Prometheus"},
        {"execution", "query failed"},
        {"unavailable", "Prometheus unavailable"},
        {"internal", "Prometheus internal error"},
        {"not_found", "not found"},
        {"not_acceptable", "not acceptable"},
    };

    for (size_t i = 0; i < HT_ARRAY_LEN(kinds); i++)
        if (type != NULL && strcmp(type, kinds[i].type) == 0)
            return kinds[i].says;
    return NULL;
}

/* {"status":"error", ...}: the message says which error, in words. */
static void map_error(json_t *root, long http_status, struct probe_result *r)
{
    const char *type = json_string_value(json_object_get(root, "errorType"));
    const char *err = json_string_value(json_object_get(root, "error"));
    const char *says = error_kind(type);
    char t[48], e[PROBE_MSG_MAX];

    text_safe_str(t, sizeof(t), type ? type : "no errorType");
    text_safe_str(e, sizeof(e), err ? err : "no error text");
    if (says != NULL)
        ht_snprintf(r->message, sizeof(r->message), "%s: %s", says, e);
    else
        ht_snprintf(r->message, sizeof(r->message), "Prometheus error (%s): %s", t, e);
    ht_snprintf(r->detail, sizeof(r->detail), "HTTP %ld, errorType %s\n%s", http_status, t, e);
}

/* The message: "28/30 up; down: a, b (+3 more)", every name already safe;
 * "28/30 up, 2 missing" when fewer series came than expected, with the
 * names of those missing when instances: lists them. */
static void result_message(const struct series *down, size_t ndown, size_t more, int up, int found,
                           int expected, const char *missing, const char *only_value,
                           struct probe_result *r)
{
    size_t len = 0, cap = sizeof(r->message);

    r->message[0] = '\0';
    add(r->message, cap, &len, "%d/%d up", up, expected > found ? expected : found);
    if (expected > found)
        add(r->message, cap, &len, ", %d missing%s%s", expected - found, missing[0] ? ": " : "",
            missing);
    if (only_value != NULL)
        add(r->message, cap, &len, ", value %s", only_value);
    for (size_t i = 0; i < ndown; i++) {
        size_t need = strlen(down[i].name) + 2 + 16; /* room for " (+N more)" */
        if (len + need >= cap) {
            more += ndown - i;
            break;
        }
        add(r->message, cap, &len, "%s%s", i == 0 ? "; down: " : ", ", down[i].name);
    }
    if (more > 0)
        add(r->message, cap, &len, " (+%zu more)", more);
}

/* Down series named in the message: the first few; the detail lists more. */
#define DOWN_NAMED 16

/* The names of c->instances that no series of result carries in its
 * replicas_by label, made safe and joined into out ("a, b"); returns how
 * many. */
static int instances_missing(json_t *result, bool scalar, size_t n,
                             const struct prometheus_config *c, char *out, size_t cap)
{
    bool *seen = xcalloc(c->ninstances ? c->ninstances : 1, sizeof(*seen));
    size_t len = 0;
    int missing = 0;
    char name[96];

    out[0] = '\0';
    for (size_t i = 0; !scalar && i < n; i++) {
        const char *v = json_string_value(
            json_object_get(json_object_get(json_array_get(result, i), "metric"), c->replicas_by));
        for (size_t k = 0; v != NULL && k < c->ninstances; k++)
            if (!seen[k] && strcmp(v, c->instances[k]) == 0) {
                seen[k] = true;
                break;
            }
    }
    for (size_t k = 0; k < c->ninstances; k++) {
        if (seen[k])
            continue;
        text_safe_str(name, sizeof(name), c->instances[k]);
        add(out, cap, &len, "%s%s", missing++ ? ", " : "", name);
    }
    free(seen);
    return missing;
}

static void map_result(json_t *data, const struct prometheus_config *c, int replicas,
                       struct probe_result *r)
{
    const char *type = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result");
    bool scalar = type != NULL && strcmp(type, "scalar") == 0;
    size_t n, ndown = 0, more = 0, dlen = 0;
    struct series down[DOWN_NAMED], s, last;
    char cond[64], t[32], missing[PROBE_MSG_MAX];
    int up = 0, nmissing;

    if (type == NULL || !json_is_array(result)) {
        ht_strlcpy(r->message, "not a Prometheus query answer (no resultType or result)",
                   sizeof(r->message));
        return;
    }
    if (!scalar && strcmp(type, "vector") != 0) {
        text_safe_str(t, sizeof(t), type);
        ht_snprintf(r->message, sizeof(r->message),
                    "result is a %s; the query must give an instant vector or a scalar", t);
        return;
    }
    n = scalar ? 1 : json_array_size(result);
    prom_cond_format(&c->cond, cond, sizeof(cond));
    add(r->detail, sizeof(r->detail), &dlen, "up when %s", cond);
    for (size_t i = 0; i < n; i++) {
        json_t *item = scalar ? result : json_array_get(result, i);
        series_read(item, scalar, i, c->replicas_by, &c->cond, &s);
        last = s;
        if (s.up) {
            up++;
            continue;
        }
        if (ndown < DOWN_NAMED)
            down[ndown++] = s;
        else
            more++;
        add(r->detail, sizeof(r->detail), &dlen, "%s%s = %s", ndown + more == 1 ? "\ndown: " : ", ",
            s.name, s.value);
    }
    r->up = up;
    r->found = (int)n;
    nmissing = instances_missing(result, scalar, n, c, missing, sizeof(missing));
    if (nmissing > 0 && (int)n + nmissing > replicas)
        replicas = (int)n + nmissing;
    if (nmissing > 0)
        add(r->detail, sizeof(r->detail), &dlen, "\nmissing (instances:): %s", missing);
    else if (replicas > (int)n && n > 0)
        add(r->detail, sizeof(r->detail), &dlen,
            "\nmissing: %d of the %d replicas expected (replicas:) gave no series",
            replicas - (int)n, replicas);
    if (n == 0 && nmissing == 0) {
        r->ok = c->empty_scaled;
        ht_strlcpy(r->message,
                   c->empty_scaled ? "no series (scaled to 0)" : "no series: the result is empty",
                   sizeof(r->message));
        return;
    }
    r->ok = (size_t)up == n && up >= replicas && nmissing == 0;
    result_message(down, ndown, more, up, (int)n, replicas, missing, n == 1 ? last.value : NULL, r);
}

json_t *prom_answer(const char *body, size_t len, long http_status, struct probe_result *r,
                    json_t **data)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    const char *status = json_string_value(json_object_get(root, "status"));

    *data = NULL;
    r->ok = false;
    r->up = 0;
    r->found = 0;
    r->message[0] = '\0';
    r->detail[0] = '\0';
    if (status == NULL) {
        if (http_status != 200)
            ht_snprintf(r->message, sizeof(r->message), "HTTP %ld, not a Prometheus API answer",
                        http_status);
        else
            ht_strlcpy(r->message,
                       root ? "not a Prometheus API answer (no status)"
                            : "bad JSON: not a Prometheus API answer",
                       sizeof(r->message));
    } else if (strcmp(status, "success") == 0) {
        *data = json_object_get(root, "data");
        if (*data == NULL)
            ht_strlcpy(r->message, "not a Prometheus query answer (no resultType or result)",
                       sizeof(r->message));
    } else {
        map_error(root, http_status, r);
    }
    return root;
}

void prom_map(const char *body, size_t len, long http_status, const struct prometheus_config *c,
              int replicas, struct probe_result *r)
{
    json_t *data, *root = prom_answer(body, len, http_status, r, &data);

    if (data != NULL)
        map_result(data, c, replicas, r);
    json_decref(root);
}
