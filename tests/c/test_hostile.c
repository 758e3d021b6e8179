/* The hostile-server catalogue (tests/e2e/src/catalogue.rs) driven through the C API.
 *
 * tests/c/run.sh starts tests/e2e's hostile_server and exports its control port as
 * H2O_HOSTILE_PORT (missing: the test fails, it never skips). The server lists the
 * scenarios with their client config (JSON for h2o_config_from_json), request count,
 * stagger, POST body size, timeout and the expected outcome of every request; it serves
 * one scenario per "start" and judges what the client wrote on "check". So scripts and
 * expectations are single-sourced with the Rust runner (make conformance).
 *
 * Per scenario and mode (callbacks, poll): every request must complete exactly once, with
 * the expected result (h2o_result kind and RFC 9113 error code, or OK with the expected
 * status and the whole body delivered), within the scenario's timeout (times
 * H2O_HOSTILE_TIMEOUT_SCALE, for valgrind); the server's verdict on the client's frames
 * must be "pass"; nothing may arrive after the completion, also not after h2o_client_free.
 * Memory errors and leaks are the sanitizer's / valgrind's to report.
 *
 * Usage: test_hostile [--valgrind] [--poll-every N] [name-substring]
 *   --valgrind       the server's valgrind list: all but a few floods whose expectation
 *                    needs native speed (listed with the reason; they run in the other modes)
 *   --poll-every N   poll mode for every Nth scenario (default 1: all); callbacks for all
 *   --close-early    also run each scenario with the client closed, or every request
 *                    cancelled, 0/10/20 ms after the last submit (callbacks and poll
 *                    alternating): every request must still complete exactly once, with its
 *                    expected outcome or CANCELLED
 *   --pause          also run each scenario with on_data returning H2O_DATA_PAUSE for every
 *                    chunk and h2o_client_resume every 5 ms: the same expectations
 * H2O_TEST_RUNTIME_THREADS=N runs the clients on N runtime threads.
 * The last line is "N passed, M failed"; the exit code is non-zero on any failure. */
#define _GNU_SOURCE
#include "h2o.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQ 16
#define MAX_SCENARIOS 512

typedef struct {
    char name[128];
    char group[32];
    int requests;
    int stagger_ms;
    size_t post_body;
    int timeout_ms;
    int n_expect;
    /* ok: kind 0, status; fail: kind = h2o_result, code (-1: any) */
    int exp_kind[MAX_REQ], exp_status[MAX_REQ];
    long exp_code[MAX_REQ];
    char *json;
} scenario_t;

typedef struct {
    int status;
    int heads;
    size_t body;
    int completes; /* must end at exactly 1 */
    int late;      /* events after the completion */
    int disorder;  /* informational after head, data/trailers before head, data after trailers */
    int trailers;
    int bad_error; /* h2o_error_t missing, present on success, or inconsistent */
    h2o_result result;
    int has_code;
    unsigned code;
    char message[160];
} outcome_t;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    outcome_t out[MAX_REQ];
    int done;
    int pause; /* on_data returns H2O_DATA_PAUSE; the waiting loop resumes every 5 ms */
} run_t;

static FILE *g_ctl;
static double g_scale = 1.0;
static int g_runtime_threads;

/* ---------- control connection ---------- */

static int ctl_connect(const char *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    g_ctl = fdopen(fd, "r+");
    return g_ctl ? 0 : -1;
}

/* Sends a command and reads one reply line (newline stripped) into buf. */
static int ctl(const char *cmd, const char *arg, char *buf, size_t cap) {
    fprintf(g_ctl, "%s%s%s\n", cmd, arg ? " " : "", arg ? arg : "");
    fflush(g_ctl);
    if (!fgets(buf, (int)cap, g_ctl)) return -1;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

static int parse_expect(scenario_t *s, char *tokens) {
    char *save = NULL;
    s->n_expect = 0;
    for (char *t = strtok_r(tokens, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (s->n_expect == MAX_REQ) return -1;
        int i = s->n_expect++;
        if (strncmp(t, "ok:", 3) == 0) {
            s->exp_kind[i] = 0;
            s->exp_status[i] = atoi(t + 3);
        } else if (strncmp(t, "fail:", 5) == 0) {
            char *code = strchr(t + 5, ':');
            if (!code) return -1;
            s->exp_kind[i] = atoi(t + 5);
            s->exp_code[i] = code[1] == '-' ? -1 : atol(code + 1);
        } else {
            return -1;
        }
    }
    return s->n_expect > 0 ? 0 : -1;
}

/* Reads "list [valgrind]" into out[]; returns the count or -1. Prints the scenarios not
 * expressible through the C API (counted as failures) and those excluded from the subset. */
static int load(const char *subset, scenario_t *out, int *skipped, int *excluded) {
    static char line[1 << 16];
    fprintf(g_ctl, "list%s%s\n", subset ? " " : "", subset ? subset : "");
    fflush(g_ctl);
    int n = 0;
    *skipped = 0;
    *excluded = 0;
    while (fgets(line, sizeof line, g_ctl)) {
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line, "end") == 0) return n;
        char *f[9];
        int nf = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, "\t", &save); t && nf < 9; t = strtok_r(NULL, "\t", &save)) f[nf++] = t;
        if (nf == 3 && strcmp(f[0], "skip") == 0) {
            printf("not expressible through the C API: %s: %s\n", f[1], f[2]);
            (*skipped)++;
            continue;
        }
        if (nf == 3 && strcmp(f[0], "excluded") == 0) {
            printf("not run in this mode: %s: %s\n", f[1], f[2]);
            (*excluded)++;
            continue;
        }
        if (nf != 9 || strcmp(f[0], "scenario") != 0 || n == MAX_SCENARIOS) {
            fprintf(stderr, "bad manifest line: %s\n", line);
            return -1;
        }
        scenario_t *s = &out[n];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", f[1]);
        snprintf(s->group, sizeof s->group, "%s", f[2]);
        s->requests = atoi(f[3]);
        s->stagger_ms = atoi(f[4]);
        s->post_body = (size_t)atol(f[5]);
        s->timeout_ms = atoi(f[6]);
        if (s->requests < 1 || s->requests > MAX_REQ || parse_expect(s, f[7]) != 0) {
            fprintf(stderr, "bad manifest line for %s\n", f[1]);
            return -1;
        }
        s->json = strdup(f[8]);
        n++;
    }
    fprintf(stderr, "manifest ended without 'end'\n");
    return -1;
}

/* ---------- checks shared by both modes ---------- */

/* Reads every byte the library hands over: ASan/valgrind check its pointers and lengths. */
static void touch(const uint8_t *p, size_t n) {
    volatile uint8_t sum = 0;
    for (size_t k = 0; k < n; k++) sum ^= p[k];
    (void)sum;
}

static void touch_headers(const h2o_header_t *h, size_t n) {
    for (size_t k = 0; k < n; k++) {
        touch(h[k].name, h[k].name_len);
        touch(h[k].value, h[k].value_len);
    }
}

/* Each event, in the order the API promises: informational*, head, data*, trailers?, complete. */
static void saw_informational(outcome_t *o, const h2o_header_t *h, size_t n) {
    touch_headers(h, n);
    if (o->completes) o->late++;
    if (o->heads) o->disorder++;
}

static void saw_head(outcome_t *o, uint16_t status, const h2o_header_t *h, size_t n) {
    touch_headers(h, n);
    if (o->completes) o->late++;
    o->status = status;
    o->heads++;
}

static void saw_data(outcome_t *o, const uint8_t *data, size_t len) {
    touch(data, len);
    if (o->completes) o->late++;
    if (!o->heads || o->trailers) o->disorder++;
    o->body += len;
}

static void saw_trailers(outcome_t *o, const h2o_header_t *h, size_t n) {
    touch_headers(h, n);
    if (o->completes) o->late++;
    if (!o->heads) o->disorder++;
    o->trailers++;
}

/* ---------- callbacks mode ---------- */

typedef struct {
    run_t *run;
    int i;
} slot_t;

static void on_informational(void *ud, uint16_t status, const h2o_header_t *h, size_t n) {
    (void)status;
    slot_t *sl = ud;
    pthread_mutex_lock(&sl->run->mu);
    saw_informational(&sl->run->out[sl->i], h, n);
    pthread_mutex_unlock(&sl->run->mu);
}

static void on_head(void *ud, uint16_t status, const h2o_header_t *h, size_t n) {
    slot_t *sl = ud;
    pthread_mutex_lock(&sl->run->mu);
    saw_head(&sl->run->out[sl->i], status, h, n);
    pthread_mutex_unlock(&sl->run->mu);
}

static int on_data(void *ud, const uint8_t *data, size_t len) {
    slot_t *sl = ud;
    pthread_mutex_lock(&sl->run->mu);
    saw_data(&sl->run->out[sl->i], data, len);
    int pause = sl->run->pause;
    pthread_mutex_unlock(&sl->run->mu);
    return pause ? H2O_DATA_PAUSE : H2O_DATA_CONTINUE;
}

static void on_trailers(void *ud, const h2o_header_t *h, size_t n) {
    slot_t *sl = ud;
    pthread_mutex_lock(&sl->run->mu);
    saw_trailers(&sl->run->out[sl->i], h, n);
    pthread_mutex_unlock(&sl->run->mu);
}

static void record_complete(outcome_t *o, h2o_result r, const h2o_error_t *e) {
    o->completes++;
    if (o->completes > 1) return;
    o->result = r;
    /* The error details: NULL exactly on success, consistent with the result, and a
     * NUL-terminated message of message_len bytes. */
    if ((r == H2O_RESULT_OK) != (e == NULL)) o->bad_error = 1;
    if (e) {
        o->has_code = e->has_h2_error_code;
        o->code = e->h2_error_code;
        snprintf(o->message, sizeof o->message, "%.*s", (int)e->message_len, e->message);
        if (e->result != r || !e->message || strlen(e->message) != e->message_len) o->bad_error = 1;
    }
}

static void on_complete(void *ud, h2o_result r, const h2o_error_t *e) {
    slot_t *sl = ud;
    pthread_mutex_lock(&sl->run->mu);
    record_complete(&sl->run->out[sl->i], r, e);
    if (sl->run->out[sl->i].completes == 1) sl->run->done++;
    pthread_cond_broadcast(&sl->run->cv);
    pthread_mutex_unlock(&sl->run->mu);
}

/* ---------- one scenario ---------- */


#define FAIL(...)                                  \
    do {                                           \
        fprintf(stderr, "  %s [%s]: ", s->name, mode); \
        fprintf(stderr, __VA_ARGS__);              \
        fprintf(stderr, "\n");                     \
        bad++;                                     \
    } while (0)

static int submit_all(const scenario_t *s, h2o_client_t *c, int poll_mode, slot_t *slots, uint64_t *ids,
                      int port, h2o_result *submit_err) {
    static uint8_t *body;
    static size_t body_cap;
    if (s->post_body > body_cap) {
        free(body);
        body = malloc(s->post_body);
        memset(body, 'p', s->post_body);
        body_cap = s->post_body;
    }
    h2o_callbacks_t cbs = {on_informational, on_head, on_data, on_trailers, on_complete};
    for (int i = 0; i < s->requests; i++) {
        if (i == 1 && s->stagger_ms > 0) sleep_ms(s->stagger_ms);
        char u[96];
        h2o_request_t *rq = NULL;
        h2o_result r;
        if (s->post_body > 0) {
            snprintf(u, sizeof u, "http://127.0.0.1:%d/", port);
            r = h2o_request_new("POST", u, &rq);
            if (r == H2O_RESULT_OK) r = h2o_request_set_body(rq, body, s->post_body);
        } else {
            snprintf(u, sizeof u, "http://127.0.0.1:%d/%d", port, i);
            r = h2o_request_new("GET", u, &rq);
        }
        if (r == H2O_RESULT_OK)
            r = poll_mode ? h2o_request_set_userdata(rq, &slots[i]) : h2o_request_set_callbacks(rq, &cbs, &slots[i]);
        if (r == H2O_RESULT_OK) r = h2o_client_submit(c, rq, &ids[i]);
        h2o_request_free(rq); /* never cancels a submitted request */
        if (r != H2O_RESULT_OK) {
            *submit_err = r;
            return i;
        }
    }
    return s->requests;
}

/* Poll mode: handles every waiting event (waiting up to timeout_ms for the first). */
static h2o_result poll_events(h2o_client_t *c, run_t *run, int timeout_ms) {
    h2o_event_t ev[16];
    size_t n = 0;
    h2o_result r = h2o_client_poll(c, ev, 16, timeout_ms, &n);
    if (r != H2O_RESULT_OK) return r;
    for (size_t k = 0; k < n; k++) {
        slot_t *sl = ev[k].userdata;
        outcome_t *o = &run->out[sl->i];
        switch (ev[k].kind) {
        case H2O_EVENT_KIND_INFORMATIONAL:
            saw_informational(o, ev[k].headers, ev[k].headers_len);
            break;
        case H2O_EVENT_KIND_HEAD:
            saw_head(o, ev[k].status, ev[k].headers, ev[k].headers_len);
            break;
        case H2O_EVENT_KIND_DATA:
            saw_data(o, ev[k].data, ev[k].data_len);
            break;
        case H2O_EVENT_KIND_TRAILERS:
            saw_trailers(o, ev[k].headers, ev[k].headers_len);
            break;
        case H2O_EVENT_KIND_COMPLETE:
            if (o->completes) o->late++;
            record_complete(o, ev[k].result, ev[k].error);
            if (o->completes == 1) run->done++;
            break;
        default:
            o->disorder++;
            break;
        }
        if (h2o_event_release(&ev[k]) != H2O_RESULT_OK) o->late += 1000;
    }
    return r;
}

enum { RUN_TO_END, CLOSE_EARLY, CANCEL_EARLY, PAUSE_EVERY_CHUNK };

/* RUN_TO_END: run to completion, then check the client's frames. PAUSE_EVERY_CHUNK: the same
 * with on_data pausing every chunk and h2o_client_resume every 5 ms. CLOSE_EARLY / CANCEL_EARLY:
 * close the client (or h2o_client_cancel every request, then wait) `early_ms` after the
 * last submit, mid-scenario: every request must still complete exactly once, with its
 * expected outcome or H2O_RESULT_CANCELLED. */
static int run_scenario(const scenario_t *s, int poll_mode, int early, int early_ms) {
    char mode[32];
    int close_after_ms = early == CLOSE_EARLY ? early_ms : -1;
    int to_end = early == RUN_TO_END || early == PAUSE_EVERY_CHUNK;
    if (early == RUN_TO_END) snprintf(mode, sizeof mode, "%s", poll_mode ? "poll" : "callbacks");
    else if (early == PAUSE_EVERY_CHUNK) snprintf(mode, sizeof mode, "cb-pause");
    else snprintf(mode, sizeof mode, "%s-%s%d", poll_mode ? "poll" : "cb", early == CLOSE_EARLY ? "close" : "cancel", early_ms);
    int bad = 0;
    char reply[4096];
    if (ctl("start", s->name, reply, sizeof reply) != 0 || strncmp(reply, "port ", 5) != 0) {
        FAIL("start: %s", reply);
        return bad;
    }
    int port = atoi(reply + 5);
    double t0 = now_s();
    double deadline = t0 + s->timeout_ms * g_scale / 1000.0;

    h2o_config_t *cfg = NULL;
    h2o_client_t *c = NULL;
    if (h2o_config_from_json(s->json, &cfg) != H2O_RESULT_OK) {
        FAIL("h2o_config_from_json(%s): %s", s->json, h2o_last_error_message());
        ctl("check", s->name, reply, sizeof reply);
        return bad;
    }
    if (g_runtime_threads > 0) h2o_config_set_runtime_threads(cfg, (size_t)g_runtime_threads);
    h2o_result r = h2o_client_new(cfg, &c);
    h2o_config_free(cfg);
    if (r != H2O_RESULT_OK) {
        FAIL("h2o_client_new: %s", h2o_last_error_message());
        ctl("check", s->name, reply, sizeof reply);
        return bad;
    }

    run_t *run = calloc(1, sizeof *run);
    pthread_mutex_init(&run->mu, NULL);
    pthread_cond_init(&run->cv, NULL);
    run->pause = early == PAUSE_EVERY_CHUNK;
    slot_t slots[MAX_REQ];
    uint64_t ids[MAX_REQ];
    for (int i = 0; i < MAX_REQ; i++) slots[i] = (slot_t){run, i};
    h2o_result submit_err = H2O_RESULT_OK;
    int submitted = submit_all(s, c, poll_mode, slots, ids, port, &submit_err);
    if (submitted < s->requests) FAIL("request %d not submitted: %s", submitted, h2o_strerror(submit_err));

    /* Wait for every completion, up to the scenario's timeout. */
    int hung = 0;
    if (close_after_ms >= 0) {
        sleep_ms(close_after_ms);
        deadline = 0; /* straight to the close below */
    }
    if (early == CANCEL_EARLY) {
        sleep_ms(early_ms);
        for (int i = 0; i < submitted; i++) {
            h2o_result cr = h2o_client_cancel(c, ids[i]);
            if (cr != H2O_RESULT_OK && cr != H2O_RESULT_UNKNOWN_REQUEST)
                FAIL("h2o_client_cancel(request %d): %s", i, h2o_strerror(cr));
        }
    }
    for (;;) {
        int done;
        if (poll_mode) {
            double left = deadline - now_s();
            if (run->done >= submitted || close_after_ms >= 0) break;
            if (left <= 0) {
                hung = 1;
                break;
            }
            poll_events(c, run, left * 1000 < 50 ? 1 : 50);
            continue;
        }
        pthread_mutex_lock(&run->mu);
        done = run->done;
        if (done < submitted) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + (run->pause ? 5 : 50) * 1000000L;
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&run->cv, &run->mu, &ts);
            done = run->done;
        }
        pthread_mutex_unlock(&run->mu);
        if (done >= submitted || close_after_ms >= 0) break;
        for (int i = 0; run->pause && i < submitted; i++) {
            h2o_result rr = h2o_client_resume(c, ids[i]);
            if (rr != H2O_RESULT_OK && rr != H2O_RESULT_UNKNOWN_REQUEST) {
                FAIL("h2o_client_resume(request %d): %s", i, h2o_strerror(rr));
                break;
            }
        }
        if (now_s() > deadline) {
            hung = 1;
            break;
        }
    }
    double elapsed = now_s() - t0;
    if (hung) FAIL("HANG: %d of %d requests ended within %.1f s", run->done, submitted, elapsed);

    if (close_after_ms >= 0) {
        /* Closed mid-scenario: close first, so requests still in flight end CANCELLED and
         * never by the reset of the server forgetting the scenario; what the client wrote
         * is not judged (it sends GOAWAY(NO_ERROR), not what the script expects). */
        h2o_client_close(c);
        if (ctl("stop", s->name, reply, sizeof reply) != 0 || strcmp(reply, "stopped") != 0)
            FAIL("server side: %s", reply);
    } else if (ctl("check", s->name, reply, sizeof reply) != 0 || (to_end && strcmp(reply, "pass") != 0)) {
        /* The server's verdict on what the client wrote (client still alive); asked also
         * after early cancels (not judged then) so the server forgets the scenario. */
        FAIL("server side: %s", reply);
    }

    /* Close (in-flight requests complete with CANCELLED), then every event up to the end of
     * the queue, then free: each request must have completed exactly once, with nothing
     * after its completion. */
    if (poll_mode) {
        h2o_client_close(c);
        for (int spins = 0; spins < 10000 && poll_events(c, run, 0) == H2O_RESULT_OK; spins++) {
        }
    }
    h2o_client_free(c);

    pthread_mutex_lock(&run->mu);
    for (int i = 0; i < submitted; i++) {
        const outcome_t *o = &run->out[i];
        int e = i < s->n_expect ? i : s->n_expect - 1;
        if (o->completes != 1) FAIL("request %d completed %d times", i, o->completes);
        if (o->late) FAIL("request %d: %d events after its completion", i, o->late);
        if (o->disorder) FAIL("request %d: %d events out of order", i, o->disorder);
        if (o->bad_error) FAIL("request %d: inconsistent h2o_error_t for %s", i, h2o_strerror(o->result));
        if (o->trailers > 1) FAIL("request %d: %d trailer sections", i, o->trailers);
        if (hung) continue;
        if (!to_end && o->result == H2O_RESULT_CANCELLED) continue;
        if (s->exp_kind[e] == 0) {
            if (o->result != H2O_RESULT_OK || o->status != s->exp_status[e] || o->heads != 1)
                FAIL("request %d: expected ok %d, got %s (%u) status %d heads %d: %s", i, s->exp_status[e],
                     h2o_strerror(o->result), o->result, o->status, o->heads, o->message);
        } else {
            int code_ok = s->exp_code[e] < 0 || (o->has_code && (long)o->code == s->exp_code[e]);
            if ((int)o->result != s->exp_kind[e] || !code_ok)
                FAIL("request %d: expected %s code %ld, got %s code %s%u: %s", i,
                     h2o_strerror((h2o_result)s->exp_kind[e]), s->exp_code[e], h2o_strerror(o->result),
                     o->has_code ? "" : "none/", o->code, o->message);
        }
    }
    pthread_mutex_unlock(&run->mu);
    pthread_mutex_destroy(&run->mu);
    pthread_cond_destroy(&run->cv);
    free(run);
    printf("%-4s %-52s %-9s %-9s %6.0f ms\n", bad ? "FAIL" : "ok", s->name, s->group, mode, elapsed * 1000);
    fflush(stdout);
    return bad;
}

int main(int argc, char **argv) {
    const char *subset = NULL, *filter = NULL;
    int poll_every = 1, close_early = 0, pause = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--valgrind") == 0) subset = "valgrind";
        else if (strcmp(argv[i], "--close-early") == 0) close_early = 1;
        else if (strcmp(argv[i], "--pause") == 0) pause = 1;
        else if (strcmp(argv[i], "--poll-every") == 0 && i + 1 < argc) poll_every = atoi(argv[++i]);
        else filter = argv[i];
    }
    const char *port = getenv("H2O_HOSTILE_PORT");
    if (!port || !*port) {
        fprintf(stderr, "test_hostile: H2O_HOSTILE_PORT is not set: run through tests/c/run.sh "
                        "(needs target/debug/hostile_server: cargo build -p h2o-e2e --bin hostile_server)\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    if (ctl_connect(port) != 0) {
        fprintf(stderr, "test_hostile: cannot connect to the hostile server on port %s\n", port);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    const char *scale = getenv("H2O_HOSTILE_TIMEOUT_SCALE");
    if (scale) g_scale = atof(scale);
    const char *threads = getenv("H2O_TEST_RUNTIME_THREADS");
    if (threads) g_runtime_threads = atoi(threads);

    static scenario_t all[MAX_SCENARIOS];
    int skipped = 0, excluded = 0;
    int n = load(subset, all, &skipped, &excluded);
    if (n <= 0) {
        fprintf(stderr, "test_hostile: no scenarios from the hostile server\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0, runs = 0, polls = 0, closes = 0, pauses = 0, k = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        const scenario_t *s = &all[i];
        if (filter && !strstr(s->name, filter) && strcmp(s->group, filter) != 0) continue;
        int poll = poll_every > 0 && k % poll_every == 0;
        int results[4] = {run_scenario(s, 0, RUN_TO_END, 0), poll ? run_scenario(s, 1, RUN_TO_END, 0) : -1,
                          /* closed or cancelled 0, 10 or 20 ms after the last submit;
                           * callbacks and poll alternate */
                          close_early ? run_scenario(s, k % 2, k % 4 < 2 ? CLOSE_EARLY : CANCEL_EARLY, (k % 3) * 10)
                                      : -1,
                          pause ? run_scenario(s, 0, PAUSE_EVERY_CHUNK, 0) : -1};
        k++;
        for (int m = 0; m < 4; m++) {
            if (results[m] < 0) continue;
            runs++;
            polls += m == 1;
            closes += m == 2;
            pauses += m == 3;
            if (results[m]) failed++;
            else passed++;
        }
    }
    for (int i = 0; i < n; i++) free(all[i].json);
    fclose(g_ctl);
    printf("hostile catalogue through the C API: %d scenarios (%d runs: %d callbacks, %d poll, %d closed or "
           "cancelled early, %d pausing), %d not expressible, %d excluded here, %.1f s\n",
           k, runs, runs - polls - closes - pauses, polls, closes, pauses, skipped, excluded, now_s() - t0);
    printf("%d passed, %d failed\n", passed, failed + skipped);
    return failed || skipped || runs == 0 ? 1 : 0;
}
