/* upload.c — a streamed request body: submit first, then write chunks as they are
 * produced; h2o_request_write blocks while the server's flow control says wait.
 *   ./upload http://127.0.0.1:PORT/sha256 [MIB=8] */
#include <h2o.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    h2o_result result;
    char body[512];
    size_t len;
} state_t;

static int on_data(void *ud, const uint8_t *data, size_t len) {
    state_t *s = ud;
    size_t room = sizeof s->body - 1 - s->len;
    if (len > room) len = room;
    memcpy(s->body + s->len, data, len);
    s->len += len;
    return H2O_DATA_CONTINUE;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    state_t *s = ud;
    if (err) fprintf(stderr, "failed: %s\n", err->message);
    pthread_mutex_lock(&s->mu);
    s->result = result;
    s->done = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [MIB]\n", argv[0]);
        return 2;
    }
    int mib = argc > 2 ? atoi(argv[2]) : 8;
    state_t s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    h2o_client_t *client = NULL;
    h2o_request_t *req = NULL;
    if (h2o_client_new(NULL, &client) != H2O_RESULT_OK) return 1;
    h2o_result rc = h2o_request_new("POST", argv[1], &req);
    if (rc != H2O_RESULT_OK) {
        fprintf(stderr, "%s: %s\n", h2o_strerror(rc), h2o_last_error_message());
        return 1;
    }
    h2o_request_add_header(req, (const uint8_t *)"content-type", 12,
                           (const uint8_t *)"application/octet-stream", 24);
    h2o_request_set_body_stream(req);
    h2o_callbacks_t cbs = {NULL, NULL, on_data, NULL, on_complete};
    h2o_request_set_callbacks(req, &cbs, &s);
    if (h2o_client_submit(client, req, NULL) != H2O_RESULT_OK) return 1;
    static uint8_t chunk[64 << 10];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)(i % 251);
    for (int i = 0; i < mib * 16 && rc == H2O_RESULT_OK; i++)
        rc = h2o_request_write(req, chunk, sizeof chunk); /* copies; blocks when the buffer is full */
    if (rc == H2O_RESULT_OK) rc = h2o_request_finish(req);
    if (rc != H2O_RESULT_OK) fprintf(stderr, "write: %s\n", h2o_strerror(rc));
    pthread_mutex_lock(&s.mu);
    while (!s.done) pthread_cond_wait(&s.cv, &s.mu);
    pthread_mutex_unlock(&s.mu);
    h2o_request_free(req);
    h2o_client_free(client);
    printf("uploaded %d MiB: %s -> %s\n", mib, h2o_strerror(s.result), s.body);
    return s.result == H2O_RESULT_OK ? 0 : 1;
}
