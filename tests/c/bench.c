/* bench.c — figures for the C API (make c-bench; uses the release library):
 *   1. ns per h2o_client_poll(timeout 0) with nothing waiting;
 *   2. the same with 100 poll-mode requests in flight and idle (/delay/60000);
 *   3. callback-mode throughput on 1 connection x 100 streams: on_complete resubmits, so
 *      100 requests stay in flight; compare with `cargo run --release -p h2o-ffi
 *      --example bench_rust` (the same loop on the Rust EventSink API).
 * Usage: bench BASE_URL [TOTAL=20000] [PATH=/bytes/16384] */
#define _GNU_SOURCE
#include <h2o.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user + system CPU seconds of the whole process (all threads, the runtime's included) */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double poll_ns(h2o_client_t *c, int iters) {
    h2o_event_t ev[16];
    size_t n;
    double t0 = now_s();
    for (int i = 0; i < iters; i++) h2o_client_poll(c, ev, 16, 0, &n);
    return (now_s() - t0) / iters * 1e9;
}

static h2o_client_t *g_client;
static char g_url[512];
static atomic_long g_started, g_done, g_bytes;
static long g_total;

static int on_data(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    (void)data;
    atomic_fetch_add_explicit(&g_bytes, (long)len, memory_order_relaxed);
    return H2O_DATA_CONTINUE;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err);
static const h2o_callbacks_t CBS = {NULL, NULL, on_data, NULL, on_complete};

static void start_one(void) {
    h2o_request_t *req = NULL;
    h2o_request_new("GET", g_url, &req);
    h2o_request_set_callbacks(req, &CBS, NULL);
    h2o_client_submit(g_client, req, NULL);
    h2o_request_free(req);
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    (void)ud;
    if (result != H2O_RESULT_OK) fprintf(stderr, "failed: %s\n", err ? err->message : "?");
    atomic_fetch_add(&g_done, 1);
    if (atomic_fetch_add(&g_started, 1) < g_total) start_one();
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [TOTAL] [PATH]\n", argv[0]);
        return 2;
    }
    g_total = argc > 2 ? atol(argv[2]) : 20000;
    const char *path = argc > 3 ? argv[3] : "/bytes/16384";
    h2o_client_t *c = NULL;
    h2o_client_new(NULL, &c);
    poll_ns(c, 100000); /* warm up */
    printf("poll(timeout 0), queue empty, no requests:      %6.1f ns/call\n", poll_ns(c, 2000000));
    char url[512];
    snprintf(url, sizeof url, "%s/delay/60000", argv[1]);
    for (int i = 0; i < 100; i++) {
        h2o_request_t *req = NULL;
        h2o_request_new("GET", url, &req);
        h2o_client_submit(c, req, NULL);
        h2o_request_free(req);
    }
    usleep(300000);
    printf("poll(timeout 0), queue empty, 100 idle in flight: %6.1f ns/call\n", poll_ns(c, 2000000));
    h2o_client_free(c);

    /* draining queued events: 8 MB of DATA already waiting (windows big enough) */
    h2o_config_t *cfg = NULL;
    h2o_config_new(&cfg);
    h2o_config_set_initial_window_size(cfg, 16 << 20);
    h2o_config_set_connection_window_size(cfg, 16 << 20);
    h2o_config_set_adaptive_window(cfg, false);
    h2o_client_new(cfg, &c);
    h2o_config_free(cfg);
    snprintf(url, sizeof url, "%s/bytes/8000000", argv[1]);
    h2o_request_t *req = NULL;
    h2o_request_new("GET", url, &req);
    h2o_client_submit(c, req, NULL);
    h2o_request_free(req);
    usleep(1000000);
    h2o_event_t evs[64];
    size_t n = 0, events = 0, bytes = 0;
    double t0 = now_s();
    do {
        h2o_client_poll(c, evs, 64, 0, &n);
        for (size_t i = 0; i < n; i++) {
            bytes += evs[i].data_len;
            h2o_event_release(&evs[i]);
        }
        events += n;
    } while (n > 0);
    double dt = now_s() - t0;
    printf("poll+release of queued events: %zu events (%zu bytes) in %.1f us = %.0f ns/event\n", events,
           bytes, dt * 1e6, dt / (double)(events ? events : 1) * 1e9);
    h2o_client_free(c);

    snprintf(g_url, sizeof g_url, "%s%s", argv[1], path);
    h2o_client_new(NULL, &g_client);
    /* warm the connection */
    atomic_store(&g_started, 1);
    long total = g_total;
    g_total = 1;
    start_one();
    while (atomic_load(&g_done) < 1) usleep(100);
    g_total = total;
    atomic_store(&g_done, 0);
    atomic_store(&g_bytes, 0);
    atomic_store(&g_started, 100);
    t0 = now_s();
    double c0 = cpu_s();
    for (int i = 0; i < 100; i++) start_one();
    while (atomic_load(&g_done) < g_total) usleep(200);
    dt = now_s() - t0;
    double cpu = cpu_s() - c0;
    h2o_client_free(g_client);
    printf("C callbacks,     1 conn x 100 streams, %ld x GET %s: %.0f req/s, %.1f MB/s, %.1f us CPU/req\n",
           g_total, path, g_total / dt, atomic_load(&g_bytes) / dt / 1e6, cpu / g_total * 1e6);
    return 0;
}
