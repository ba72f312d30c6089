/* core/clock.h — monotonic time. */
#ifndef HTTPX_CORE_CLOCK_H
#define HTTPX_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t httpx__clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static inline uint64_t httpx__clock_ms(void)
{
    return httpx__clock_ns() / 1000000u;
}

#endif
