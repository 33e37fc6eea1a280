/* bench_runstat: runs a command and prints what it cost, children and
 * grandchildren included (everything it waited for):
 *
 *   bench_runstat [-o FILE] -- command [args...]
 *
 * prints one line "wall_us user_us sys_us maxrss_kb exit" to stderr, or
 * to FILE (-o). GNU time(1) would do, but it reports CPU in 10 ms steps,
 * and a single healthtop sweep costs less than that. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long tv_us(struct timeval tv)
{
    return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    struct rusage ru;
    long long t0;
    int i = 1, status = 0, code;
    pid_t pid;
    FILE *f;

    if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
        out = argv[i + 1];
        i += 2;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        fprintf(stderr, "usage: bench_runstat [-o FILE] -- command [args...]\n");
        return 2;
    }
    t0 = now_us();
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        fprintf(stderr, "bench_runstat: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR) {
            perror("wait4");
            return 2;
        }
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    f = out ? fopen(out, "w") : stderr;
    if (!f) {
        perror(out);
        return 2;
    }
    fprintf(f, "%lld %lld %lld %ld %d\n", now_us() - t0, tv_us(ru.ru_utime), tv_us(ru.ru_stime),
            ru.ru_maxrss, code);
    if (out)
        fclose(f);
    return code;
}
