/* Starting and stopping a real redis-server for tests: see redis_server.h. */
#include "redis_server.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REDIS_SERVER_BIN "/usr/bin/redis-server"
#define REDIS_SERVER_MAX 16

static pid_t redis_server_pids[REDIS_SERVER_MAX];

static void redis_server_kill_all(void)
{
    for (int i = 0; i < REDIS_SERVER_MAX; i++)
        if (redis_server_pids[i] > 0) {
            kill(redis_server_pids[i], SIGKILL);
            waitpid(redis_server_pids[i], NULL, 0);
            redis_server_pids[i] = 0;
        }
}

static void redis_server_track(pid_t pid, pid_t gone)
{
    static bool registered;

    if (!registered) {
        atexit(redis_server_kill_all);
        registered = true;
    }
    for (int i = 0; i < REDIS_SERVER_MAX; i++)
        if (redis_server_pids[i] == gone) {
            redis_server_pids[i] = pid;
            return;
        }
}

/* Ready when it answers anything at all (NOAUTH counts), on 127.0.0.1
 * or, when --bind ::1 was given, on ::1. */
static bool redis_server_answers_on(const char *host, int port)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    bool ok = false;

    if (c != NULL && c->err == 0) {
        redisReply *r = redisCommand(c, "PING");
        ok = r != NULL;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

static bool redis_server_answers(const struct redis_server *s)
{
    return redis_server_answers_on("127.0.0.1", s->port) || redis_server_answers_on("::1", s->port);
}

static void redis_server_exec(const struct redis_server *s, const char *const *extra)
{
    const char *argv[64];
    char port[16], log[128];
    int n = 0, fd;

    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(log, sizeof(log), "%s/redis.log", s->dir);
    argv[n++] = REDIS_SERVER_BIN;
    argv[n++] = "--port";
    argv[n++] = port;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--save";
    argv[n++] = "";
    argv[n++] = "--appendonly";
    argv[n++] = "no";
    argv[n++] = "--daemonize";
    argv[n++] = "no";
    argv[n++] = "--dir";
    argv[n++] = s->dir;
    argv[n++] = "--logfile";
    argv[n++] = log;
    if (s->password[0] != '\0') {
        argv[n++] = "--requirepass";
        argv[n++] = s->password;
    }
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int redis_server_start(struct redis_server *s, int port, const char *password,
                       const char *const *extra)
{
    struct timespec nap = {0, 20 * 1000 * 1000};

    s->port = port > 0 ? port : test_free_port();
    if (s->port <= 0)
        return -1;
    if (s->dir[0] == '\0') {
        strcpy(s->dir, "/tmp/ht-redis-XXXXXX");
        if (mkdtemp(s->dir) == NULL) {
            s->dir[0] = '\0';
            return -1;
        }
    }
    snprintf(s->password, sizeof(s->password), "%s", password ? password : "");
    s->pid = fork();
    if (s->pid < 0) {
        s->pid = 0;
        return -1;
    }
    if (s->pid == 0)
        redis_server_exec(s, extra);
    redis_server_track(s->pid, 0);
    for (int i = 0; i < 500; i++) {
        if (redis_server_answers(s))
            return 0;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            redis_server_track(0, s->pid);
            s->pid = 0;
            return -1;
        }
        nanosleep(&nap, NULL);
    }
    redis_server_kill(s);
    return -1;
}

void redis_server_kill(struct redis_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    redis_server_track(0, s->pid);
    s->pid = 0;
}

void redis_server_stop(struct redis_server *s)
{
    char path[128];

    redis_server_kill(s);
    if (s->dir[0] != '\0') {
        snprintf(path, sizeof(path), "%s/redis.log", s->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/dump.rdb", s->dir);
        unlink(path);
        rmdir(s->dir);
        s->dir[0] = '\0';
    }
}
