/* game_loop.c — poll mode in a fixed-rate (60 Hz) loop, as a game engine would use it.
 *   ./game_loop http://127.0.0.1:PORT [FRAMES=120]
 * Each frame: drain events without blocking (timeout 0), "simulate", sleep to the next
 * tick. Requests are started from the main thread and all results arrive on it; no
 * callback ever runs on another thread. Every 10th frame also asks a state endpoint, with
 * copies of one prepared request (h2o_client_submit_copy). Reports the worst per-frame poll
 * cost. */
#define _GNU_SOURCE
#include <h2o.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    const char *name;
    int status;
    size_t bytes;
    int done;
} asset_t;

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [FRAMES]\n", argv[0]);
        return 2;
    }
    int frames = argc > 2 ? atoi(argv[2]) : 120;
    asset_t assets[] = {{"/bytes/1000000", 0, 0, 0}, {"/hello", 0, 0, 0},
                        {"/delay/500", 0, 0, 0},      {"/trailers", 0, 0, 0}};
    const int n_assets = (int)(sizeof assets / sizeof assets[0]);
    h2o_client_t *client = NULL;
    if (h2o_client_new(NULL, &client) != H2O_RESULT_OK) return 1;
    for (int i = 0; i < n_assets; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s%s", argv[1], assets[i].name);
        h2o_request_t *req = NULL;
        if (h2o_request_new("GET", url, &req) != H2O_RESULT_OK) return 1;
        h2o_request_set_userdata(req, &assets[i]); /* no callbacks: poll mode */
        h2o_request_set_priority(req, i == 1 ? 0 : 3, false);
        if (h2o_client_submit(client, req, NULL) != H2O_RESULT_OK) return 1;
        h2o_request_free(req);
    }
    /* The state endpoint: one request built once, submitted as copies. */
    asset_t state = {"/hello", 0, 0, 0};
    int state_sent = 0, state_answered = 0;
    char state_url[512];
    snprintf(state_url, sizeof state_url, "%s%s", argv[1], state.name);
    h2o_request_t *state_req = NULL;
    if (h2o_request_new("GET", state_url, &state_req) != H2O_RESULT_OK) return 1;
    const double tick = 1.0 / 60;
    double next = now_s(), worst_poll = 0;
    int finished = 0, frame;
    for (frame = 0; frame < frames && finished < n_assets; frame++) {
        double p0 = now_s();
        if (frame % 10 == 0 && h2o_client_submit_copy(client, state_req, &state, NULL) == H2O_RESULT_OK)
            state_sent++;
        h2o_event_t events[32];
        size_t n = 0;
        do { /* drain what is waiting, never block */
            if (h2o_client_poll(client, events, 32, 0, &n) != H2O_RESULT_OK) break;
            for (size_t i = 0; i < n; i++) {
                asset_t *a = events[i].userdata;
                switch (events[i].kind) {
                case H2O_EVENT_KIND_HEAD: a->status = events[i].status; break;
                case H2O_EVENT_KIND_DATA: a->bytes += events[i].data_len; break;
                case H2O_EVENT_KIND_COMPLETE:
                    if (a == &state) {
                        state_answered += events[i].result == H2O_RESULT_OK && a->status == 200;
                        break;
                    }
                    a->done = 1;
                    finished++;
                    printf("frame %3d: %-15s status %d, %zu bytes, %s\n", frame, a->name, a->status,
                           a->bytes, h2o_strerror(events[i].result));
                    break;
                default: break;
                }
                h2o_event_release(&events[i]); /* returns the DATA credit to the server */
            }
        } while (n == 32);
        double cost = now_s() - p0;
        if (cost > worst_poll) worst_poll = cost;
        /* ... simulate and render the frame here ... */
        next += tick;
        double wait = next - now_s();
        if (wait > 0) {
            struct timespec ts = {0, (long)(wait * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    h2o_client_free(client); /* state requests still in flight are cancelled */
    h2o_request_free(state_req);
    printf("%d/%d assets in %d frames; state asked %d times, answered %d; worst frame drain %.1f us\n",
           finished, n_assets, frame, state_sent, state_answered, worst_poll * 1e6);
    return finished == n_assets && state_answered > 0 ? 0 : 1;
}
