/* Where the Docker engine is (docker_host.h). */
#include "docker_host.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "config_probe.h"
#include "healthtop/util.h"

#define JSON_FILE_MAX (1u << 20) /* a config.json or meta.json bigger is refused */

int docker_host_parse(const char *value, char **out)
{
    *out = NULL;
    if (strncmp(value, "unix://", 7) == 0 && value[7] == '/') {
        *out = xstrdup(value + 7);
        return 0;
    }
    if (strncmp(value, "tcp://", 6) == 0 && value[6] != '\0' && value[6] != '/') {
        size_t end = 6 + strcspn(value + 6, "/?#");
        *out = xstrndup(value, end);
        return 0;
    }
    return -1;
}

/* A JSON file no bigger than JSON_FILE_MAX, or NULL. */
static json_t *json_file(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)JSON_FILE_MAX)
        return NULL;
    return json_load_file(path, 0, NULL);
}

/* $DOCKER_CONFIG, else ~/.docker, into dir; false when neither is known. */
static bool config_dir(char *dir, size_t n)
{
    const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

    if (dc && dc[0])
        ht_snprintf(dir, n, "%s", dc);
    else if (home && home[0])
        ht_snprintf(dir, n, "%s/.docker", home);
    else
        return false;
    return true;
}

/* The Host of context name's docker endpoint, allocated, or NULL. The
 * docker CLI keeps a context in contexts/meta/<sha256 of its name>/; its
 * meta.json says the name too, which is what is matched here. */
static char *context_host(const char *dir, const char *name)
{
    char path[4096];
    char *host = NULL;
    DIR *d;
    struct dirent *e;

    ht_snprintf(path, sizeof(path), "%s/contexts/meta", dir);
    d = opendir(path);
    if (d == NULL)
        return NULL;
    while (host == NULL && (e = readdir(d)) != NULL) {
        json_t *meta;
        const char *h;
        if (e->d_name[0] == '.')
            continue;
        ht_snprintf(path, sizeof(path), "%s/contexts/meta/%s/meta.json", dir, e->d_name);
        meta = json_file(path);
        h = json_string_value(
            json_object_get(json_object_get(json_object_get(meta, "Endpoints"), "docker"), "Host"));
        const char *nm = json_string_value(json_object_get(meta, "Name"));
        if (h && nm && strcmp(nm, name) == 0)
            host = xstrdup(h);
        json_decref(meta);
    }
    closedir(d);
    return host;
}

/* The current context's name: DOCKER_CONTEXT, else config.json's
 * currentContext; NULL for none or "default". Allocated. */
static char *context_name(const char *dir)
{
    const char *env = getenv("DOCKER_CONTEXT");
    char path[4096];
    char *name = NULL;

    if (env && env[0]) {
        name = xstrdup(env);
    } else {
        ht_snprintf(path, sizeof(path), "%s/config.json", dir);
        json_t *cfg = json_file(path);
        const char *cur = json_string_value(json_object_get(cfg, "currentContext"));
        if (cur && cur[0])
            name = xstrdup(cur);
        json_decref(cfg);
    }
    if (name && strcmp(name, "default") == 0) {
        free(name);
        name = NULL;
    }
    return name;
}

static bool is_socket(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static char *usual_socket(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char path[4096];

    if (is_socket(DOCKER_HOST_DEFAULT))
        return xstrdup(DOCKER_HOST_DEFAULT);
    if (xdg && xdg[0]) {
        ht_snprintf(path, sizeof(path), "%s/podman/podman.sock", xdg);
        if (is_socket(path))
            return xstrdup(path);
    }
    if (is_socket("/run/podman/podman.sock"))
        return xstrdup("/run/podman/podman.sock");
    return xstrdup(DOCKER_HOST_DEFAULT);
}

int docker_host_resolve(char **out, char *err, size_t n)
{
    const char *dh = getenv("DOCKER_HOST");
    char dir[4096], *name, *host;

    *out = NULL;
    if (dh && dh[0]) {
        if (docker_host_parse(dh, out) == 0)
            return 0;
        char *shown = config_redact_url(dh);
        ht_snprintf(err, n,
                    "DOCKER_HOST=%s is not supported: only unix:// and tcp:// are (unset it "
                    "to use %s)",
                    shown, DOCKER_HOST_DEFAULT);
        free(shown);
        return -1;
    }
    if (!config_dir(dir, sizeof(dir)) || (name = context_name(dir)) == NULL) {
        *out = usual_socket();
        return 0;
    }
    host = context_host(dir, name);
    if (host == NULL) {
        ht_snprintf(err, n, "docker context %s: no docker endpoint found under %s/contexts/meta",
                    name, dir);
    } else if (docker_host_parse(host, out) != 0) {
        char *shown = config_redact_url(host);
        ht_snprintf(err, n, "docker context %s: endpoint %s is not supported (unix:// or tcp://)",
                    name, shown);
        free(shown);
    }
    free(host);
    free(name);
    return *out ? 0 : -1;
}

void docker_host_setup(CURL *easy, const char *addr, const char *path)
{
    char url[2048];

    if (strncmp(addr, "tcp://", 6) != 0) {
        ht_snprintf(url, sizeof(url), "http://localhost%s", path);
        curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, addr);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        return;
    }
    const char *verify = getenv("DOCKER_TLS_VERIFY");
    bool tls = verify && verify[0];
    ht_snprintf(url, sizeof(url), "%s://%s%s", tls ? "https" : "http", addr + 6, path);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    if (tls) {
        const char *cp = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
        char dir[4096], file[4200];
        if (cp && cp[0])
            ht_snprintf(dir, sizeof(dir), "%s", cp);
        else
            ht_snprintf(dir, sizeof(dir), "%s/.docker", home ? home : "");
        ht_snprintf(file, sizeof(file), "%s/ca.pem", dir);
        curl_easy_setopt(easy, CURLOPT_CAINFO, file);
        ht_snprintf(file, sizeof(file), "%s/cert.pem", dir);
        curl_easy_setopt(easy, CURLOPT_SSLCERT, file);
        ht_snprintf(file, sizeof(file), "%s/key.pem", dir);
        curl_easy_setopt(easy, CURLOPT_SSLKEY, file);
    }
}
