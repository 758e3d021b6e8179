/* C tests of h2o_set_log_callback: frame traces arrive at TRACE level, sensitive header
 * values are redacted, the level filter applies, and no call happens after removal.
 * Needs H2O_TEST_PORT (tests/c/run.sh starts the test server). Usage: test_log [name].
 * The last line is "N passed, M failed"; the exit code is non-zero on any failure. */
#define _GNU_SOURCE
#include "h2o.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#define OK(call)                                                                          \
    do {                                                                                  \
        h2o_result rc_ = (call);                                                          \
        if (rc_ != H2O_RESULT_OK) {                                                       \
            fprintf(stderr, "  check failed %s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, \
                    #call, (int)rc_, h2o_last_error_message());                           \
            g_failed_checks++;                                                            \
            return;                                                                       \
        }                                                                                 \
    } while (0)

/* Everything the callback saw, appended under a lock. */
typedef struct {
    pthread_mutex_t mu;
    char *text;
    size_t len, cap;
    int calls, max_level_seen, bad_level;
    atomic_int after_removal; /* set once removal returned: a call then is a violation */
    atomic_int violations;
} logbuf_t;

static logbuf_t g_log = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0};

static void append(logbuf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096);
        while (cap < b->len + n + 1) cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t) return;
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

static void on_log(void *ud, uint32_t level, const char *target, size_t tlen, const char *msg, size_t mlen) {
    logbuf_t *b = ud;
    if (atomic_load(&b->after_removal)) atomic_fetch_add(&b->violations, 1);
    pthread_mutex_lock(&b->mu);
    b->calls++;
    if (level < H2O_LOG_ERROR || level > H2O_LOG_TRACE) b->bad_level++;
    if ((int)level > b->max_level_seen) b->max_level_seen = (int)level;
    char head[16];
    int n = snprintf(head, sizeof head, "%u ", level);
    append(b, head, (size_t)n);
    append(b, target, tlen);
    append(b, " ", 1);
    append(b, msg, mlen);
    append(b, "\n", 1);
    pthread_mutex_unlock(&b->mu);
}

static void log_reset(void) {
    pthread_mutex_lock(&g_log.mu);
    g_log.len = 0;
    if (g_log.text) g_log.text[0] = '\0';
    g_log.calls = g_log.max_level_seen = g_log.bad_level = 0;
    pthread_mutex_unlock(&g_log.mu);
    atomic_store(&g_log.after_removal, 0);
    atomic_store(&g_log.violations, 0);
}

static int log_contains(const char *needle) {
    pthread_mutex_lock(&g_log.mu);
    int found = g_log.text && strstr(g_log.text, needle) != NULL;
    pthread_mutex_unlock(&g_log.mu);
    return found;
}

typedef struct {
    atomic_int done;
    h2o_result result;
    int status;
} resp_t;

static void on_head(void *ud, uint16_t status, const h2o_header_t *h, size_t n) {
    (void)h;
    (void)n;
    ((resp_t *)ud)->status = status;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    (void)err;
    resp_t *r = ud;
    r->result = result;
    atomic_store(&r->done, 1);
}

static const h2o_callbacks_t CALLBACKS = {NULL, on_head, NULL, NULL, on_complete};

static h2o_result add_header(h2o_request_t *req, const char *name, const char *value) {
    return h2o_request_add_header(req, (const uint8_t *)name, strlen(name), (const uint8_t *)value, strlen(value));
}

/* GET base+path with an authorization header; 1 when it completed with 200. */
static int get_with_secret(const char *path) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    h2o_client_t *c = NULL;
    h2o_config_t *cfg = NULL;
    if (h2o_config_new(&cfg) != H2O_RESULT_OK) return 0;
    h2o_result rc = h2o_client_new(cfg, &c);
    h2o_config_free(cfg);
    if (rc != H2O_RESULT_OK) return 0;
    resp_t r = {0};
    h2o_request_t *req = NULL;
    rc = h2o_request_new("GET", url, &req);
    if (rc == H2O_RESULT_OK) rc = add_header(req, "authorization", "secret");
    if (rc == H2O_RESULT_OK) rc = add_header(req, "cookie", "session=hunter2");
    if (rc == H2O_RESULT_OK) rc = h2o_request_set_callbacks(req, &CALLBACKS, &r);
    uint64_t id = 0;
    if (rc == H2O_RESULT_OK) rc = h2o_client_submit(c, req, &id);
    h2o_request_free(req);
    for (int i = 0; rc == H2O_RESULT_OK && i < 5000 && !atomic_load(&r.done); i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    h2o_client_free(c);
    return rc == H2O_RESULT_OK && atomic_load(&r.done) && r.result == H2O_RESULT_OK && r.status == 200;
}

static void test_frame_traces_and_redaction(void) {
    log_reset();
    OK(h2o_set_log_callback(on_log, &g_log, H2O_LOG_TRACE));
    int ok = get_with_secret("/hello");
    OK(h2o_set_log_callback(NULL, NULL, 0));
    atomic_store(&g_log.after_removal, 1);
    CHECK(ok);
    if (!log_contains("send HEADERS frame <length=")) fprintf(stderr, "%s\n", g_log.text ? g_log.text : "(nothing)");
    CHECK(log_contains("5 h2o::proto::frame send HEADERS frame <length="));
    CHECK(log_contains("stream_id=1>"));
    CHECK(log_contains(":method: GET"));
    CHECK(log_contains("authorization: <redacted>"));
    CHECK(log_contains("cookie: <redacted>"));
    CHECK(!log_contains("secret"));
    CHECK(!log_contains("hunter2"));
    CHECK(log_contains("5 h2o::proto::frame recv HEADERS frame <length="));
    CHECK(log_contains(":status: 200"));
    CHECK(log_contains("5 h2o::proto::frame recv DATA frame <length=13, flags=0x01, stream_id=1>"));
    /* DEBUG events with structured fields (request id as correlation id). */
    CHECK(log_contains("4 h2o::transport connected"));
    CHECK(log_contains("4 h2o::proto stream opened"));
    CHECK(log_contains("request="));
    CHECK(g_log.bad_level == 0);
    CHECK(g_log.max_level_seen == H2O_LOG_TRACE);
}

static void test_level_filter(void) {
    log_reset();
    OK(h2o_set_log_callback(on_log, &g_log, H2O_LOG_DEBUG));
    int ok = get_with_secret("/hello");
    OK(h2o_set_log_callback(NULL, NULL, 0));
    CHECK(ok);
    CHECK(g_log.calls > 0);
    CHECK(g_log.max_level_seen == H2O_LOG_DEBUG);
    CHECK(!log_contains("frame <length="));
}

static void test_no_calls_after_removal(void) {
    log_reset();
    OK(h2o_set_log_callback(on_log, &g_log, H2O_LOG_TRACE));
    OK(h2o_set_log_callback(NULL, NULL, 0));
    atomic_store(&g_log.after_removal, 1);
    int ok = get_with_secret("/hello");
    CHECK(ok);
    CHECK(g_log.calls == 0);
    CHECK(atomic_load(&g_log.violations) == 0);
    /* max_level 0 also removes it. */
    OK(h2o_set_log_callback(on_log, &g_log, 0));
    CHECK(get_with_secret("/hello"));
    CHECK(g_log.calls == 0);
}

/* Removing the callback while requests log on the runtime threads: once removal
 * returned, the callback never runs again. */
static void *requester(void *arg) {
    (void)arg;
    for (int i = 0; i < 5; i++) get_with_secret("/hello");
    return NULL;
}

static void test_removal_races_logging(void) {
    log_reset();
    OK(h2o_set_log_callback(on_log, &g_log, H2O_LOG_TRACE));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, requester, NULL) == 0);
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    OK(h2o_set_log_callback(NULL, NULL, 0));
    atomic_store(&g_log.after_removal, 1);
    pthread_join(t, NULL);
    CHECK(g_log.calls > 0);
    CHECK(atomic_load(&g_log.violations) == 0);
}

static const struct {
    const char *name;
    void (*fn)(void);
} TESTS[] = {
    {"frame_traces_and_redaction", test_frame_traces_and_redaction},
    {"level_filter", test_level_filter},
    {"no_calls_after_removal", test_no_calls_after_removal},
    {"removal_races_logging", test_removal_races_logging},
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
        TESTS[i].fn();
        int ok = g_failed_checks == before;
        printf("%s %s\n", ok ? "ok  " : "FAIL", TESTS[i].name);
        fflush(stdout);
        if (ok) passed++;
        else failed++;
    }
    free(g_log.text);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
