/* common.h — shared by the C load generators of bench/ (c_api_bench.c, curl_multi.c,
 * pingpong.c): `h2o bench`-shaped options and its final JSON line.
 *
 *   PROG [-n N] [-m M] [-c 1] [-d DATA|@FILE] [--cacert FILE] URL
 *
 * Prints the human lines and the JSON line of `h2o bench`:
 * {"requests":N,"seconds":S,"req_per_s":R,"bytes":B,"p50_us":..,"p90_us":..,"p99_us":..,
 *  "max_us":..,"errors":E,"cpu_us_per_req":C}
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    long n, m, c;
    const char *url;
    const char *cacert;
    unsigned char *data; /* request body (-d), NULL for GET */
    size_t data_len;
} bench_opts;

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user + system CPU seconds of the whole process (every thread) */
static double bench_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void bench_usage(const char *prog, const char *extra) {
    fprintf(stderr, "usage: %s [-n N] [-m M] [-c 1] [-d DATA|@FILE] [--cacert FILE] %sURL\n", prog,
            extra ? extra : "");
    exit(2);
}

static long bench_num(const char *prog, const char *flag, const char *v) {
    char *end = NULL;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || x <= 0) {
        fprintf(stderr, "%s: %s needs a positive number\n", prog, flag);
        exit(2);
    }
    return x;
}

static void bench_read_data(const char *prog, bench_opts *o, const char *v) {
    if (v[0] != '@') {
        o->data_len = strlen(v);
        o->data = (unsigned char *)malloc(o->data_len + 1);
        memcpy(o->data, v, o->data_len + 1);
        return;
    }
    FILE *f = fopen(v + 1, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot read %s\n", prog, v + 1);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    o->data = (unsigned char *)malloc((size_t)len + 1);
    o->data_len = fread(o->data, 1, (size_t)len, f);
    fclose(f);
}

/* Parses the common options; `extra(flag, value)` may take others (returns 1 if it took
 * a flag with a value, 2 if it took a flag without one, 0 if it does not know it). */
static void bench_parse(int argc, char **argv, bench_opts *o, int (*extra)(const char *, const char *),
                        const char *extra_usage) {
    o->n = 10000;
    o->m = 100;
    o->c = 1;
    o->url = NULL;
    o->cacert = NULL;
    o->data = NULL;
    o->data_len = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n")) o->n = bench_num(argv[0], a, v), i++;
        else if (!strcmp(a, "-m")) o->m = bench_num(argv[0], a, v), i++;
        else if (!strcmp(a, "-c")) o->c = bench_num(argv[0], a, v), i++;
        else if (!strcmp(a, "-d")) {
            if (!v) bench_usage(argv[0], extra_usage);
            bench_read_data(argv[0], o, v), i++;
        } else if (!strcmp(a, "--cacert")) {
            if (!v) bench_usage(argv[0], extra_usage);
            o->cacert = v, i++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) bench_usage(argv[0], extra_usage);
        else if (a[0] == '-') {
            int took = extra ? extra(a, v) : 0;
            if (took == 0) {
                fprintf(stderr, "%s: unknown option %s\n", argv[0], a);
                bench_usage(argv[0], extra_usage);
            }
            if (took == 1) i++;
        } else if (!o->url) o->url = a;
        else bench_usage(argv[0], extra_usage);
    }
    if (!o->url) bench_usage(argv[0], extra_usage);
    if (o->c != 1) {
        fprintf(stderr, "%s: only -c 1 (one connection) is supported\n", argv[0]);
        exit(2);
    }
}

/* Sorts n latencies (two 16-bit LSD radix passes). glibc's qsort (a merge sort through a
 * comparison callback) cost ~400 instructions per request at 40k requests, which the
 * process CPU figure charged to the library; `h2o bench` sorts with sort_unstable (~85). */
static void bench_sort_u32(uint32_t *a, size_t n) {
    uint32_t *tmp = malloc(n * sizeof *tmp);
    size_t *count = malloc(65536 * sizeof *count);
    if (!tmp || !count) {
        fprintf(stderr, "bench: out of memory sorting latencies\n");
        exit(1);
    }
    uint32_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t b = 0; b < 65536; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    /* Two passes: the sorted data is back in `a`. */
    free(tmp);
    free(count);
}

/* Prints `h2o bench`'s human lines and JSON line. Sorts `lat` (n_lat entries, µs). */
static void bench_report(long n, double secs, uint64_t bytes, long errors, uint32_t *lat, size_t n_lat,
                         double cpu_s, const char *first_error) {
    bench_sort_u32(lat, n_lat);
#define PCT(p) (n_lat ? lat[(size_t)((double)(n_lat - 1) * (p) + 0.5)] : 0u)
    uint32_t p50 = PCT(0.5), p90 = PCT(0.9), p99 = PCT(0.99), max = n_lat ? lat[n_lat - 1] : 0;
#undef PCT
    double rps = (double)n / secs, cpu_us = cpu_s * 1e6 / (double)n;
    printf("finished in %.3fs, %.0f req/s, %.2f MB/s\n", secs, rps, (double)bytes / secs / 1e6);
    printf("requests: %ld total, %ld succeeded, %ld errored\n", n, n - errors, errors);
    printf("latency: p50 %uus, p90 %uus, p99 %uus, max %uus\n", p50, p90, p99, max);
    printf("client cpu: %.2f us/request (user+sys)\n", cpu_us);
    if (first_error) printf("first error: %s\n", first_error);
    printf("{\"requests\":%ld,\"seconds\":%.6f,\"req_per_s\":%.1f,\"bytes\":%llu,\"p50_us\":%u,\"p90_us\":%u,"
           "\"p99_us\":%u,\"max_us\":%u,\"errors\":%ld,\"cpu_us_per_req\":%.3f}\n",
           n, secs, rps, (unsigned long long)bytes, p50, p90, p99, max, errors, cpu_us);
    fflush(stdout);
}

#endif
