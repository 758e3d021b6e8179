/* util.h — small helpers the C test programs share. */
#ifndef H2O_TESTS_C_UTIL_H
#define H2O_TESTS_C_UTIL_H

#include <time.h>

/* Monotonic clock in seconds (deadlines of the waits in the tests). */
static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
