/* bench_keylat: key-to-screen latency of a full-screen program, measured
 * as its terminal: the program runs on a pseudo-terminal of our own, and
 * the time is from writing a key to reading the first bytes of the screen
 * change it causes.
 *
 *   bench_keylat [-w WARMUP_S] [-n PRESSES] [-x COLS] [-y ROWS]
 *                [-k KEY] [-m MARKER] -- program [args...]
 *
 * After WARMUP_S seconds (everything the program writes is read and
 * dropped all along, so it never blocks on its terminal), writes KEY
 * (default "?", healthtop's help) and waits for MARKER (default "Press",
 * from the help's "Press any key to close this help") in the output;
 * then writes KEY again to close it and lets 300 ms pass; PRESSES times.
 * Prints one line:
 *
 *   median_us p90_us p99_us max_us timeouts rss_kb peak_rss_kb
 *
 * with the program's resident memory at the end (/proc/PID/status). A
 * press not answered within 2 s is a timeout. Then sends "q" and, if the
 * program is still there a second later, SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRESSES 1000

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Reads and drops output until deadline (us), or until marker shows up
 * when marker is not NULL. A marker split across reads is found too.
 * Returns 1 when seen, 0 at the deadline, -1 when the program is gone. */
static int drain(int fd, long long deadline, const char *marker)
{
    char buf[65536 + 64];
    size_t keep = 0, mlen = marker ? strlen(marker) : 0;

    for (;;) {
        long long left = deadline - now_us();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (left <= 0)
            return 0;
        if (poll(&p, 1, (int)(left / 1000) + 1) < 0 && errno != EINTR)
            return -1;
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        n = read(fd, buf + keep, 65536);
        if (n <= 0)
            return n < 0 && errno == EAGAIN ? 0 : -1;
        if (marker) {
            size_t len = keep + (size_t)n;
            for (size_t i = 0; i + mlen <= len; i++)
                if (memcmp(buf + i, marker, mlen) == 0)
                    return 1;
            keep = len < mlen ? len : mlen - 1;
            memmove(buf, buf + len - keep, keep);
        }
    }
}

static void rss_kb(pid_t pid, long *rss, long *hwm)
{
    char path[64], line[256];
    FILE *f;

    *rss = *hwm = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return;
    while (fgets(line, sizeof(line), f)) {
        sscanf(line, "VmRSS: %ld", rss);
        sscanf(line, "VmHWM: %ld", hwm);
    }
    fclose(f);
}

/* The q-th percentile (0-100) of the n sorted samples: the nearest rank. */
static long long pct(const long long *v, int n, int q)
{
    int i = (n * q + 99) / 100 - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    static long long lat[MAX_PRESSES];
    struct winsize ws = {.ws_row = 40, .ws_col = 120};
    const char *key = "?", *marker = "Press";
    int warm = 5, presses = 20, timeouts = 0, got = 0, c, fd, status;
    long rss, hwm;
    pid_t pid;

    while ((c = getopt(argc, argv, "+w:n:x:y:k:m:")) != -1) {
        if (c == 'w')
            warm = atoi(optarg);
        else if (c == 'n')
            presses = atoi(optarg);
        else if (c == 'x')
            ws.ws_col = (unsigned short)atoi(optarg);
        else if (c == 'y')
            ws.ws_row = (unsigned short)atoi(optarg);
        else if (c == 'k')
            key = optarg;
        else if (c == 'm')
            marker = optarg;
        else
            return 2;
    }
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    if (optind >= argc || presses < 1 || presses > MAX_PRESSES) {
        fprintf(stderr, "usage: bench_keylat [-w S] [-n N] [-x COLS] [-y ROWS] [-k KEY] "
                        "[-m MARKER] -- program [args...]\n");
        return 2;
    }
    pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) {
        perror("forkpty");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[optind], argv + optind);
        perror(argv[optind]);
        _exit(127);
    }
    if (drain(fd, now_us() + warm * 1000000LL, NULL) < 0) {
        fprintf(stderr, "bench_keylat: %s ended during the warm-up\n", argv[optind]);
        return 1;
    }
    for (int i = 0; i < presses; i++) {
        long long t0 = now_us();
        int r;
        if (write(fd, key, strlen(key)) < 0)
            break;
        r = drain(fd, t0 + 2000000, marker);
        if (r < 0)
            break;
        if (r == 1)
            lat[got++] = now_us() - t0;
        else
            timeouts++;
        if (write(fd, key, strlen(key)) < 0)
            break;
        drain(fd, now_us() + 300000, NULL);
    }
    rss_kb(pid, &rss, &hwm);
    if (write(fd, "q", 1) < 0 || drain(fd, now_us() + 1000000, "\x1b[?1049l") != 1)
        kill(pid, SIGTERM);
    drain(fd, now_us() + 500000, NULL);
    waitpid(pid, &status, 0);
    close(fd);
    if (got == 0) {
        fprintf(stderr, "bench_keylat: no press was answered (%d timeouts)\n", timeouts);
        return 1;
    }
    qsort(lat, (size_t)got, sizeof(lat[0]), cmp_ll);
    printf("%lld %lld %lld %lld %d %ld %ld\n", pct(lat, got, 50), pct(lat, got, 90),
           pct(lat, got, 99), lat[got - 1], timeouts, rss, hwm);
    return 0;
}
