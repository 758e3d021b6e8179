/* curl_multi.c — the libcurl peer of `h2o bench` (bench/run.sh part `c`).
 *
 *   curl-multi [-n N] [-m M] [-c 1] [-d DATA|@FILE] [--cacert FILE] URL
 *
 * libcurl's multi interface over HTTP/2 on ONE connection (CURLMOPT_MAX_HOST_CONNECTIONS 1,
 * CURLMOPT_PIPELINING CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT) with M transfers in flight and
 * N in total: http:// URLs use HTTP/2 with prior knowledge (h2c), https:// URLs HTTP/2 over
 * TLS (ALPN) trusting --cacert. The M easy handles are reused: a finished one is removed
 * from the multi handle and added again. The loop is curl_multi_perform + curl_multi_poll,
 * as libcurl documents. With -d the transfers are POSTs of that body.
 *
 * Prints `h2o bench`'s human lines and its JSON line (bench/c-api/common.h); a transfer
 * counts as an error when libcurl fails it or the status is >= 400.
 *
 * libcurl 7.88.x (Debian 12's) fails every request after the first on a reused HTTP/2
 * prior-knowledge connection ("Error in the HTTP2 framing layer", curl#10634, fixed in
 * 8.0.0): with such a libcurl and an http:// URL this program exits with status 3 and says
 * so on stderr, and bench/run.sh records libcurl as unavailable over h2c.
 */
#include "../c-api/common.h"

#include <curl/curl.h>

typedef struct {
    CURL *easy;
    double start;
} slot_t;

static uint64_t g_bytes;

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    (void)ptr;
    (void)ud;
    g_bytes += size * nmemb;
    return size * nmemb;
}

int main(int argc, char **argv) {
    bench_opts o;
    bench_parse(argc, argv, &o, NULL, NULL);
    int tls = strncmp(o.url, "https://", 8) == 0;
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (!tls && vi->version_num < 0x080000) {
        fprintf(stderr,
                "curl-multi: libcurl %s cannot reuse an h2c prior-knowledge connection (curl#10634, fixed in "
                "8.0.0): h2c not measured\n",
                vi->version);
        return 3;
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) return 1;
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 1L);
    curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, o.m);

    long m = o.m < o.n ? o.m : o.n;
    slot_t *slots = calloc((size_t)m, sizeof *slots);
    uint32_t *lat = malloc((size_t)o.n * sizeof *lat);
    size_t n_lat = 0;
    long started = 0, done = 0, errors = 0;
    char first_error[CURL_ERROR_SIZE + 64] = "";

    double t0 = bench_now(), c0 = bench_cpu();
    for (long i = 0; i < m; i++) {
        CURL *e = curl_easy_init();
        slots[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, o.url);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         tls ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)&slots[i]);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        if (o.cacert) curl_easy_setopt(e, CURLOPT_CAINFO, o.cacert);
        if (o.data) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, (char *)o.data);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o.data_len);
        }
        slots[i].start = bench_now();
        curl_multi_add_handle(multi, e);
        started++;
    }
    int running = 1;
    while (done < o.n) {
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl-multi: curl_multi_perform: %s\n", curl_multi_strerror(mc));
            return 1;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            slot_t *s = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            double now = bench_now();
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status >= 400) {
                errors++;
                if (!first_error[0])
                    snprintf(first_error, sizeof first_error, "%s (status %ld)",
                             curl_easy_strerror(msg->data.result), status);
            }
            lat[n_lat++] = (uint32_t)((now - s->start) * 1e6);
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < o.n) {
                s->start = now;
                curl_multi_add_handle(multi, e);
                started++;
                running = 1;
            }
        }
        if (done >= o.n) break;
        mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl-multi: curl_multi_poll: %s\n", curl_multi_strerror(mc));
            return 1;
        }
    }
    double secs = bench_now() - t0, cpu = bench_cpu() - c0;
    bench_report(o.n, secs, g_bytes, errors, lat, n_lat, cpu, first_error[0] ? first_error : NULL);
    for (long i = 0; i < m; i++) curl_easy_cleanup(slots[i].easy);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(slots);
    free(lat);
    free(o.data);
    return errors ? 1 : 0;
}
