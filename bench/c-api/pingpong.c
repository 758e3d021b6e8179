/* pingpong.c — the floor for bench/run.sh part `latency`: what a request/response of the
 * same sizes costs on this loopback without HTTP/2.
 *
 *   pingpong [-n N] [-q REQ_BYTES] [-r RESP_BYTES]
 *       forks a server process (127.0.0.1, ephemeral port, TCP_NODELAY) that reads REQ_BYTES
 *       and answers RESP_BYTES, N times, one after another on one connection; the client
 *       times each round trip. Prints `h2o bench`'s JSON line (bytes = response bytes).
 *   pingpong proxy TARGET_PORT
 *       relays ONE connection from an ephemeral 127.0.0.1 port (printed first: "listening
 *       PORT") to 127.0.0.1:TARGET_PORT and, when both directions are closed, prints
 *       {"up":BYTES_CLIENT_TO_SERVER,"down":BYTES_SERVER_TO_CLIENT}: the real sizes an HTTP/2
 *       client and server exchange, to give the ping-pong the same bytes.
 *   pingpong h2serve
 *       a minimal HTTP/2 (h2c prior knowledge) responder on an ephemeral 127.0.0.1 port
 *       (printed first: "listening PORT"), one forked process per connection: it answers
 *       every request HEADERS with `:status 200`, `content-length: 13` and a 13-byte DATA
 *       frame, ACKs SETTINGS and PING, and ignores everything else. It does no more per
 *       request than the ping-pong's echo process (one read, a frame walk, one write), so
 *       a client's time per request against it minus the ping-pong's is the CLIENT's own
 *       HTTP/2 overhead, which the overhead against nghttpd mixes with nghttpd's work.
 *       Not a server for anything else (no HPACK decoding, no flow control, no limits).
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 4)) {
        perror("pingpong: bind/listen");
        exit(1);
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return s;
}

static int dial(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) {
        perror("pingpong: connect");
        exit(1);
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

/* Reads exactly len bytes; 0 on success, -1 on EOF/error. */
static int read_full(int fd, char *buf, size_t len) {
    while (len) {
        ssize_t k = read(fd, buf, len);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            return -1;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

static int write_full(int fd, const char *buf, size_t len) {
    while (len) {
        ssize_t k = write(fd, buf, len);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            return -1;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

static int proxy(int target) {
    int port, l = listener(&port), one = 1;
    printf("listening %d\n", port);
    fflush(stdout);
    int c = accept(l, NULL, NULL);
    close(l);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int u = dial(target);
    unsigned long long up = 0, down = 0;
    int c_open = 1, u_open = 1;
    char buf[65536];
    while (c_open || u_open) {
        struct pollfd p[2] = {{c, c_open ? POLLIN : 0, 0}, {u, u_open ? POLLIN : 0, 0}};
        if (poll(p, 2, 30000) <= 0) break;
        if (c_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(c, buf, sizeof buf);
            if (k <= 0) c_open = 0, shutdown(u, SHUT_WR);
            else up += (unsigned long long)k, write_full(u, buf, (size_t)k);
        }
        if (u_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(u, buf, sizeof buf);
            if (k <= 0) u_open = 0, shutdown(c, SHUT_WR);
            else down += (unsigned long long)k, write_full(c, buf, (size_t)k);
        }
    }
    printf("{\"up\":%llu,\"down\":%llu}\n", up, down);
    return 0;
}

/* Serves one HTTP/2 connection (see h2serve in the header comment). */
static void h2conn(int c) {
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    /* :status 200 (static index 8); content-length (static 28, literal without indexing): "13" */
    static const unsigned char block[] = {0x88, 0x0f, 0x0d, 0x02, '1', '3'};
    static const char body[] = "Hello, world!";
    static char in[1 << 16], out[1 << 16];
    size_t have = 0, olen = 0;
    int preface_seen = 0;
    const unsigned char settings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    if (write_full(c, (const char *)settings, sizeof settings)) return;
    for (;;) {
        ssize_t k = read(c, in + have, sizeof in - have);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;
        have += (size_t)k;
        size_t pos = 0;
        if (!preface_seen) {
            if (have < 24) continue;
            if (memcmp(in, preface, 24)) return;
            preface_seen = 1;
            pos = 24;
        }
        while (have - pos >= 9) {
            const unsigned char *f = (const unsigned char *)in + pos;
            size_t len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
            unsigned type = f[3], flags = f[4];
            uint32_t sid = (uint32_t)(f[5] & 0x7f) << 24 | (uint32_t)f[6] << 16 | (uint32_t)f[7] << 8 | f[8];
            if (len > sizeof in - 9) return; /* larger than we buffer: not our workload */
            if (have - pos < 9 + len) break;
            unsigned char *o = (unsigned char *)out + olen;
            if (olen + 9 + sizeof block + 9 + 13 > sizeof out) return;
            if (type == 4 && !(flags & 1)) { /* SETTINGS -> ACK */
                memcpy(o, (const unsigned char[]){0, 0, 0, 4, 1, 0, 0, 0, 0}, 9);
                olen += 9;
            } else if (type == 6 && !(flags & 1) && len == 8) { /* PING -> ACK */
                memcpy(o, (const unsigned char[]){0, 0, 8, 6, 1, 0, 0, 0, 0}, 9);
                memcpy(o + 9, f + 9, 8);
                olen += 17;
            } else if (type == 1 && (flags & 4)) { /* request HEADERS -> response */
                unsigned char h[9] = {0, 0, sizeof block, 1, 4, (unsigned char)(sid >> 24),
                                      (unsigned char)(sid >> 16), (unsigned char)(sid >> 8), (unsigned char)sid};
                memcpy(o, h, 9);
                memcpy(o + 9, block, sizeof block);
                o += 9 + sizeof block;
                h[2] = 13, h[3] = 0, h[4] = 1; /* DATA, END_STREAM */
                memcpy(o, h, 9);
                memcpy(o + 9, body, 13);
                olen += 9 + sizeof block + 9 + 13;
            } else if (type == 7) { /* GOAWAY */
                return;
            }
            pos += 9 + len;
        }
        memmove(in, in + pos, have - pos);
        have -= pos;
        if (olen && write_full(c, out, olen)) return;
        olen = 0;
    }
}

static int h2serve(void) {
    int port, l = listener(&port), one = 1;
    printf("listening %d\n", port);
    fflush(stdout);
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("pingpong h2serve: accept");
            return 1;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pid_t pid = fork();
        if (pid == 0) {
            close(l);
            h2conn(c);
            _exit(0);
        }
        close(c);
    }
}

static long g_q = 40, g_r = 60;
static int extra_n(const char *f, const char *v) {
    if (!strcmp(f, "-q")) return g_q = bench_num("pingpong", f, v), 1;
    if (!strcmp(f, "-r")) return g_r = bench_num("pingpong", f, v), 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "proxy")) return proxy(atoi(argv[2]));
    if (argc == 2 && !strcmp(argv[1], "h2serve")) return h2serve();
    /* The URL slot of the common parser is not used: give it a placeholder. */
    char **args = calloc((size_t)argc + 2, sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = "unused-url";
    bench_opts o;
    bench_parse(argc + 1, args, &o, extra_n, "[-q REQ] [-r RESP] ");
    int port, l = listener(&port);
    char *req = calloc(1, (size_t)g_q), *resp = calloc(1, (size_t)g_r);
    pid_t pid = fork();
    if (pid == 0) {
        int one = 1, c = accept(l, NULL, NULL);
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        while (read_full(c, req, (size_t)g_q) == 0)
            if (write_full(c, resp, (size_t)g_r)) break;
        _exit(0);
    }
    close(l);
    int s = dial(port);
    uint32_t *lat = malloc((size_t)o.n * sizeof *lat);
    long errors = 0;
    double t0 = bench_now(), c0 = bench_cpu();
    for (long i = 0; i < o.n; i++) {
        double a = bench_now();
        if (write_full(s, req, (size_t)g_q) || read_full(s, resp, (size_t)g_r)) {
            errors = o.n - i;
            break;
        }
        lat[i] = (uint32_t)((bench_now() - a) * 1e6);
    }
    double secs = bench_now() - t0, cpu = bench_cpu() - c0;
    close(s);
    waitpid(pid, NULL, 0);
    bench_report(o.n, secs, (uint64_t)(o.n - errors) * (uint64_t)g_r, errors, lat, (size_t)(o.n - errors), cpu,
                 errors ? "connection closed" : NULL);
    return errors ? 1 : 0;
}
