/* Starting and stopping real PostgreSQL servers for tests: see pg_server.h. */
#include "pg_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PG_BINDIR     "/usr/lib/postgresql/15/bin"
#define PG_SERVER_MAX 16

static pid_t pg_server_pids[PG_SERVER_MAX];
static char pg_template[64]; /* the cluster made by initdb, copied for each server */

/* As root, the "postgres" user's ids; else the caller's. */
static bool pg_user(uid_t *uid, gid_t *gid)
{
    const struct passwd *pw;

    if (getuid() != 0)
        return false;
    pw = getpwnam("postgres");
    if (pw == NULL)
        return false;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return true;
}

/* In a child: become the postgres user when root (PostgreSQL refuses to
 * run as root), with output to log (or /dev/null). */
static void pg_child_setup(const char *log)
{
    uid_t uid;
    gid_t gid;
    int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 0);
        close(fd);
    }
    if (pg_user(&uid, &gid) && (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
        _exit(126);
}

/* Gives path to the postgres user when root. */
static int pg_chown(const char *path)
{
    uid_t uid;
    gid_t gid;

    return pg_user(&uid, &gid) ? chown(path, uid, gid) : 0;
}

/* Runs argv (as the postgres user when as_pg) and waits; 0 on exit 0. */
static int pg_run(const char *const *argv, bool as_pg, const char *log)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (as_pg)
            pg_child_setup(log);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void pg_rmdir(const char *dir)
{
    const char *argv[] = {"/bin/rm", "-rf", dir, NULL};

    if (dir[0] != '\0')
        (void)pg_run(argv, false, NULL);
}

static void pg_server_kill_all(void)
{
    for (int i = 0; i < PG_SERVER_MAX; i++)
        if (pg_server_pids[i] > 0) {
            kill(pg_server_pids[i], SIGQUIT);
            while (waitpid(pg_server_pids[i], NULL, 0) < 0 && errno == EINTR)
                ;
            pg_server_pids[i] = 0;
        }
    pg_rmdir(pg_template);
}

static void pg_server_track(pid_t pid, pid_t gone)
{
    for (int i = 0; i < PG_SERVER_MAX; i++)
        if (pg_server_pids[i] == gone) {
            pg_server_pids[i] = pid;
            return;
        }
}

/* A directory under /tmp that the server's user owns. */
static int pg_mkdtemp(char *dir, size_t n, const char *pattern)
{
    snprintf(dir, n, "%s", pattern);
    if (mkdtemp(dir) == NULL || pg_chown(dir) != 0) {
        fprintf(stderr, "pg_server: cannot make %s: %s\n", dir, strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* A small file the server's user owns. */
static int pg_write(const char *dir, const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return pg_chown(path);
}

/* For PG_SERVER_TLS_REFUSED: a certificate and key in data (the key only
 * for its owner, as PostgreSQL demands), and pg_hba.conf's TCP lines
 * turned into "hostnossl" lines. */
static int pg_tls_refused(const char *data)
{
    char key[128], crt[128], hba[128], line[512];
    char *text = NULL;
    size_t len = 0;
    FILE *in, *out;

    snprintf(key, sizeof(key), "%s/server.key", data);
    snprintf(crt, sizeof(crt), "%s/server.crt", data);
    const char *argv[] = {"/usr/bin/openssl",
                          "req",
                          "-x509",
                          "-newkey",
                          "rsa:2048",
                          "-nodes",
                          "-keyout",
                          key,
                          "-out",
                          crt,
                          "-subj",
                          "/CN=localhost",
                          "-days",
                          "2",
                          NULL};
    if (pg_run(argv, true, NULL) != 0 || chmod(key, 0600) != 0) {
        fprintf(stderr, "pg_server: openssl could not make a certificate\n");
        return -1;
    }
    snprintf(hba, sizeof(hba), "%s/pg_hba.conf", data);
    in = fopen(hba, "r");
    out = in ? open_memstream(&text, &len) : NULL;
    if (out == NULL) {
        if (in)
            fclose(in);
        return -1;
    }
    while (fgets(line, sizeof(line), in) != NULL)
        fprintf(out, "%s%s", strncmp(line, "host ", 5) == 0 ? "hostnossl " : "",
                strncmp(line, "host ", 5) == 0 ? line + 5 : line);
    fclose(in);
    fclose(out);
    int rc = pg_write(data, "pg_hba.conf", text);
    free(text);
    return rc;
}

/* initdb once per process: the template every server copies. */
static int pg_template_make(void)
{
    char data[96], pwfile[96], log[96];

    if (pg_template[0] != '\0')
        return 0;
    atexit(pg_server_kill_all);
    if (pg_mkdtemp(pg_template, sizeof(pg_template), "/tmp/ht-pgtmpl-XXXXXX") != 0)
        return -1;
    snprintf(data, sizeof(data), "%s/data", pg_template);
    snprintf(pwfile, sizeof(pwfile), "%s/pw", pg_template);
    snprintf(log, sizeof(log), "%s/initdb.log", pg_template);
    if (pg_write(pg_template, "pw", PG_SERVER_PASSWORD "\n") != 0)
        return -1;
    char pwopt[128];
    snprintf(pwopt, sizeof(pwopt), "--pwfile=%s", pwfile);
    const char *argv[] = {PG_BINDIR "/initdb",
                          "-D",
                          data,
                          "-U",
                          "postgres",
                          pwopt,
                          "--auth-host=scram-sha-256",
                          "--auth-local=trust",
                          "-N",
                          "--locale=C",
                          "-E",
                          "UTF8",
                          NULL};
    if (pg_run(argv, true, log) != 0) {
        fprintf(stderr, "pg_server: initdb failed, see %s\n", log);
        return -1;
    }
    return 0;
}

static void pg_server_exec(const struct pg_server *s, enum pg_server_mode mode,
                           const char *const *settings)
{
    const char *argv[80];
    char data[96], port[16], log[96];
    int n = 0;

    snprintf(data, sizeof(data), "%s/data", s->dir);
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    pg_child_setup(log);
    /* After the change of user, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    argv[n++] = PG_BINDIR "/postgres";
    argv[n++] = "-D";
    argv[n++] = data;
    argv[n++] = "-p";
    argv[n++] = port;
    argv[n++] = "-c";
    argv[n++] = "listen_addresses=127.0.0.1";
    argv[n++] = "-c";
    argv[n++] = "unix_socket_directories=";
    argv[n++] = "-c";
    argv[n++] = "fsync=off";
    argv[n++] = "-c";
    argv[n++] = "shared_buffers=16MB";
    if (mode == PG_SERVER_STARTING) {
        /* Archive recovery first asks the archive for a timeline history
         * file, before it lets anyone in; this answer never comes. */
        argv[n++] = "-c";
        argv[n++] = "restore_command=sleep 100000";
    }
    if (mode == PG_SERVER_TLS_REFUSED) {
        argv[n++] = "-c";
        argv[n++] = "ssl=on";
    }
    for (int i = 0; settings != NULL && settings[i] != NULL && n < 76; i++) {
        argv[n++] = "-c";
        argv[n++] = settings[i];
    }
    argv[n] = NULL;
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

/* The state the server should reach before the tests use it. */
static bool pg_server_ready(const struct pg_server *s, enum pg_server_mode mode)
{
    char conninfo[128];
    PGPing ping;

    snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d dbname=postgres connect_timeout=5",
             s->port);
    ping = PQping(conninfo);
    return mode == PG_SERVER_STARTING ? ping == PQPING_REJECT : ping == PQPING_OK;
}

int pg_server_start(struct pg_server *s, enum pg_server_mode mode, const char *const *settings)
{
    char data[96];
    int64_t deadline;

    memset(s, 0, sizeof(*s));
    if (pg_template_make() != 0 || pg_mkdtemp(s->dir, sizeof(s->dir), "/tmp/ht-pg-XXXXXX") != 0)
        return -1;
    snprintf(data, sizeof(data), "%s/data", s->dir);
    char from[96];
    snprintf(from, sizeof(from), "%s/data", pg_template);
    const char *cp[] = {"/bin/cp", "-a", from, data, NULL};
    if (pg_run(cp, true, NULL) != 0) {
        fprintf(stderr, "pg_server: cannot copy %s to %s\n", from, data);
        return -1;
    }
    if ((mode == PG_SERVER_STANDBY && pg_write(data, "standby.signal", "") != 0) ||
        (mode == PG_SERVER_STARTING && pg_write(data, "recovery.signal", "") != 0) ||
        (mode == PG_SERVER_TLS_REFUSED && pg_tls_refused(data) != 0))
        return -1;
    s->port = test_free_port();
    if (s->port <= 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0) {
        s->pid = 0;
        return -1;
    }
    if (s->pid == 0)
        pg_server_exec(s, mode, settings);
    pg_server_track(s->pid, 0);
    deadline = test_deadline();
    while (!pg_server_ready(s, mode)) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid || !test_nap_before(deadline)) {
            fprintf(stderr,
                    "pg_server: the server on port %d did not get ready, see %s/server.log\n",
                    s->port, s->dir);
            pg_server_kill(s);
            return -1;
        }
    }
    return 0;
}

void pg_server_kill(struct pg_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGQUIT);
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    pg_server_track(0, s->pid);
    s->pid = 0;
}

void pg_server_stop(struct pg_server *s)
{
    pg_server_kill(s);
    pg_rmdir(s->dir);
    s->dir[0] = '\0';
}
