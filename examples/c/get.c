/* get.c — one GET in callback mode.
 *   ./get http://127.0.0.1:PORT/hello
 * Callbacks run on the library's thread; main waits for on_complete with a condvar. */
#include <h2o.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    h2o_result result;
    size_t bytes;
} state_t;

static void on_head(void *ud, uint16_t status, const h2o_header_t *h, size_t n) {
    (void)ud;
    printf("status %u\n", status);
    for (size_t i = 0; i < n; i++)
        printf("%.*s: %.*s\n", (int)h[i].name_len, (const char *)h[i].name, (int)h[i].value_len,
               (const char *)h[i].value);
    printf("\n");
}

static int on_data(void *ud, const uint8_t *data, size_t len) {
    state_t *s = ud;
    fwrite(data, 1, len, stdout); /* `data` is valid only during this call */
    s->bytes += len;
    return H2O_DATA_CONTINUE;
}

static void on_complete(void *ud, h2o_result result, const h2o_error_t *err) {
    state_t *s = ud;
    if (err) fprintf(stderr, "\nrequest failed: %s (%s)\n", h2o_strerror(result), err->message);
    pthread_mutex_lock(&s->mu);
    s->result = result;
    s->done = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL\n", argv[0]);
        return 2;
    }
    state_t s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, H2O_RESULT_OK, 0};
    h2o_client_t *client = NULL;
    h2o_request_t *req = NULL;
    h2o_result rc = h2o_client_new(NULL, &client);
    if (rc == H2O_RESULT_OK) rc = h2o_request_new("GET", argv[1], &req);
    if (rc != H2O_RESULT_OK) {
        fprintf(stderr, "%s: %s\n", h2o_strerror(rc), h2o_last_error_message());
        h2o_client_free(client);
        return 1;
    }
    h2o_callbacks_t cbs = {NULL, on_head, on_data, NULL, on_complete};
    h2o_request_set_callbacks(req, &cbs, &s);
    rc = h2o_client_submit(client, req, NULL);
    h2o_request_free(req); /* the request keeps running */
    if (rc == H2O_RESULT_OK) {
        pthread_mutex_lock(&s.mu);
        while (!s.done) pthread_cond_wait(&s.cv, &s.mu);
        pthread_mutex_unlock(&s.mu);
        rc = s.result;
    }
    h2o_client_free(client); /* after this returns no callback runs */
    fprintf(stderr, "\n%zu body bytes, %s\n", s.bytes, h2o_strerror(rc));
    return rc == H2O_RESULT_OK ? 0 : 1;
}
