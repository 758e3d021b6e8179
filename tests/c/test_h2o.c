/* C tests of libh2o-client: every function, every error path, callbacks and poll mode,
 * cancel/pause/close/free across threads. Needs H2O_TEST_PORT (an h2o-testserver on
 * 127.0.0.1; tests/c/run.sh starts one). Usage: test_h2o [name-substring].
 * The last line is "N passed, M failed"; the exit code is non-zero on any failure. */
#define _GNU_SOURCE
#include "h2o.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_failed_checks;
static char g_base[128];

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "  check failed %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            g_failed_checks++;                                                        \
            return;                                                                   \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                                \
        if (a_ != b_) {                                                                    \
            fprintf(stderr, "  check failed %s:%d: %s == %s (%lld vs %lld) last error: %s\n", \
                    __FILE__, __LINE__, #a, #b, a_, b_, h2o_last_error_message());         \
            g_failed_checks++;                                                             \
            return;                                                                        \
        }                                                                                  \
    } while (0)

#define OK(call) CHECK_EQ((call), H2O_RESULT_OK)

static const char *url(const char *path) {
    static __thread char buf[256];
    snprintf(buf, sizeof buf, "%s%s", g_base, path);
    return buf;
}

/* ---------- a response collected by callbacks ---------- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int status;
    size_t body_len;
    char body[4096];
    int heads, trailers, completes, data_calls;
    char trailer_name[64], trailer_value[64];
    h2o_result result;
    char error_message[256];
    int pause_first; /* on_data returns PAUSE on the first chunk */
    int slow_data_us; /* on_data sleeps this long (callbacks in flight during close) */
    atomic_int entered; /* on_data calls started */
    h2o_client_t *free_client_in_head; /* h2o_client_free from on_head */
    h2o_client_t *free_client_in_data;
    atomic_int *after_close; /* set: a callback ran after close returned */
    atomic_int *violations;
    int x_h; /* on_head: x-h-0, x-h-1, ... in order (the test server's /headers/N) */
    size_t x_h_bytes; /* their name + value lengths */
    int x_h_bad; /* one out of order or with a value not all 'a' */
    int content_length, date; /* content-length and date headers seen */
} resp_t;

static void resp_init(resp_t *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->result = (h2o_result)-1;
}

static void resp_destroy(resp_t *r) {
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

static void check_after_close(resp_t *r) {
    if (r->after_close && atomic_load(r->after_close) && r->violations)
        atomic_fetch_add(r->violations, 1);
}

static void on_head(void *ud, uint16_t status, const h2o_header_t *h, size_t n) {
    resp_t *r = ud;
    check_after_close(r);
    pthread_mutex_lock(&r->mu);
    r->status = status;
    r->heads++;
    for (size_t i = 0; i < n; i++) {
        char want[32];
        int wn = snprintf(want, sizeof want, "x-h-%d", r->x_h);
        if (h[i].name_len == 14 && memcmp(h[i].name, "content-length", 14) == 0) r->content_length = 1;
        if (h[i].name_len == 4 && memcmp(h[i].name, "date", 4) == 0) r->date = 1;
        if (h[i].name_len < 4 || memcmp(h[i].name, "x-h-", 4) != 0) continue;
        int ok = h[i].name_len == (size_t)wn && memcmp(h[i].name, want, (size_t)wn) == 0;
        for (size_t k = 0; k < h[i].value_len; k++) ok = ok && h[i].value[k] == 'a';
        r->x_h_bad += !ok;
        r->x_h++;
        r->x_h_bytes += h[i].name_len + h[i].value_len;
    }
    pthread_mutex_unlock(&r->mu);
    if (r->free_client_in_head) {
        h2o_client_t *c = r->free_client_in_head;
        r->free_client_in_head = NULL;
        h2o_client_free(c);
    }
}

static int on_data(void *ud, const uint8_t *data, size_t len) {
    resp_t *r = ud;
    check_after_close(r);
    atomic_fetch_add(&r->entered, 1);
    if (r->slow_data_us) usleep((useconds_t)r->slow_data_us);
    check_after_close(r);
    pthread_mutex_lock(&r->mu);
    size_t room = sizeof r->body - 1 - (r->body_len < sizeof r->body ? r->body_len : sizeof r->body - 1);
    memcpy(r->body + (r->body_len < sizeof r->body - 1 ? r->body_len : sizeof r->body - 1), data,
           len < room ? len : room);
    r->body_len += len;
    r->data_calls++;
    int first = r->data_calls == 1;
    pthread_mutex_unlock(&r->mu);
    if (r->free_client_in_data) {
        h2o_client_t *c = r->free_client_in_data;
        r->free_client_in_data = NULL;
        h2o_client_free(c);
    }
    return (r->pause_first && first) ? H2O_DATA_PAUSE : H2O_DATA_CONTINUE;
}

static void on_trailers(void *ud, const h2o_header_t *h, size_t n) {
    resp_t *r = ud;
    check_after_close(r);
    pthread_mutex_lock(&r->mu);
    r->trailers++;
    for (size_t i = 0; i < n; i++) {
        if (h[i].name_len == 9 && memcmp(h[i].name, "x-trailer", 9) == 0) {
            snprintf(r->trailer_name, sizeof r->trailer_name, "%.*s", (int)h[i].name_len, (const char *)h[i].name);
            snprintf(r->trailer_value, sizeof r->trailer_value, "%.*s", (int)h[i].value_len, (const char *)h[i].value);
        }
        if (h[i].name_len == 16 && memcmp(h[i].name, "x-received-bytes", 16) == 0)
            snprintf(r->trailer_value, sizeof r->trailer_value, "%.*s", (int)h[i].value_len, (const char *)h[i].value);
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    resp_t *r = ud;
    check_after_close(r);
    pthread_mutex_lock(&r->mu);
    r->completes++;
    r->result = result;
    if (err) {
        snprintf(r->error_message, sizeof r->error_message, "%s", err->message);
        if (err->result != result && r->violations) atomic_fetch_add(r->violations, 1);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static const h2o_callbacks_t CALLBACKS = {NULL, on_head, on_data, on_trailers, on_complete};

/* Waits until the response completed; 0 on timeout. */
static int resp_wait(resp_t *r, double timeout_s) {
    double end = now_s() + timeout_s;
    pthread_mutex_lock(&r->mu);
    while (r->completes == 0 && now_s() < end) {
        pthread_mutex_unlock(&r->mu);
        sleep_ms(2);
        pthread_mutex_lock(&r->mu);
    }
    int done = r->completes > 0;
    pthread_mutex_unlock(&r->mu);
    return done;
}

static h2o_result submit_cb(h2o_client_t *c, const char *method, const char *path, resp_t *r, uint64_t *id) {
    h2o_request_t *req = NULL;
    h2o_result rc = h2o_request_new(method, url(path), &req);
    if (rc != H2O_RESULT_OK) return rc;
    rc = h2o_request_set_callbacks(req, &CALLBACKS, r);
    if (rc == H2O_RESULT_OK) rc = h2o_client_submit(c, req, id);
    h2o_request_free(req);
    return rc;
}

/* A client with the defaults; H2O_TEST_RUNTIME_THREADS=N runs the suite on N runtime
 * threads (make c-test-plain runs it with 1 and with 2). */
static h2o_client_t *new_client(void) {
    h2o_client_t *c = NULL;
    h2o_config_t *cfg = NULL;
    const char *threads = getenv("H2O_TEST_RUNTIME_THREADS");
    if (h2o_config_new(&cfg) != H2O_RESULT_OK) return NULL;
    if (threads) h2o_config_set_runtime_threads(cfg, (size_t)atoi(threads));
    h2o_result rc = h2o_client_new(cfg, &c);
    h2o_config_free(cfg);
    return rc == H2O_RESULT_OK ? c : NULL;
}

/* ---------- tests ---------- */

static void test_version(void) {
    CHECK(h2o_version() != NULL);
    CHECK(strcmp(h2o_version(), H2O_VERSION_STRING) == 0);
}

static void test_strerror(void) {
    uint32_t codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                        100, 101, 102, 103, 104, 105, 106, 107, 199};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = h2o_strerror(codes[i]);
        CHECK(s != NULL && s[0] != '\0');
        CHECK(strcmp(s, "unknown result code") != 0);
    }
    CHECK(strcmp(h2o_strerror(H2O_RESULT_OK), "ok") == 0);
    CHECK(strcmp(h2o_strerror(12345), "unknown result code") == 0);
    CHECK_EQ(H2O_RESULT_CANCELLED, 13);
    CHECK_EQ(H2O_RESULT_PING_TIMEOUT, 18);
    CHECK_EQ(H2O_RESULT_TLS_HANDSHAKE_TIMEOUT, 19);
    CHECK_EQ(H2O_RESULT_NULL_ARGUMENT, 100);
    CHECK_EQ(H2O_RESULT_PANIC, 103);
}

static void test_null_arguments(void) {
    const h2o_result N = H2O_RESULT_NULL_ARGUMENT;
    h2o_config_t *cfg = NULL;
    h2o_request_t *req = NULL;
    h2o_client_t *cl = NULL;
    uint64_t id = 0;
    size_t n = 0;
    int fd = 0;
    h2o_event_t ev;
    CHECK_EQ(h2o_config_new(NULL), N);
    CHECK(strstr(h2o_last_error_message(), "out") != NULL);
    CHECK_EQ(h2o_config_validate(NULL), N);
    CHECK_EQ(h2o_config_set_header_table_size(NULL, 1), N);
    CHECK_EQ(h2o_config_set_runtime_threads(NULL, 1), N);
    CHECK_EQ(h2o_config_set_adaptive_window(NULL, false), N);
    CHECK_EQ(h2o_request_new(NULL, "http://x/", &req), N);
    CHECK_EQ(h2o_request_new("GET", NULL, &req), N);
    CHECK_EQ(h2o_request_new("GET", "http://x/", NULL), N);
    CHECK(req == NULL);
    OK(h2o_request_new("GET", "http://x/", &req));
    CHECK_EQ(h2o_request_add_header(NULL, (const uint8_t *)"a", 1, (const uint8_t *)"b", 1), N);
    CHECK_EQ(h2o_request_add_header(req, NULL, 1, (const uint8_t *)"b", 1), N);
    CHECK_EQ(h2o_request_add_header(req, (const uint8_t *)"a", 1, NULL, 1), N);
    OK(h2o_request_add_header(req, (const uint8_t *)"a", 1, NULL, 0)); /* empty value */
    CHECK_EQ(h2o_request_set_body(NULL, (const uint8_t *)"x", 1), N);
    CHECK_EQ(h2o_request_set_body(req, NULL, 5), N);
    CHECK_EQ(h2o_request_set_body_stream(NULL), N);
    CHECK_EQ(h2o_request_set_priority(NULL, 1, true), N);
    CHECK_EQ(h2o_request_set_lane(NULL, 1), N);
    CHECK_EQ(h2o_request_set_callbacks(NULL, &CALLBACKS, NULL), N);
    CHECK_EQ(h2o_request_set_callbacks(req, NULL, NULL), N);
    CHECK_EQ(h2o_request_set_userdata(NULL, NULL), N);
    CHECK_EQ(h2o_request_id(NULL, &id), N);
    CHECK_EQ(h2o_request_id(req, NULL), N);
    CHECK_EQ(h2o_request_write(NULL, (const uint8_t *)"x", 1), N);
    CHECK_EQ(h2o_request_try_write(NULL, (const uint8_t *)"x", 1), N);
    CHECK_EQ(h2o_request_finish(NULL), N);
    CHECK_EQ(h2o_client_new(NULL, NULL), N);
    CHECK_EQ(h2o_client_submit(NULL, req, &id), N);
    cl = new_client();
    CHECK(cl != NULL);
    CHECK_EQ(h2o_client_submit(cl, NULL, &id), N);
    CHECK_EQ(h2o_client_submit_copy(NULL, req, NULL, &id), N);
    CHECK_EQ(h2o_client_submit_copy(cl, NULL, NULL, &id), N);
    CHECK_EQ(h2o_client_cancel(NULL, 1), N);
    CHECK_EQ(h2o_client_resume(NULL, 1), N);
    CHECK_EQ(h2o_client_close(NULL), N);
    CHECK_EQ(h2o_client_poll(NULL, &ev, 1, 0, &n), N);
    CHECK_EQ(h2o_client_poll(cl, NULL, 1, 0, &n), N);
    CHECK_EQ(h2o_client_poll(cl, &ev, 1, 0, NULL), N);
    OK(h2o_client_poll(cl, NULL, 0, 0, &n)); /* max 0: events may be NULL */
    CHECK_EQ(h2o_event_release(NULL), N);
    CHECK_EQ(h2o_client_wakeup_fd(NULL, &fd), N);
    CHECK_EQ(h2o_client_wakeup_fd(cl, NULL), N);
    h2o_config_free(NULL);
    h2o_request_free(NULL);
    h2o_client_free(NULL);
    h2o_config_free(cfg);
    h2o_request_free(req);
    h2o_client_free(cl);
}

static void test_config(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_new(&cfg));
    OK(h2o_config_set_header_table_size(cfg, 8192));
    OK(h2o_config_set_encoder_table_size(cfg, 2048));
    OK(h2o_config_set_max_concurrent_streams(cfg, 50));
    OK(h2o_config_set_initial_window_size(cfg, 1 << 20));
    OK(h2o_config_set_connection_window_size(cfg, 4 << 20));
    OK(h2o_config_set_max_frame_size(cfg, 32768));
    OK(h2o_config_set_max_header_list_size(cfg, 64 << 10));
    OK(h2o_config_set_max_continuation_frames(cfg, 0));
    OK(h2o_config_set_adaptive_window(cfg, false));
    OK(h2o_config_set_max_adaptive_window(cfg, 16 << 20));
    OK(h2o_config_set_max_pending_requests(cfg, 1000));
    OK(h2o_config_set_send_buffer_size(cfg, 128 << 10));
    OK(h2o_config_set_write_high_water(cfg, 128 << 10));
    OK(h2o_config_set_max_reset_streams_remembered(cfg, 100));
    OK(h2o_config_set_runtime_threads(cfg, 2));
    OK(h2o_config_set_max_retries(cfg, 1));
    OK(h2o_config_validate(cfg));
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    resp_t r;
    resp_init(&r);
    OK(submit_cb(c, "GET", "/hello", &r, NULL));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    h2o_client_free(c);
    resp_destroy(&r);

    /* Setters check the range at once, name the setting and leave the config unchanged. */
    CHECK_EQ(h2o_config_set_max_frame_size(cfg, 100), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(h2o_last_error_message(), "max_frame_size") != NULL);
    CHECK(strstr(h2o_last_error_message(), "16384..=16777215") != NULL);
    OK(h2o_config_validate(cfg));
    CHECK_EQ(h2o_config_set_runtime_threads(cfg, 0), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(h2o_last_error_message(), "runtime_threads") != NULL);
    /* Rules between settings: checked by validate and client_new. */
    OK(h2o_config_set_pool_backoff_base_ms(cfg, 5000));
    OK(h2o_config_set_pool_backoff_max_ms(cfg, 1000));
    CHECK_EQ(h2o_config_validate(cfg), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(h2o_last_error_message(), "pool_backoff_max_ms") != NULL);
    c = NULL;
    CHECK_EQ(h2o_client_new(cfg, &c), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(c == NULL);
    h2o_config_free(cfg);
}

#define SETTER_ERR(call, key)                                             \
    do {                                                                  \
        CHECK_EQ((call), H2O_RESULT_INVALID_ARGUMENT);                    \
        CHECK(strstr(h2o_last_error_message(), key) != NULL);             \
    } while (0)

/* Every setter added for the full registry: set, then a working client; bad values
 * rejected with the key in the message. */
static void test_config_every_setter(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_new(&cfg));
    OK(h2o_config_set_connect_timeout_ms(cfg, 5000));
    OK(h2o_config_set_settings_timeout_ms(cfg, 5000));
    OK(h2o_config_set_headers_timeout_ms(cfg, 20000));
    OK(h2o_config_set_idle_timeout_ms(cfg, 20000));
    OK(h2o_config_set_request_timeout_ms(cfg, 30000));
    OK(h2o_config_set_keepalive_interval_ms(cfg, 0));
    OK(h2o_config_set_ping_timeout_ms(cfg, 15000));
    OK(h2o_config_set_ping_soft_timeout_ms(cfg, 5000));
    OK(h2o_config_set_default_urgency(cfg, 2));
    OK(h2o_config_set_default_incremental(cfg, true));
    OK(h2o_config_set_default_weight(cfg, 32));
    OK(h2o_config_set_max_buffered_per_connection(cfg, 64u << 20));
    OK(h2o_config_set_read_buffer_size(cfg, 4096));
    OK(h2o_config_set_early_flush_frames(cfg, 32));
    OK(h2o_config_set_rfc7540_priorities(cfg, true));
    OK(h2o_config_set_flood_settings_per_sec(cfg, 100));
    OK(h2o_config_set_flood_pings_per_sec(cfg, 100));
    OK(h2o_config_set_flood_resets_per_sec(cfg, 1000));
    OK(h2o_config_set_flood_window_updates_per_sec(cfg, 100000));
    OK(h2o_config_set_flood_empty_frames_per_sec(cfg, 100));
    OK(h2o_config_set_flood_local_resets_per_sec(cfg, 1000));
    OK(h2o_config_set_flood_max_control_backlog(cfg, 1u << 16));
    OK(h2o_config_set_pool_max_connections_per_origin(cfg, 2));
    OK(h2o_config_set_pool_max_connections_total(cfg, 16));
    OK(h2o_config_set_pool_overflow(cfg, H2O_POOL_OVERFLOW_OPEN_MORE));
    OK(h2o_config_set_pool_overflow(cfg, H2O_POOL_OVERFLOW_QUEUE));
    OK(h2o_config_set_pool_idle_timeout_ms(cfg, 60000));
    OK(h2o_config_set_pool_backoff_base_ms(cfg, 50));
    OK(h2o_config_set_pool_backoff_max_ms(cfg, 2000));
    OK(h2o_config_set_pool_breaker_threshold(cfg, 5));
    OK(h2o_config_set_pool_check_after_idle_ms(cfg, 0));
    OK(h2o_config_set_pool_connection_retry_budget(cfg, 10));
    OK(h2o_config_set_pool_retry_idempotent(cfg, true));
    OK(h2o_config_set_tls_use_system_roots(cfg, false));
    OK(h2o_config_set_tls_danger_accept_invalid_certs(cfg, false));
    OK(h2o_config_set_tls_handshake_timeout_ms(cfg, 3000));
    OK(h2o_config_add_tls_pin(cfg, "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    OK(h2o_config_clear_tls_pins(cfg));
    OK(h2o_config_set(cfg, "max_retries", "2"));
    OK(h2o_config_set(cfg, "pool_overflow", "open_more"));
    OK(h2o_config_set(cfg, "request_timeout_ms", "off"));
    OK(h2o_config_validate(cfg));

    /* Out of range, wrong value, malformed: the key is named; the config is unchanged. */
    SETTER_ERR(h2o_config_set_connect_timeout_ms(cfg, 0), "connect_timeout_ms");
    SETTER_ERR(h2o_config_set_ping_timeout_ms(cfg, 400ull * 24 * 3600 * 1000), "ping_timeout_ms");
    SETTER_ERR(h2o_config_set_default_urgency(cfg, 8), "default_urgency");
    SETTER_ERR(h2o_config_set_read_buffer_size(cfg, 10), "read_buffer_size");
    SETTER_ERR(h2o_config_set_early_flush_frames(cfg, (1u << 20) + 1), "early_flush_frames");
    SETTER_ERR(h2o_config_set_default_weight(cfg, 0), "default_weight");
    SETTER_ERR(h2o_config_set_pool_max_connections_per_origin(cfg, 0), "pool_max_connections_per_origin");
    SETTER_ERR(h2o_config_set_pool_breaker_threshold(cfg, 0), "pool_breaker_threshold");
    SETTER_ERR(h2o_config_set_pool_overflow(cfg, 2), "pool_overflow");
    SETTER_ERR(h2o_config_add_tls_pin(cfg, "not-a-pin"), "tls_pins");
    SETTER_ERR(h2o_config_set(cfg, "no_such_setting", "1"), "no_such_setting");
    SETTER_ERR(h2o_config_set(cfg, "adaptive_window", "perhaps"), "adaptive_window");
    SETTER_ERR(h2o_config_set(cfg, "max_retries", "300"), "max_retries");
    CHECK_EQ(h2o_config_set(cfg, NULL, "1"), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_set(cfg, "max_retries", NULL), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_set(cfg, "max_retries", "\xff"), H2O_RESULT_INVALID_UTF8);
    CHECK_EQ(h2o_config_add_tls_pin(cfg, NULL), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_add_tls_crl_file(NULL, "x"), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_set_tls_ca_file(NULL, "x"), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_set_pool_idle_timeout_ms(NULL, 1), H2O_RESULT_NULL_ARGUMENT);
    OK(h2o_config_validate(cfg));

    /* TLS files are read by validate: a missing one is named. */
    OK(h2o_config_set_tls_ca_file(cfg, "/nonexistent/ca.pem"));
    CHECK_EQ(h2o_config_validate(cfg), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(h2o_last_error_message(), "/nonexistent/ca.pem") != NULL);
    OK(h2o_config_set_tls_ca_file(cfg, NULL));
    OK(h2o_config_add_tls_crl_file(cfg, "/nonexistent/crl.pem"));
    CHECK_EQ(h2o_config_validate(cfg), H2O_RESULT_INVALID_ARGUMENT);
    OK(h2o_config_clear_tls_crl_files(cfg));
    OK(h2o_config_set_tls_client_cert(cfg, "/nonexistent/cert.pem"));
    CHECK_EQ(h2o_config_validate(cfg), H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(h2o_last_error_message(), "tls_client_key") != NULL);
    OK(h2o_config_set_tls_client_key(cfg, "/nonexistent/key.pem"));
    CHECK_EQ(h2o_config_validate(cfg), H2O_RESULT_INVALID_ARGUMENT);
    OK(h2o_config_set_tls_client_cert(cfg, ""));
    OK(h2o_config_set_tls_client_key(cfg, NULL));
    OK(h2o_config_validate(cfg));

    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_t r;
    resp_init(&r);
    OK(submit_cb(c, "GET", "/bytes/100000", &r, NULL));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.body_len, 100000);
    h2o_client_free(c);
    resp_destroy(&r);
}

/* h2o_config_from_env: defaults < H2O_CONFIG file < H2O_<SETTING>. */
static void test_config_from_env(void) {
    char path[] = "build/c/h2o-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *json = "{\"runtime_threads\": 2, \"max_retries\": 1, \"pool\": {\"idle_timeout_ms\": 5000}}";
    CHECK_EQ(write(fd, json, strlen(json)), (long long)strlen(json));
    close(fd);
    setenv("H2O_CONFIG", path, 1);
    setenv("H2O_MAX_RETRIES", "0", 1);
    setenv("H2O_INITIAL_WINDOW_SIZE", "65535", 1);
    h2o_config_t *cfg = NULL;
    h2o_result r = h2o_config_from_env(&cfg);
    /* A typo in a variable is an error naming it. */
    setenv("H2O_INITIAL_WINDOW_SIZ", "1", 1);
    h2o_config_t *bad = NULL;
    h2o_result r_typo = h2o_config_from_env(&bad);
    char typo_msg[512];
    snprintf(typo_msg, sizeof typo_msg, "%s", h2o_last_error_message());
    unsetenv("H2O_INITIAL_WINDOW_SIZ");
    setenv("H2O_MAX_RETRIES", "many", 1);
    h2o_result r_type = h2o_config_from_env(&bad);
    char type_msg[512];
    snprintf(type_msg, sizeof type_msg, "%s", h2o_last_error_message());
    unsetenv("H2O_CONFIG");
    unsetenv("H2O_MAX_RETRIES");
    unsetenv("H2O_INITIAL_WINDOW_SIZE");
    unlink(path);
    OK(r);
    CHECK_EQ(r_typo, H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(typo_msg, "H2O_INITIAL_WINDOW_SIZ") != NULL);
    CHECK_EQ(r_type, H2O_RESULT_INVALID_ARGUMENT);
    CHECK(strstr(type_msg, "H2O_MAX_RETRIES") != NULL && strstr(type_msg, "max_retries") != NULL);
    CHECK(bad == NULL);
    /* The loaded config works (2 runtime threads from the file, window from the env). */
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_t rs;
    resp_init(&rs);
    OK(submit_cb(c, "GET", "/bytes/300000", &rs, NULL));
    CHECK(resp_wait(&rs, 20));
    CHECK_EQ(rs.result, H2O_RESULT_OK);
    CHECK_EQ(rs.body_len, 300000);
    h2o_client_free(c);
    resp_destroy(&rs);
    CHECK_EQ(h2o_config_from_env(NULL), H2O_RESULT_NULL_ARGUMENT);
}

static void test_config_from_json(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_from_json("{\"runtime_threads\": 2, \"proto\": {\"initial_window_size\": 65535},"
                            " \"adaptive_window\": false, \"max_retries\": 0}",
                            &cfg));
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_t r;
    resp_init(&r);
    OK(submit_cb(c, "GET", "/bytes/300000", &r, NULL));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.body_len, 300000);
    h2o_client_free(c);
    resp_destroy(&r);
    const char *bad[] = {"[]", "{", "{\"no_such\": 1}", "{\"max_frame_size\": 1}", "{\"adaptive_window\": 3}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = NULL;
        CHECK_EQ(h2o_config_from_json(bad[i], &cfg), H2O_RESULT_INVALID_ARGUMENT);
        CHECK(cfg == NULL);
        CHECK(h2o_last_error_message()[0] != '\0');
    }
    CHECK(strstr((h2o_config_from_json("{\"no_such\": 1}", &cfg), h2o_last_error_message()), "no_such") != NULL);
    /* Each kind of error names the key and what it expects. */
    struct { const char *json, *key, *detail; } errs[] = {
        {"{\"no_such\": 1}", "\"no_such\"", "unknown setting"},
        {"{\"initial_windw_size\": 1}", "\"initial_windw_size\"", "did you mean \"initial_window_size\""},
        {"{\"pool\": {\"nope\": 1}}", "\"pool.nope\"", "unknown setting"},
        {"{\"adaptive_window\": 3}", "\"adaptive_window\"", "expected bool, got a number"},
        {"{\"connect_timeout_ms\": \"5s\"}", "\"connect_timeout_ms\"", "expected duration (ms)"},
        {"{\"tls_crl_files\": \"a.pem\"}", "\"tls_crl_files\"", "expected list of paths"},
        {"{\"max_frame_size\": 1}", "\"max_frame_size\"", "out of range 16384..=16777215"},
        {"{\"max_retries\": -1}", "\"max_retries\"", "out of range 0..=255"},
        {"{\"pool_overflow\": \"always\"}", "\"pool_overflow\"", "\"queue\", \"open_more\""},
        {"{\"tls_pins\": [\"x\"]}", "\"tls_pins\"", "base64"},
        {"{\"pool_backoff_base_ms\": 500, \"pool_backoff_max_ms\": 100}", "\"pool_backoff_max_ms\"", "at least"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        cfg = NULL;
        CHECK_EQ(h2o_config_from_json(errs[i].json, &cfg), H2O_RESULT_INVALID_ARGUMENT);
        CHECK(cfg == NULL);
        const char *m = h2o_last_error_message();
        if (!strstr(m, errs[i].key) || !strstr(m, errs[i].detail)) fprintf(stderr, "  %s -> %s\n", errs[i].json, m);
        CHECK(strstr(m, errs[i].key) != NULL);
        CHECK(strstr(m, errs[i].detail) != NULL);
    }
    /* Every group of settings from JSON, flat and nested. */
    OK(h2o_config_from_json("{\"connect_timeout_ms\": 5000, \"headers_timeout_ms\": null, \"ping_soft_timeout_ms\": 3000,"
                            " \"default_urgency\": 1, \"rfc7540_priorities\": true, \"max_buffered_per_connection\": 0,"
                            " \"pool\": {\"max_connections_per_origin\": 2, \"overflow\": \"open_more\", \"idle_timeout_ms\": 0},"
                            " \"flood\": {\"pings_per_sec\": 10}, \"tls\": {\"handshake_timeout_ms\": 2000, \"pins\": []},"
                            " \"tls_ca_file\": null}",
                            &cfg));
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_init(&r);
    OK(submit_cb(c, "GET", "/hello", &r, NULL));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    h2o_client_free(c);
    resp_destroy(&r);
    CHECK_EQ(h2o_config_from_json("{\"x\": \"\xff\"}", &cfg), H2O_RESULT_INVALID_UTF8);
    CHECK_EQ(h2o_config_from_json(NULL, &cfg), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_config_from_json("{}", NULL), H2O_RESULT_NULL_ARGUMENT);
}

static void test_bad_urls_and_methods(void) {
    const char *bad[] = {"", "localhost/x", "ftp://h/", "http://", "http://h:0/", "http://h:99999/",
                         "http://u@h/", "http://h/a b", "http://[::1/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h2o_request_t *req = NULL;
        CHECK_EQ(h2o_request_new("GET", bad[i], &req), H2O_RESULT_INVALID_URL);
        CHECK(req == NULL);
        CHECK(h2o_last_error_message()[0] != '\0');
    }
    h2o_request_t *req = NULL;
    CHECK_EQ(h2o_request_new("BAD METHOD", "http://h/", &req), H2O_RESULT_INVALID_ARGUMENT);
    CHECK_EQ(h2o_request_new("", "http://h/", &req), H2O_RESULT_INVALID_ARGUMENT);
    OK(h2o_request_new("PURGE", "http://h/", &req));
    h2o_request_free(req);
}

static void test_invalid_utf8(void) {
    h2o_request_t *req = NULL;
    CHECK_EQ(h2o_request_new("GET", "http://h/\xff\xfe", &req), H2O_RESULT_INVALID_UTF8);
    CHECK_EQ(h2o_request_new("G\xc3", "http://h/", &req), H2O_RESULT_INVALID_UTF8);
    OK(h2o_request_new("GET", "http://h/", &req));
    CHECK_EQ(h2o_request_add_header(req, (const uint8_t *)"\xff", 1, (const uint8_t *)"v", 1),
             H2O_RESULT_INVALID_UTF8);
    /* values are bytes: non-UTF-8 is allowed */
    OK(h2o_request_add_header(req, (const uint8_t *)"x-bin", 5, (const uint8_t *)"\xff", 1));
    h2o_request_free(req);
}

static void test_bad_headers(void) {
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", "http://h/", &req));
    struct { const char *n, *v; } bad[] = {{"connection", "close"}, {"te", "gzip"}, {":path", "/"},
                                          {"bad name", "x"}, {"x", "a\r\nb"}, {"Transfer-Encoding", "chunked"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(h2o_request_add_header(req, (const uint8_t *)bad[i].n, strlen(bad[i].n),
                                        (const uint8_t *)bad[i].v, strlen(bad[i].v)),
                 H2O_RESULT_INVALID_ARGUMENT);
    CHECK_EQ(h2o_request_add_header(req, (const uint8_t *)"", 0, (const uint8_t *)"x", 1),
             H2O_RESULT_INVALID_ARGUMENT);
    OK(h2o_request_add_header(req, (const uint8_t *)"te", 2, (const uint8_t *)"trailers", 8));
    CHECK_EQ(h2o_request_set_priority(req, 8, false), H2O_RESULT_INVALID_ARGUMENT);
    h2o_request_free(req);
}

static void test_get_callbacks(void) {
    h2o_client_t *c = new_client();
    CHECK(c != NULL);
    resp_t r;
    resp_init(&r);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", url("/hello"), &req));
    OK(h2o_request_add_header(req, (const uint8_t *)"Accept", 6, (const uint8_t *)"*/*", 3));
    OK(h2o_request_set_priority(req, 1, true));
    OK(h2o_request_set_lane(req, 3));
    OK(h2o_request_set_callbacks(req, &CALLBACKS, &r));
    uint64_t id = 0, id2 = 0;
    CHECK_EQ(h2o_request_id(req, &id2), H2O_RESULT_INVALID_STATE);
    OK(h2o_client_submit(c, req, &id));
    CHECK(id != 0);
    OK(h2o_request_id(req, &id2));
    CHECK_EQ(id, id2);
    CHECK_EQ(h2o_client_submit(c, req, &id), H2O_RESULT_ALREADY_SUBMITTED);
    CHECK_EQ(h2o_request_add_header(req, (const uint8_t *)"a", 1, (const uint8_t *)"b", 1),
             H2O_RESULT_ALREADY_SUBMITTED);
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.heads, 1);
    CHECK_EQ(r.body_len, 13);
    CHECK(memcmp(r.body, "Hello, world!", 13) == 0);
    sleep_ms(20);
    CHECK_EQ(r.completes, 1);
    /* completed: cancel and resume no longer know it */
    CHECK_EQ(h2o_client_cancel(c, id), H2O_RESULT_UNKNOWN_REQUEST);
    CHECK_EQ(h2o_client_resume(c, id), H2O_RESULT_UNKNOWN_REQUEST);
    h2o_request_free(req);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_trailers_and_status(void) {
    h2o_client_t *c = new_client();
    resp_t r, s;
    resp_init(&r);
    resp_init(&s);
    OK(submit_cb(c, "GET", "/trailers", &r, NULL));
    OK(submit_cb(c, "GET", "/status/404", &s, NULL));
    CHECK(resp_wait(&r, 20) && resp_wait(&s, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.trailers, 1);
    CHECK(strcmp(r.trailer_value, "done") == 0);
    CHECK(memcmp(r.body, "hello", 5) == 0);
    CHECK_EQ(s.result, H2O_RESULT_OK);
    CHECK_EQ(s.status, 404);
    h2o_client_free(c);
    resp_destroy(&r);
    resp_destroy(&s);
}

/* The x-h-* headers the test server's /headers/N sends (its extra_headers): how many, and
 * their name + value bytes. */
static void expected_x_h(size_t n, int *count, size_t *bytes) {
    size_t remaining = n;
    *count = 0;
    *bytes = 0;
    while (remaining > 0) {
        char name[32];
        size_t name_len = (size_t)snprintf(name, sizeof name, "x-h-%d", *count);
        size_t v = remaining > name_len ? remaining - name_len : 0;
        v = v < 1 ? 1 : v > 1000 ? 1000 : v;
        remaining = remaining > name_len + v ? remaining - name_len - v : 0;
        *bytes += name_len + v;
        (*count)++;
    }
}

/* on_head sees every response header (the server's content-length and date, and its
 * x-h-* in order with exact names and values): a few (the library's on-stack view) and
 * more than 32 (its heap fallback). */
static void test_head_headers(void) {
    static const size_t sizes[] = {100, 40000};
    h2o_client_t *c = new_client();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char path[32];
        snprintf(path, sizeof path, "/headers/%zu", sizes[i]);
        resp_t r;
        resp_init(&r);
        OK(submit_cb(c, "GET", path, &r, NULL));
        CHECK(resp_wait(&r, 20));
        int want;
        size_t want_bytes;
        expected_x_h(sizes[i], &want, &want_bytes);
        CHECK_EQ(r.result, H2O_RESULT_OK);
        CHECK_EQ(r.heads, 1);
        CHECK_EQ(r.x_h, want);
        CHECK_EQ(r.x_h_bytes, want_bytes);
        CHECK_EQ(r.x_h_bad, 0);
        CHECK(r.content_length && r.date);
        if (sizes[i] > 1000) CHECK(want > 32);
        resp_destroy(&r);
    }
    h2o_client_free(c);
}

static void test_post_body(void) {
    h2o_client_t *c = new_client();
    resp_t r;
    resp_init(&r);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("POST", url("/sha256"), &req));
    OK(h2o_request_set_body(req, (const uint8_t *)"abc", 3));
    CHECK_EQ(h2o_request_set_body_stream(req), H2O_RESULT_INVALID_STATE);
    OK(h2o_request_set_callbacks(req, &CALLBACKS, &r));
    CHECK_EQ(h2o_request_write(req, (const uint8_t *)"x", 1), H2O_RESULT_INVALID_STATE);
    OK(h2o_client_submit(c, req, NULL));
    CHECK_EQ(h2o_request_write(req, (const uint8_t *)"x", 1), H2O_RESULT_INVALID_STATE);
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK(strstr(r.body, "\"len\":3") != NULL);
    CHECK(strstr(r.body, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != NULL);
    h2o_request_free(req);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_streamed_upload(void) {
    h2o_client_t *c = new_client();
    resp_t r;
    resp_init(&r);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("POST", url("/echo"), &req));
    OK(h2o_request_set_body_stream(req));
    CHECK_EQ(h2o_request_set_body(req, (const uint8_t *)"x", 1), H2O_RESULT_INVALID_STATE);
    OK(h2o_request_set_callbacks(req, &CALLBACKS, &r));
    CHECK_EQ(h2o_request_write(req, (const uint8_t *)"x", 1), H2O_RESULT_INVALID_STATE); /* not yet submitted */
    OK(h2o_client_submit(c, req, NULL));
    static uint8_t chunk[10000];
    size_t total = 0;
    for (int i = 0; i < 50; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        OK(h2o_request_write(req, chunk, sizeof chunk));
        total += sizeof chunk;
    }
    OK(h2o_request_write(req, NULL, 0));
    OK(h2o_request_finish(req));
    CHECK_EQ(h2o_request_finish(req), H2O_RESULT_INVALID_STATE);
    CHECK_EQ(h2o_request_write(req, chunk, 1), H2O_RESULT_INVALID_STATE);
    CHECK(resp_wait(&r, 30));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.body_len, total);
    CHECK_EQ(atoi(r.trailer_value), (int)total);
    h2o_request_free(req);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_try_write_would_block(void) {
    h2o_client_t *c = new_client();
    resp_t r;
    resp_init(&r);
    h2o_request_t *req = NULL;
    uint64_t id = 0;
    /* /delay never reads the body: the buffers fill up */
    OK(h2o_request_new("POST", url("/delay/60000"), &req));
    OK(h2o_request_set_body_stream(req));
    OK(h2o_request_set_callbacks(req, &CALLBACKS, &r));
    OK(h2o_client_submit(c, req, &id));
    static uint8_t chunk[256 << 10];
    h2o_result rc = H2O_RESULT_OK;
    int i;
    for (i = 0; i < 400 && rc == H2O_RESULT_OK; i++) {
        rc = h2o_request_try_write(req, chunk, sizeof chunk);
        if (rc == H2O_RESULT_OK && i > 40) sleep_ms(1);
    }
    CHECK_EQ(rc, H2O_RESULT_WOULD_BLOCK);
    OK(h2o_client_cancel(c, id));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_CANCELLED);
    h2o_request_free(req); /* finishes a body nobody reads any more */
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_connect_error(void) {
    h2o_client_t *c = new_client();
    resp_t r;
    resp_init(&r);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", "http://127.0.0.1:1/", &req));
    OK(h2o_request_set_callbacks(req, &CALLBACKS, &r));
    OK(h2o_client_submit(c, req, NULL));
    CHECK(resp_wait(&r, 20));
    CHECK_EQ(r.result, H2O_RESULT_CONNECT);
    CHECK(r.error_message[0] != '\0');
    h2o_request_free(req);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_poll_mode(void) {
    h2o_client_t *c = new_client();
    h2o_request_t *req = NULL;
    int tag = 42;
    uint64_t id = 0;
    OK(h2o_request_new("GET", url("/bytes/100000"), &req));
    OK(h2o_request_set_userdata(req, &tag));
    OK(h2o_client_submit(c, req, &id));
    h2o_request_free(req);
    int heads = 0, completes = 0;
    size_t bytes = 0;
    h2o_result result = (h2o_result)-1;
    double end = now_s() + 30;
    h2o_event_t evs[8];
    while (completes == 0 && now_s() < end) {
        size_t n = 0;
        OK(h2o_client_poll(c, evs, 8, 100, &n));
        for (size_t i = 0; i < n; i++) {
            h2o_event_t *e = &evs[i];
            CHECK_EQ(e->request_id, id);
            CHECK(e->userdata == &tag);
            switch (e->kind) {
            case H2O_EVENT_KIND_HEAD:
                heads++;
                CHECK_EQ(e->status, 200);
                CHECK(e->headers_len > 0 && e->headers != NULL);
                break;
            case H2O_EVENT_KIND_DATA:
                CHECK(completes == 0);
                for (size_t k = 0; k < e->data_len; k++) CHECK_EQ(e->data[k], (bytes + k) % 251);
                bytes += e->data_len;
                break;
            case H2O_EVENT_KIND_COMPLETE:
                completes++;
                result = e->result;
                CHECK(e->error == NULL);
                break;
            default:
                break;
            }
            OK(h2o_event_release(e));
            CHECK_EQ(h2o_event_release(e), H2O_RESULT_INVALID_STATE);
        }
    }
    CHECK_EQ(completes, 1);
    CHECK_EQ(heads, 1);
    CHECK_EQ(result, H2O_RESULT_OK);
    CHECK_EQ(bytes, 100000);
    h2o_client_free(c);
}

static void test_poll_timeouts(void) {
    h2o_client_t *c = new_client();
    h2o_event_t ev;
    size_t n = 99;
    double t0 = now_s();
    OK(h2o_client_poll(c, &ev, 1, 0, &n));
    CHECK_EQ(n, 0);
    CHECK(now_s() - t0 < 0.5);
    t0 = now_s();
    OK(h2o_client_poll(c, &ev, 1, 100, &n));
    double dt = now_s() - t0;
    CHECK_EQ(n, 0);
    CHECK(dt >= 0.09 && dt < 5);
    h2o_client_free(c);
}

static void *close_later(void *arg) {
    sleep_ms(200);
    h2o_client_close(arg);
    return NULL;
}

static void test_poll_infinite_wait_ends_on_close(void) {
    h2o_client_t *c = new_client();
    pthread_t t;
    pthread_create(&t, NULL, close_later, c);
    h2o_event_t ev;
    size_t n = 0;
    CHECK_EQ(h2o_client_poll(c, &ev, 1, -1, &n), H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(n, 0);
    pthread_join(t, NULL);
    h2o_client_free(c);
}

static void test_wakeup_fd(void) {
    h2o_client_t *c = new_client();
    int fd = -1, fd2 = -2;
    OK(h2o_client_wakeup_fd(c, &fd));
    OK(h2o_client_wakeup_fd(c, &fd2));
    CHECK(fd >= 0);
    CHECK_EQ(fd, fd2);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 0), 0);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", url("/hello"), &req));
    OK(h2o_client_submit(c, req, NULL));
    h2o_request_free(req);
    int completes = 0;
    double end = now_s() + 30;
    while (!completes && now_s() < end) {
        p.revents = 0;
        int pr = poll(&p, 1, 1000);
        if (pr <= 0) continue;
        h2o_event_t evs[4];
        size_t n = 0;
        do {
            OK(h2o_client_poll(c, evs, 4, 0, &n));
            for (size_t i = 0; i < n; i++) {
                if (evs[i].kind == H2O_EVENT_KIND_COMPLETE) completes++;
                OK(h2o_event_release(&evs[i]));
            }
        } while (n > 0);
        if (completes) { /* the last event is drained: no longer readable */
            p.revents = 0;
            CHECK_EQ(poll(&p, 1, 0), 0);
        }
    }
    CHECK_EQ(completes, 1);
    h2o_client_free(c);
}

typedef struct {
    h2o_client_t *c;
    uint64_t id;
} cancel_arg_t;

static void *cancel_thread(void *arg) {
    cancel_arg_t *a = arg;
    sleep_ms(100);
    h2o_result rc = h2o_client_cancel(a->c, a->id);
    return (void *)(intptr_t)rc;
}

static void test_cancel_from_other_thread(void) {
    h2o_client_t *c = new_client();
    resp_t r;
    resp_init(&r);
    uint64_t id = 0;
    OK(submit_cb(c, "GET", "/delay/30000", &r, &id));
    cancel_arg_t a = {c, id};
    pthread_t t;
    double t0 = now_s();
    pthread_create(&t, NULL, cancel_thread, &a);
    void *ret;
    pthread_join(t, &ret);
    CHECK_EQ((intptr_t)ret, H2O_RESULT_OK);
    CHECK(resp_wait(&r, 20));
    CHECK(now_s() - t0 < 10);
    CHECK_EQ(r.result, H2O_RESULT_CANCELLED);
    CHECK_EQ(r.completes, 1);
    CHECK_EQ(h2o_client_cancel(c, id), H2O_RESULT_UNKNOWN_REQUEST);
    CHECK_EQ(h2o_client_cancel(c, 987654321), H2O_RESULT_UNKNOWN_REQUEST);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_pause_resume(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_new(&cfg));
    OK(h2o_config_set_initial_window_size(cfg, 65535));
    OK(h2o_config_set_adaptive_window(cfg, false));
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_t r;
    resp_init(&r);
    r.pause_first = 1;
    uint64_t id = 0;
    const size_t total = 2000000;
    OK(submit_cb(c, "GET", "/bytes/2000000", &r, &id));
    double end = now_s() + 20;
    while (atomic_load(&r.entered) == 0 && now_s() < end) sleep_ms(1);
    sleep_ms(300); /* let whatever the window allows arrive */
    pthread_mutex_lock(&r.mu);
    size_t got = r.body_len;
    int done = r.completes;
    pthread_mutex_unlock(&r.mu);
    /* paused: at most one stream window (plus a frame) arrives */
    CHECK(got > 0);
    CHECK(got <= 65535 + 16384);
    CHECK_EQ(done, 0);
    OK(h2o_client_resume(c, id));
    CHECK(resp_wait(&r, 30));
    CHECK_EQ(r.result, H2O_RESULT_OK);
    CHECK_EQ(r.body_len, total);
    h2o_client_free(c);
    resp_destroy(&r);
}

#define MANY 1000

static atomic_int g_after_close, g_violations;
static h2o_request_t *g_stream_req;

static void test_close_with_1000_in_flight(void) {
    h2o_client_t *c = new_client();
    resp_t *rs = calloc(MANY, sizeof *rs);
    atomic_store(&g_after_close, 0);
    atomic_store(&g_violations, 0);
    for (int i = 0; i < MANY; i++) {
        resp_init(&rs[i]);
        rs[i].after_close = &g_after_close;
        rs[i].violations = &g_violations;
        OK(submit_cb(c, "GET", i % 2 ? "/delay/30000" : "/bytes/1000000", &rs[i], NULL));
    }
    resp_t sr;
    resp_init(&sr);
    OK(h2o_request_new("POST", url("/echo"), &g_stream_req));
    OK(h2o_request_set_body_stream(g_stream_req));
    OK(h2o_request_set_callbacks(g_stream_req, &CALLBACKS, &sr));
    OK(h2o_client_submit(c, g_stream_req, NULL));
    OK(h2o_request_write(g_stream_req, (const uint8_t *)"x", 1));
    sleep_ms(100);
    double t0 = now_s();
    OK(h2o_client_close(c));
    atomic_store(&g_after_close, 1);
    CHECK_EQ(sr.completes, 1);
    CHECK_EQ(sr.result, H2O_RESULT_CANCELLED);
    resp_destroy(&sr);
    double dt = now_s() - t0;
    int cancelled = 0;
    for (int i = 0; i < MANY; i++) {
        CHECK_EQ(rs[i].completes, 1);
        if (rs[i].result == H2O_RESULT_CANCELLED) cancelled++;
        else CHECK_EQ(rs[i].result, H2O_RESULT_OK);
    }
    CHECK(cancelled >= MANY / 2);
    sleep_ms(100);
    CHECK_EQ(atomic_load(&g_violations), 0);
    fprintf(stderr, "  close with %d in flight: %.1f ms, %d cancelled\n", MANY, dt * 1e3, cancelled);
    /* use after close */
    resp_t r;
    resp_init(&r);
    CHECK_EQ(submit_cb(c, "GET", "/hello", &r, NULL), H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(h2o_client_cancel(c, 1), H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(h2o_client_resume(c, 1), H2O_RESULT_USE_AFTER_CLOSE);
    int fd;
    CHECK_EQ(h2o_client_wakeup_fd(c, &fd), H2O_RESULT_USE_AFTER_CLOSE);
    h2o_event_t ev;
    size_t n;
    CHECK_EQ(h2o_client_poll(c, &ev, 1, 0, &n), H2O_RESULT_USE_AFTER_CLOSE);
    OK(h2o_client_close(c)); /* idempotent */
    h2o_client_free(c);
    CHECK_EQ(r.completes, 0);
    /* a streamed body whose client was closed: writes fail cleanly */
    CHECK_EQ(h2o_request_write(g_stream_req, (const uint8_t *)"x", 1), H2O_RESULT_CANCELLED);
    CHECK_EQ(h2o_request_try_write(g_stream_req, (const uint8_t *)"x", 1), H2O_RESULT_WOULD_BLOCK);
    h2o_request_free(g_stream_req);
    for (int i = 0; i < MANY; i++) resp_destroy(&rs[i]);
    resp_destroy(&r);
    free(rs);
}

/* Two runtime threads, slow callbacks: close must wait for callbacks running on the
 * runtime threads, and none may start after it returns. */
static void test_close_waits_for_running_callbacks(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_new(&cfg));
    OK(h2o_config_set_runtime_threads(cfg, 2));
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    enum { N = 200 };
    resp_t *rs = calloc(N, sizeof *rs);
    atomic_store(&g_after_close, 0);
    atomic_store(&g_violations, 0);
    for (int i = 0; i < N; i++) {
        resp_init(&rs[i]);
        rs[i].after_close = &g_after_close;
        rs[i].violations = &g_violations;
        rs[i].slow_data_us = 2000;
        /* lanes 0 and 1: two connections, so both runtime threads deliver */
        h2o_request_t *req = NULL;
        OK(h2o_request_new("GET", url("/bytes/200000"), &req));
        OK(h2o_request_set_lane(req, (uint32_t)(i % 2)));
        OK(h2o_request_set_callbacks(req, &CALLBACKS, &rs[i]));
        OK(h2o_client_submit(c, req, NULL));
        h2o_request_free(req);
    }
    sleep_ms(150);
    OK(h2o_client_close(c));
    atomic_store(&g_after_close, 1);
    sleep_ms(100);
    CHECK_EQ(atomic_load(&g_violations), 0);
    int ok = 0, cancelled = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(rs[i].completes, 1);
        if (rs[i].result == H2O_RESULT_OK) ok++;
        if (rs[i].result == H2O_RESULT_CANCELLED) cancelled++;
    }
    CHECK_EQ(ok + cancelled, N);
    h2o_client_free(c);
    for (int i = 0; i < N; i++) resp_destroy(&rs[i]);
    free(rs);
}

/* close() while a slow callback runs on a runtime worker: it returns only after the
 * callback finished, and no callback starts afterwards. (Today the core's own shutdown
 * already waits for the worker; the callback gate makes it a guarantee of the C API.) */
static void test_close_waits_for_long_callback(void) {
    h2o_config_t *cfg = NULL;
    OK(h2o_config_new(&cfg));
    OK(h2o_config_set_runtime_threads(cfg, 2));
    h2o_client_t *c = NULL;
    OK(h2o_client_new(cfg, &c));
    h2o_config_free(cfg);
    resp_t r;
    resp_init(&r);
    atomic_store(&g_after_close, 0);
    atomic_store(&g_violations, 0);
    r.after_close = &g_after_close;
    r.violations = &g_violations;
    r.slow_data_us = 1000000;
    OK(submit_cb(c, "GET", "/bytes/20000", &r, NULL));
    double end = now_s() + 20;
    while (atomic_load(&r.entered) == 0 && now_s() < end) sleep_ms(1);
    CHECK(atomic_load(&r.entered) > 0);
    double t0 = now_s();
    OK(h2o_client_close(c));
    atomic_store(&g_after_close, 1);
    double dt = now_s() - t0;
    CHECK(dt > 0.5); /* it waited for the running 1 s callback */
    sleep_ms(50);
    CHECK_EQ(atomic_load(&g_violations), 0);
    CHECK_EQ(r.completes, 1);
    CHECK(r.result == H2O_RESULT_CANCELLED || r.result == H2O_RESULT_OK);
    h2o_client_free(c);
    resp_destroy(&r);
}

static void test_close_poll_mode_1000(void) {
    h2o_client_t *c = new_client();
    static int seen[MANY];
    static uint64_t ids[MANY];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < MANY; i++) {
        h2o_request_t *req = NULL;
        OK(h2o_request_new("GET", url("/delay/30000"), &req));
        OK(h2o_request_set_userdata(req, &seen[i]));
        OK(h2o_client_submit(c, req, &ids[i]));
        h2o_request_free(req);
    }
    sleep_ms(100);
    OK(h2o_client_close(c));
    h2o_event_t evs[64];
    size_t n = 0;
    int completes = 0;
    h2o_result rc;
    while ((rc = h2o_client_poll(c, evs, 64, 0, &n)) == H2O_RESULT_OK && n > 0) {
        for (size_t i = 0; i < n; i++) {
            if (evs[i].kind == H2O_EVENT_KIND_COMPLETE) {
                (*(int *)evs[i].userdata)++;
                completes++;
                CHECK_EQ(evs[i].result, H2O_RESULT_CANCELLED);
                CHECK(evs[i].error != NULL && evs[i].error->result == H2O_RESULT_CANCELLED);
            }
            OK(h2o_event_release(&evs[i]));
        }
    }
    CHECK_EQ(rc, H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(completes, MANY);
    for (int i = 0; i < MANY; i++) CHECK_EQ(seen[i], 1);
    h2o_client_free(c);
}

static void test_free_inside_callback(void) {
    h2o_client_t *c = new_client();
    resp_t a, b;
    resp_init(&a);
    resp_init(&b);
    atomic_store(&g_after_close, 0);
    atomic_store(&g_violations, 0);
    OK(submit_cb(c, "GET", "/delay/30000", &b, NULL));
    a.free_client_in_head = c;
    OK(submit_cb(c, "GET", "/hello", &a, NULL));
    CHECK(resp_wait(&a, 20) && resp_wait(&b, 20));
    /* a: freed in on_head, so its own completion came from the close (cancelled) */
    CHECK_EQ(a.completes, 1);
    CHECK_EQ(b.completes, 1);
    CHECK_EQ(b.result, H2O_RESULT_CANCELLED);
    sleep_ms(200);
    CHECK_EQ(a.completes, 1);
    CHECK_EQ(b.completes, 1);
    CHECK_EQ(a.data_calls, 0); /* nothing after the free */
    resp_destroy(&a);
    resp_destroy(&b);
}

static void test_free_inside_on_data(void) {
    h2o_client_t *c = new_client();
    resp_t a;
    resp_init(&a);
    a.free_client_in_data = c;
    OK(submit_cb(c, "GET", "/bytes/1000000", &a, NULL));
    CHECK(resp_wait(&a, 20));
    sleep_ms(200);
    CHECK_EQ(a.completes, 1);
    CHECK_EQ(a.result, H2O_RESULT_CANCELLED);
    CHECK_EQ(a.data_calls, 1);
    resp_destroy(&a);
}

static void *free_later(void *arg) {
    sleep_ms(100);
    h2o_client_free(arg);
    return NULL;
}

static void test_free_from_other_thread(void) {
    h2o_client_t *c = new_client();
    resp_t r[10];
    for (int i = 0; i < 10; i++) {
        resp_init(&r[i]);
        OK(submit_cb(c, "GET", "/delay/30000", &r[i], NULL));
    }
    pthread_t t;
    pthread_create(&t, NULL, free_later, c);
    pthread_join(t, NULL);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(r[i].completes, 1);
        CHECK_EQ(r[i].result, H2O_RESULT_CANCELLED);
        resp_destroy(&r[i]);
    }
}

#define THREADS 8
#define PER_THREAD 50
static atomic_int g_mt_ok;

static void mt_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    (void)ud;
    (void)err;
    if (result == H2O_RESULT_OK) atomic_fetch_add(&g_mt_ok, 1);
}

static void *submit_thread(void *arg) {
    h2o_client_t *c = arg;
    h2o_callbacks_t cbs = {NULL, NULL, NULL, NULL, mt_complete};
    for (int i = 0; i < PER_THREAD; i++) {
        h2o_request_t *req = NULL;
        if (h2o_request_new("GET", url("/hello"), &req) != H2O_RESULT_OK) return (void *)1;
        h2o_request_set_callbacks(req, &cbs, NULL);
        if (h2o_client_submit(c, req, NULL) != H2O_RESULT_OK) return (void *)1;
        h2o_request_free(req);
    }
    return NULL;
}

static void test_many_threads_submitting(void) {
    h2o_client_t *c = new_client();
    atomic_store(&g_mt_ok, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, submit_thread, c);
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        CHECK(ret == NULL);
    }
    double end = now_s() + 60;
    while (atomic_load(&g_mt_ok) < THREADS * PER_THREAD && now_s() < end) sleep_ms(5);
    CHECK_EQ(atomic_load(&g_mt_ok), THREADS * PER_THREAD);
    h2o_client_free(c);
}

static atomic_int g_race_ok_submits, g_race_completes;

static void race_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    (void)ud;
    (void)result;
    (void)err;
    atomic_fetch_add(&g_race_completes, 1);
}

static void *race_submitter(void *arg) {
    h2o_client_t *c = arg;
    h2o_callbacks_t cbs = {NULL, NULL, NULL, NULL, race_complete};
    for (;;) {
        h2o_request_t *req = NULL;
        if (h2o_request_new("GET", url("/delay/20"), &req) != H2O_RESULT_OK) return (void *)1;
        h2o_request_set_callbacks(req, &cbs, NULL);
        h2o_result rc = h2o_client_submit(c, req, NULL);
        h2o_request_free(req);
        if (rc == H2O_RESULT_OK) atomic_fetch_add(&g_race_ok_submits, 1);
        else if (rc == H2O_RESULT_USE_AFTER_CLOSE) return NULL;
        else return (void *)2;
    }
}

/* Threads submit while another closes: every submit returns OK or USE_AFTER_CLOSE, each
 * OK gets exactly one completion, and none arrives after close returned. */
static void test_submit_racing_close(void) {
    h2o_client_t *c = new_client();
    atomic_store(&g_race_ok_submits, 0);
    atomic_store(&g_race_completes, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, race_submitter, c);
    sleep_ms(100);
    OK(h2o_client_close(c));
    int at_close = atomic_load(&g_race_completes);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        CHECK(ret == NULL);
    }
    sleep_ms(100);
    CHECK(atomic_load(&g_race_ok_submits) > 0);
    CHECK_EQ(atomic_load(&g_race_completes), at_close);
    CHECK_EQ(atomic_load(&g_race_completes), atomic_load(&g_race_ok_submits));
    h2o_client_free(c);
}

typedef struct {
    h2o_client_t *c;
    atomic_int left, done;
} chain_t;

static void chain_complete(void *ud, h2o_result result, const h2o_error_t *err);
static const h2o_callbacks_t CHAIN = {NULL, NULL, NULL, NULL, chain_complete};

static void chain_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    chain_t *ch = ud;
    (void)err;
    if (result != H2O_RESULT_OK || atomic_fetch_sub(&ch->left, 1) <= 1) {
        atomic_store(&ch->done, 1);
        return;
    }
    h2o_request_t *req = NULL;
    h2o_request_new("GET", url("/hello"), &req);
    h2o_request_set_callbacks(req, &CHAIN, ch);
    if (h2o_client_submit(ch->c, req, NULL) != H2O_RESULT_OK) atomic_store(&ch->done, 2);
    h2o_request_free(req);
}

static void test_submit_from_callback(void) {
    chain_t ch;
    ch.c = new_client();
    atomic_store(&ch.left, 10);
    atomic_store(&ch.done, 0);
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", url("/hello"), &req));
    OK(h2o_request_set_callbacks(req, &CHAIN, &ch));
    OK(h2o_client_submit(ch.c, req, NULL));
    h2o_request_free(req);
    double end = now_s() + 30;
    while (!atomic_load(&ch.done) && now_s() < end) sleep_ms(5);
    CHECK_EQ(atomic_load(&ch.done), 1);
    CHECK_EQ(atomic_load(&ch.left), 0);
    h2o_client_free(ch.c);
}

/* *out_id: a distinct non-zero id for each submitted request, 0 when submission fails. */
static void test_submit_id_out(void) {
    enum { N = 200 };
    h2o_client_t *c = new_client();
    uint64_t ids[N];
    h2o_event_t evs[64];
    for (int i = 0; i < N; i++) {
        h2o_request_t *req = NULL;
        OK(h2o_request_new("GET", url("/hello"), &req));
        ids[i] = 0;
        OK(h2o_client_submit(c, req, &ids[i]));
        CHECK(ids[i] != 0);
        for (int k = 0; k < i; k++) CHECK(ids[k] != ids[i]);
        /* Submitted twice: refused, and the id says so. */
        uint64_t again = 777;
        CHECK_EQ(h2o_client_submit(c, req, &again), H2O_RESULT_ALREADY_SUBMITTED);
        CHECK_EQ(again, 0);
        h2o_request_free(req);
    }
    int completes = 0;
    double end = now_s() + 30;
    while (completes < N && now_s() < end) {
        size_t n = 0;
        OK(h2o_client_poll(c, evs, 64, 100, &n));
        for (size_t i = 0; i < n; i++) {
            if (evs[i].kind == H2O_EVENT_KIND_COMPLETE) completes++;
            OK(h2o_event_release(&evs[i]));
        }
    }
    CHECK_EQ(completes, N);
    OK(h2o_client_close(c));
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", url("/hello"), &req));
    uint64_t id = 12345;
    CHECK_EQ(h2o_client_submit(c, req, &id), H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(id, 0);
    h2o_request_free(req);
    h2o_client_free(c);
}

/* h2o_client_submit_copy: one template, many requests. Each copy is its own request (own
 * id, own userdata, own completion) with the template's method, URL, headers, body and
 * callbacks; the template stays unsubmitted and can still be changed or submitted. */
static void test_submit_copy(void) {
    enum { N = 3 };
    h2o_client_t *c = new_client();
    resp_t r[N + 1];
    for (int i = 0; i <= N; i++) resp_init(&r[i]);
    h2o_request_t *tpl = NULL;
    OK(h2o_request_new("POST", url("/sha256"), &tpl));
    OK(h2o_request_set_body(tpl, (const uint8_t *)"abc", 3));
    OK(h2o_request_set_callbacks(tpl, &CALLBACKS, &r[N]));
    uint64_t ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = 0;
        OK(h2o_client_submit_copy(c, tpl, &r[i], &ids[i]));
        CHECK(ids[i] != 0);
        for (int k = 0; k < i; k++) CHECK(ids[k] != ids[i]);
    }
    uint64_t tid = 0;
    CHECK_EQ(h2o_request_id(tpl, &tid), H2O_RESULT_INVALID_STATE); /* never submitted */
    for (int i = 0; i < N; i++) {
        CHECK(resp_wait(&r[i], 20));
        CHECK_EQ(r[i].result, H2O_RESULT_OK);
        CHECK_EQ(r[i].status, 200);
        CHECK(strstr(r[i].body, "\"len\":3") != NULL);
        CHECK(strstr(r[i].body, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != NULL);
    }
    /* The template can still change, and then be submitted itself, once. */
    OK(h2o_request_add_header(tpl, (const uint8_t *)"x-after", 7, (const uint8_t *)"1", 1));
    OK(h2o_client_submit(c, tpl, &tid));
    CHECK(resp_wait(&r[N], 20));
    CHECK_EQ(r[N].result, H2O_RESULT_OK);
    sleep_ms(20);
    for (int i = 0; i <= N; i++) CHECK_EQ(r[i].completes, 1);
    uint64_t id = 777;
    CHECK_EQ(h2o_client_submit_copy(c, tpl, NULL, &id), H2O_RESULT_ALREADY_SUBMITTED);
    CHECK_EQ(id, 0);
    h2o_request_free(tpl);

    /* Poll mode: events carry the copy's userdata and id, not the template's. */
    int tags[2] = {1, 2};
    OK(h2o_request_new("GET", url("/hello"), &tpl));
    OK(h2o_request_set_userdata(tpl, &tags[0]));
    OK(h2o_client_submit_copy(c, tpl, &tags[1], &id));
    h2o_request_free(tpl); /* the copy runs on */
    int completes = 0;
    h2o_event_t evs[8];
    double end = now_s() + 20;
    while (completes == 0 && now_s() < end) {
        size_t n = 0;
        OK(h2o_client_poll(c, evs, 8, 100, &n));
        for (size_t i = 0; i < n; i++) {
            CHECK(evs[i].userdata == &tags[1]);
            CHECK_EQ(evs[i].request_id, id);
            if (evs[i].kind == H2O_EVENT_KIND_COMPLETE) {
                completes++;
                CHECK_EQ(evs[i].result, H2O_RESULT_OK);
            }
            OK(h2o_event_release(&evs[i]));
        }
    }
    CHECK_EQ(completes, 1);

    /* A streamed body belongs to one request: it cannot be copied. */
    OK(h2o_request_new("POST", url("/sha256"), &tpl));
    OK(h2o_request_set_body_stream(tpl));
    id = 777;
    CHECK_EQ(h2o_client_submit_copy(c, tpl, NULL, &id), H2O_RESULT_INVALID_STATE);
    CHECK_EQ(id, 0);
    CHECK(strstr(h2o_last_error_message(), "streamed") != NULL);
    h2o_request_free(tpl);

    OK(h2o_request_new("GET", url("/hello"), &tpl));
    CHECK_EQ(h2o_client_submit_copy(NULL, tpl, NULL, &id), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_client_submit_copy(c, NULL, NULL, &id), H2O_RESULT_NULL_ARGUMENT);
    OK(h2o_client_close(c));
    id = 777;
    CHECK_EQ(h2o_client_submit_copy(c, tpl, NULL, &id), H2O_RESULT_USE_AFTER_CLOSE);
    CHECK_EQ(id, 0);
    h2o_request_free(tpl);
    h2o_client_free(c);
    for (int i = 0; i <= N; i++) resp_destroy(&r[i]);
}

/* h2o_request_free keeps the handle for the thread's next h2o_request_new: the new request
 * must start clean, with none of the freed one's body, callbacks or userdata. */
static void test_new_request_starts_clean(void) {
    h2o_client_t *c = new_client();
    resp_t old_resp;
    resp_init(&old_resp);
    for (int round = 0; round < 3; round++) {
        h2o_request_t *old = NULL;
        OK(h2o_request_new("POST", url("/sha256"), &old));
        OK(h2o_request_set_body(old, (const uint8_t *)"abc", 3));
        OK(h2o_request_set_callbacks(old, &CALLBACKS, &old_resp));
        if (round == 1) { /* a submitted one too */
            OK(h2o_client_submit(c, old, NULL));
            CHECK(resp_wait(&old_resp, 20));
            CHECK(strstr(old_resp.body, "\"len\":3") != NULL);
        }
        h2o_request_free(old);

        h2o_request_t *req = NULL;
        OK(h2o_request_new("POST", url("/sha256"), &req));
        int tag = round;
        uint64_t id = 0;
        OK(h2o_request_set_userdata(req, &tag));
        OK(h2o_client_submit(c, req, &id));
        h2o_request_free(req);
        /* No callbacks: every event comes to the poll queue, for this request. */
        char body[256] = {0};
        size_t body_len = 0;
        int completes = 0;
        double end = now_s() + 20;
        h2o_event_t evs[8];
        while (!completes && now_s() < end) {
            size_t n = 0;
            OK(h2o_client_poll(c, evs, 8, 100, &n));
            for (size_t i = 0; i < n; i++) {
                h2o_event_t *e = &evs[i];
                CHECK_EQ(e->request_id, id);
                CHECK(e->userdata == &tag);
                if (e->kind == H2O_EVENT_KIND_DATA && body_len + e->data_len < sizeof body) {
                    memcpy(body + body_len, e->data, e->data_len);
                    body_len += e->data_len;
                }
                if (e->kind == H2O_EVENT_KIND_COMPLETE) {
                    completes++;
                    CHECK_EQ(e->result, H2O_RESULT_OK);
                }
                OK(h2o_event_release(e));
            }
        }
        CHECK_EQ(completes, 1);
        CHECK(strstr(body, "\"len\":0") != NULL); /* the old body is gone */
    }
    CHECK_EQ(old_resp.completes, 1); /* only the one submitted with callbacks */
    h2o_client_free(c);
    resp_destroy(&old_resp);
}

static void test_multiplex_100(void) {
    h2o_client_t *c = new_client();
    resp_t *rs = calloc(100, sizeof *rs);
    for (int i = 0; i < 100; i++) {
        resp_init(&rs[i]);
        OK(submit_cb(c, "GET", "/bytes/20000", &rs[i], NULL));
    }
    for (int i = 0; i < 100; i++) {
        CHECK(resp_wait(&rs[i], 60));
        CHECK_EQ(rs[i].result, H2O_RESULT_OK);
        CHECK_EQ(rs[i].body_len, 20000);
    }
    h2o_client_free(c);
    for (int i = 0; i < 100; i++) resp_destroy(&rs[i]);
    free(rs);
}

static void test_null_callbacks_members(void) {
    /* a request with every callback NULL still runs and completes silently */
    h2o_client_t *c = new_client();
    h2o_callbacks_t none = {NULL, NULL, NULL, NULL, NULL};
    h2o_request_t *req = NULL;
    OK(h2o_request_new("GET", url("/bytes/100000"), &req));
    OK(h2o_request_set_callbacks(req, &none, NULL));
    OK(h2o_client_submit(c, req, NULL));
    h2o_request_free(req);
    sleep_ms(200);
    h2o_client_free(c);
}

typedef struct {
    const char *name;
    void (*fn)(void);
} test_t;

/* Metrics count a known workload exactly; the JSON forms and the debug dump are
 * returned as owned strings that list what they should. */
static void test_metrics_and_debug_dump(void) {
    h2o_client_t *c = new_client();
    CHECK(c != NULL);
    enum { N = 5 };
    for (int i = 0; i < N; i++) {
        resp_t r;
        resp_init(&r);
        OK(submit_cb(c, "GET", "/bytes/1000", &r, NULL));
        CHECK(resp_wait(&r, 20));
        CHECK_EQ(r.result, H2O_RESULT_OK);
        resp_destroy(&r);
    }
    h2o_metrics_t m;
    memset(&m, 0xff, sizeof m);
    OK(h2o_client_metrics(c, &m));
    CHECK_EQ(m.requests_completed, N);
    CHECK_EQ(m.latency_count, N);
    CHECK_EQ(m.body_bytes_received, N * 1000);
    CHECK_EQ(m.requests_failed, 0);
    CHECK_EQ(m.errors[H2O_RESULT_CONNECT], 0);
    CHECK(m.latency_p50_us <= m.latency_p99_us && m.latency_p99_us <= m.latency_max_us);
    CHECK(m.latency_max_us > 0);
    CHECK_EQ(m.connections_open, 1);
    CHECK(m.uptime_seconds > 0);

    char *json = NULL;
    OK(h2o_client_metrics_json(c, &json));
    CHECK(json != NULL && json[0] == '{');
    CHECK(strstr(json, "\"completed\":5") != NULL);
    CHECK(strstr(json, "\"body_received\":5000") != NULL);
    h2o_string_free(json);
    char *prom = NULL;
    OK(h2o_client_metrics_prometheus(c, &prom));
    CHECK(strstr(prom, "\nh2o_requests_total 5\n") != NULL);
    CHECK(strstr(prom, "h2o_request_duration_seconds_count 5\n") != NULL);
    h2o_string_free(prom);

    /* one request in flight on /delay: the dump lists its stream */
    resp_t slow;
    resp_init(&slow);
    uint64_t id = 0;
    OK(submit_cb(c, "GET", "/delay/600", &slow, &id));
    double end = now_s() + 5;
    do {
        sleep_ms(5);
        OK(h2o_client_metrics(c, &m));
    } while (m.open_streams == 0 && now_s() < end);
    CHECK_EQ(m.open_streams, 1);
    char *dump = NULL;
    OK(h2o_client_debug_dump(c, &dump));
    char want[64];
    snprintf(want, sizeof want, "\"request_id\":%llu,", (unsigned long long)id);
    CHECK(strstr(dump, "\"state\":\"open\"") != NULL);
    CHECK(strstr(dump, want) != NULL);
    CHECK(strstr(dump, "\"state\":\"half_closed_local\"") != NULL);
    h2o_string_free(dump);
    CHECK(resp_wait(&slow, 20));
    CHECK_EQ(slow.result, H2O_RESULT_OK);
    resp_destroy(&slow);

    CHECK_EQ(h2o_client_metrics_json(c, NULL), H2O_RESULT_NULL_ARGUMENT);
    CHECK_EQ(h2o_client_debug_dump(NULL, &dump), H2O_RESULT_NULL_ARGUMENT);
    h2o_string_free(NULL);
    OK(h2o_client_close(c));
    CHECK_EQ(h2o_client_metrics(c, &m), H2O_RESULT_USE_AFTER_CLOSE);
    h2o_client_free(c);
}

#define T(f) {#f, f}
static const test_t TESTS[] = {
    T(test_version),
    T(test_strerror),
    T(test_null_arguments),
    T(test_config),
    T(test_config_from_json),
    T(test_config_every_setter),
    T(test_config_from_env),
    T(test_bad_urls_and_methods),
    T(test_invalid_utf8),
    T(test_bad_headers),
    T(test_get_callbacks),
    T(test_trailers_and_status),
    T(test_head_headers),
    T(test_post_body),
    T(test_streamed_upload),
    T(test_try_write_would_block),
    T(test_connect_error),
    T(test_poll_mode),
    T(test_poll_timeouts),
    T(test_poll_infinite_wait_ends_on_close),
    T(test_wakeup_fd),
    T(test_cancel_from_other_thread),
    T(test_pause_resume),
    T(test_close_with_1000_in_flight),
    T(test_close_poll_mode_1000),
    T(test_close_waits_for_running_callbacks),
    T(test_close_waits_for_long_callback),
    T(test_free_inside_callback),
    T(test_free_inside_on_data),
    T(test_free_from_other_thread),
    T(test_many_threads_submitting),
    T(test_submit_from_callback),
    T(test_submit_racing_close),
    T(test_submit_id_out),
    T(test_submit_copy),
    T(test_new_request_starts_clean),
    T(test_multiplex_100),
    T(test_null_callbacks_members),
    T(test_metrics_and_debug_dump),
};

int main(int argc, char **argv) {
    const char *port = getenv("H2O_TEST_PORT");
    if (!port) {
        fprintf(stderr, "H2O_TEST_PORT is not set (run tests/c/run.sh)\n");
        return 2;
    }
    snprintf(g_base, sizeof g_base, "http://127.0.0.1:%s", port);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof TESTS / sizeof TESTS[0]; i++) {
        if (argc > 1 && !strstr(TESTS[i].name, argv[1])) continue;
        int before = g_failed_checks;
        double t0 = now_s();
        TESTS[i].fn();
        int ok = g_failed_checks == before;
        printf("%s %s (%.0f ms)\n", ok ? "ok  " : "FAIL", TESTS[i].name, (now_s() - t0) * 1e3);
        fflush(stdout);
        if (ok) passed++;
        else failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
