/* A blocking HTTP GET for asking fixtures what they saw: see http_get.h. */
#include "http_get.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "healthtop/util.h"

int test_http_get(int port, const char *path, char *body, size_t n)
{
    struct sockaddr_in a;
    char buf[8192], req[512];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = -1;
    size_t len = 0;
    ssize_t got;
    const char *sep;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto out;
    ht_snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        goto out;
    while (len < sizeof(buf) - 1 && (got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || sep == NULL)
        goto out;
    status = atoi(buf + 9);
    if (body && n > 0)
        ht_strlcpy(body, sep + 4, n);
out:
    if (fd >= 0)
        close(fd);
    return status;
}

long test_fixture_stat(int port, const char *name)
{
    char body[1024];
    size_t nlen = strlen(name);

    if (test_http_get(port, "/stats", body, sizeof(body)) != 200)
        return -1;
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, nlen) == 0 && p[nlen] == ' ')
            return strtol(p + nlen + 1, NULL, 10);
    return -1;
}

int test_fixture_reset(int port)
{
    return test_http_get(port, "/stats?reset=1", NULL, 0) == 200 ? 0 : -1;
}
