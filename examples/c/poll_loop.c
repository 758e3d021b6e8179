/* poll_loop.c — poll mode driven by the wakeup fd in an epoll loop (an event loop that
 * sleeps until the library has something, then drains it on its own thread).
 *   ./poll_loop http://127.0.0.1:PORT [N=10] */
#define _GNU_SOURCE
#include <h2o.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 10;
    h2o_client_t *client = NULL;
    int wake = -1;
    if (h2o_client_new(NULL, &client) != H2O_RESULT_OK) return 1;
    if (h2o_client_wakeup_fd(client, &wake) != H2O_RESULT_OK) return 1;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event want = {.events = EPOLLIN, .data = {.fd = wake}};
    epoll_ctl(ep, EPOLL_CTL_ADD, wake, &want); /* add your sockets, timers, ... too */

    char url[512];
    for (int i = 0; i < n; i++) {
        snprintf(url, sizeof url, "%s/delay/%d", argv[1], 50 * (i % 5));
        h2o_request_t *req = NULL;
        if (h2o_request_new("GET", url, &req) != H2O_RESULT_OK) return 1;
        h2o_request_set_userdata(req, (void *)(intptr_t)i);
        h2o_client_submit(client, req, NULL);
        h2o_request_free(req);
    }
    int done = 0, wakeups = 0;
    while (done < n) {
        struct epoll_event got;
        if (epoll_wait(ep, &got, 1, 5000) <= 0) break; /* sleeps until events wait */
        wakeups++;
        h2o_event_t evs[16];
        size_t k = 0;
        do { /* drain until empty: that also resets the fd */
            h2o_client_poll(client, evs, 16, 0, &k);
            for (size_t i = 0; i < k; i++) {
                if (evs[i].kind == H2O_EVENT_KIND_COMPLETE) {
                    done++;
                    printf("request %d (id %llu): %s\n", (int)(intptr_t)evs[i].userdata,
                           (unsigned long long)evs[i].request_id, h2o_strerror(evs[i].result));
                }
                h2o_event_release(&evs[i]);
            }
        } while (k > 0);
    }
    close(ep);
    h2o_client_free(client); /* also closes the wakeup fd */
    printf("%d/%d done after %d wakeups\n", done, n, wakeups);
    return done == n ? 0 : 1;
}
