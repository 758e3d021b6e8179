/* multiplex.c — 100 concurrent requests on one HTTP/2 connection (callback mode).
 *   ./multiplex http://127.0.0.1:PORT [N=100] [PATH=/bytes/65536] */
#define _GNU_SOURCE
#include <h2o.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_done, g_ok;
static atomic_size_t g_bytes;

static int on_data(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    (void)data;
    atomic_fetch_add(&g_bytes, len);
    return H2O_DATA_CONTINUE;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    (void)ud;
    if (result == H2O_RESULT_OK) atomic_fetch_add(&g_ok, 1);
    else fprintf(stderr, "request failed: %s\n", err ? err->message : h2o_strerror(result));
    atomic_fetch_add(&g_done, 1);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [N] [PATH]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 100;
    const char *path = argc > 3 ? argv[3] : "/bytes/65536";
    char url[512];
    snprintf(url, sizeof url, "%s%s", argv[1], path);
    h2o_client_t *client = NULL;
    if (h2o_client_new(NULL, &client) != H2O_RESULT_OK) return 1;
    h2o_callbacks_t cbs = {NULL, NULL, on_data, NULL, on_complete};
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        h2o_request_t *req = NULL;
        h2o_result rc = h2o_request_new("GET", url, &req);
        if (rc == H2O_RESULT_OK) rc = h2o_request_set_callbacks(req, &cbs, NULL);
        if (rc == H2O_RESULT_OK) rc = h2o_client_submit(client, req, NULL);
        h2o_request_free(req);
        if (rc != H2O_RESULT_OK) {
            fprintf(stderr, "submit: %s: %s\n", h2o_strerror(rc), h2o_last_error_message());
            h2o_client_free(client);
            return 1;
        }
    }
    while (atomic_load(&g_done) < n) usleep(1000);
    double dt = now_s() - t0;
    h2o_client_free(client);
    printf("%d/%d ok, %zu bytes in %.1f ms (%.0f req/s, %.1f MB/s)\n", atomic_load(&g_ok), n,
           atomic_load(&g_bytes), dt * 1e3, n / dt, atomic_load(&g_bytes) / dt / 1e6);
    return atomic_load(&g_ok) == n ? 0 : 1;
}
