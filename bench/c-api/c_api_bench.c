/* c_api_bench.c — the C API of h2o (libh2o-client) under `h2o bench`'s workload
 * (bench/run.sh part `c`), in either delivery mode:
 *
 *   c-api-bench callback|poll [-n N] [-m M] [-c 1] [-d DATA|@FILE] [--cacert FILE] [--each] URL
 *
 * One client (one connection to the origin), M requests in flight, N in total.
 *   callback: each request has on_data/on_complete callbacks (library thread);
 *             on_complete submits the next request, as `h2o bench` does from its sink.
 *   poll:     requests without callbacks; the main thread waits in
 *             h2o_client_poll(timeout -1), releases every event and submits the next
 *             request for each COMPLETE event (the game-loop / robot-loop shape).
 * Requests are copies of one template (h2o_client_submit_copy), as `h2o bench` clones
 * one prepared request; --each builds every request instead (h2o_request_new, set,
 * h2o_client_submit, h2o_request_free).
 *
 *   c-api-bench pollcost BASE_URL     (BASE_URL: h2o-testserver, which has /delay/MS)
 *       ns per h2o_client_poll(timeout 0) with nothing waiting, on an idle client and with
 *       100 poll-mode requests in flight and idle (GET /delay/60000); one JSON line
 *       {"empty_ns":..,"idle100_ns":..} (issue 6: under 200 ns, independent of in-flight).
 *
 * --cacert FILE: trusted CA for https:// URLs (h2o_config_set_tls_ca_file).
 *
 * Prints `h2o bench`'s human lines and its JSON line (common.h).
 */
#include "common.h"

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    double start;
} slot_t;

static bench_opts g_o;
static int g_each;
static h2o_request_t *g_template;
static h2o_client_t *g_client;
static atomic_long g_started, g_done, g_errors, g_nlat;
static atomic_ullong g_bytes;
static uint32_t *g_lat;
static char g_first_error[256];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;

static int on_data(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    (void)data;
    atomic_fetch_add_explicit(&g_bytes, len, memory_order_relaxed);
    return H2O_DATA_CONTINUE;
}

static int each_flag(const char *flag, const char *value) {
    (void)value;
    if (strcmp(flag, "--each")) return 0;
    g_each = 1;
    return 2;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err);
static const h2o_callbacks_t CBS = {NULL, NULL, on_data, NULL, on_complete};

/* Builds the request every submission sends (or copies); NULL on failure. */
static h2o_request_t *build(slot_t *slot, int callbacks) {
    h2o_request_t *req = NULL;
    h2o_result r = h2o_request_new(g_o.data ? "POST" : "GET", g_o.url, &req);
    if (r == H2O_RESULT_OK && g_o.data) r = h2o_request_set_body(req, g_o.data, g_o.data_len);
    if (r == H2O_RESULT_OK && callbacks) r = h2o_request_set_callbacks(req, &CBS, slot);
    if (r == H2O_RESULT_OK && !callbacks) r = h2o_request_set_userdata(req, slot);
    if (r == H2O_RESULT_OK) return req;
    fprintf(stderr, "c-api-bench: request: %s: %s\n", h2o_strerror(r), h2o_last_error_message());
    h2o_request_free(req);
    return NULL;
}

/* Submits one request for `slot`; returns 0 on success. */
static int submit(slot_t *slot, int callbacks) {
    h2o_result r;
    if (g_each) {
        h2o_request_t *req = build(slot, callbacks);
        if (!req) return -1;
        slot->start = bench_now();
        r = h2o_client_submit(g_client, req, NULL);
        h2o_request_free(req);
    } else {
        slot->start = bench_now();
        r = h2o_client_submit_copy(g_client, g_template, slot, NULL);
    }
    if (r != H2O_RESULT_OK) {
        fprintf(stderr, "c-api-bench: submit: %s: %s\n", h2o_strerror(r), h2o_last_error_message());
        return -1;
    }
    return 0;
}

/* Records one completion; returns 1 when another request should be started. */
static int complete_one(slot_t *slot, h2o_result result, const h2o_error_t *err) {
    double now = bench_now();
    long k = atomic_fetch_add_explicit(&g_nlat, 1, memory_order_relaxed);
    if (k < g_o.n) g_lat[k] = (uint32_t)((now - slot->start) * 1e6);
    if (result != H2O_RESULT_OK) {
        if (atomic_fetch_add(&g_errors, 1) == 0)
            snprintf(g_first_error, sizeof g_first_error, "%s: %s", h2o_strerror(result),
                     err && err->message ? err->message : "?");
    }
    long done = atomic_fetch_add(&g_done, 1) + 1;
    if (done >= g_o.n) {
        pthread_mutex_lock(&g_mu);
        pthread_cond_broadcast(&g_cv);
        pthread_mutex_unlock(&g_mu);
        return 0;
    }
    return atomic_fetch_add(&g_started, 1) < g_o.n;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    slot_t *slot = (slot_t *)ud;
    if (complete_one(slot, result, err) && submit(slot, 1) != 0) {
        atomic_fetch_add(&g_errors, 1);
        complete_one(slot, H2O_RESULT_OK, NULL);
    }
}

static double poll_ns(h2o_client_t *c, long iters) {
    h2o_event_t ev[16];
    size_t n;
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) h2o_client_poll(c, ev, 16, 0, &n);
    return (bench_now() - t0) / (double)iters * 1e9;
}

static int pollcost(const char *base) {
    h2o_client_t *c = NULL;
    if (h2o_client_new(NULL, &c) != H2O_RESULT_OK) return 1;
    poll_ns(c, 100000); /* warm up */
    double empty = poll_ns(c, 2000000);
    char url[512];
    snprintf(url, sizeof url, "%s/delay/60000", base);
    for (int i = 0; i < 100; i++) {
        h2o_request_t *req = NULL;
        if (h2o_request_new("GET", url, &req) != H2O_RESULT_OK || h2o_client_submit(c, req, NULL) != H2O_RESULT_OK) {
            fprintf(stderr, "c-api-bench: submit: %s\n", h2o_last_error_message());
            return 1;
        }
        h2o_request_free(req);
    }
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL); /* the 100 requests are on the wire and idle */
    double idle = poll_ns(c, 2000000);
    h2o_client_free(c);
    printf("{\"empty_ns\":%.1f,\"idle100_ns\":%.1f}\n", empty, idle);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "pollcost")) return pollcost(argv[2]);
    if (argc < 2 || (strcmp(argv[1], "callback") && strcmp(argv[1], "poll"))) {
        fprintf(stderr, "usage: %s callback|poll [-n N] [-m M] [-d DATA|@FILE] [--cacert FILE] [--each] URL\n", argv[0]);
        return 2;
    }
    int callbacks = !strcmp(argv[1], "callback");
    argv[1] = argv[0];
    bench_parse(argc - 1, argv + 1, &g_o, each_flag, "callback|poll [--each] ");
    g_lat = calloc((size_t)g_o.n, sizeof *g_lat);
    long m = g_o.m < g_o.n ? g_o.m : g_o.n;
    slot_t *slots = calloc((size_t)m, sizeof *slots);
    h2o_config_t *cfg = NULL;
    h2o_result r = h2o_config_new(&cfg);
    if (r == H2O_RESULT_OK && g_o.cacert) r = h2o_config_set_tls_ca_file(cfg, g_o.cacert);
    if (r == H2O_RESULT_OK) r = h2o_client_new(cfg, &g_client);
    h2o_config_free(cfg);
    if (r != H2O_RESULT_OK) {
        fprintf(stderr, "c-api-bench: client: %s: %s\n", h2o_strerror(r), h2o_last_error_message());
        return 1;
    }
    if (!g_each && !(g_template = build(NULL, callbacks))) return 1;
    double t0 = bench_now(), c0 = bench_cpu();
    atomic_store(&g_started, m);
    for (long i = 0; i < m; i++)
        if (submit(&slots[i], callbacks) != 0) return 1;
    if (callbacks) {
        pthread_mutex_lock(&g_mu);
        while (atomic_load(&g_done) < g_o.n) pthread_cond_wait(&g_cv, &g_mu);
        pthread_mutex_unlock(&g_mu);
    } else {
        h2o_event_t evs[256];
        while (atomic_load(&g_done) < g_o.n) {
            size_t k = 0;
            r = h2o_client_poll(g_client, evs, 256, -1, &k);
            if (r != H2O_RESULT_OK) {
                fprintf(stderr, "c-api-bench: poll: %s\n", h2o_strerror(r));
                return 1;
            }
            for (size_t i = 0; i < k; i++) {
                h2o_event_t *ev = &evs[i];
                if (ev->kind == H2O_EVENT_KIND_DATA) {
                    atomic_fetch_add_explicit(&g_bytes, ev->data_len, memory_order_relaxed);
                } else if (ev->kind == H2O_EVENT_KIND_COMPLETE) {
                    slot_t *slot = (slot_t *)ev->userdata;
                    if (complete_one(slot, ev->result, ev->error) && submit(slot, 0) != 0) return 1;
                }
                h2o_event_release(ev);
            }
        }
    }
    double secs = bench_now() - t0, cpu = bench_cpu() - c0;
    h2o_client_free(g_client);
    h2o_request_free(g_template);
    long n_lat = atomic_load(&g_nlat);
    long errors = atomic_load(&g_errors);
    bench_report(g_o.n, secs, atomic_load(&g_bytes), errors, g_lat, (size_t)(n_lat < g_o.n ? n_lat : g_o.n), cpu,
                 errors ? g_first_error : NULL);
    free(slots);
    free(g_lat);
    free(g_o.data);
    return errors ? 1 : 0;
}
