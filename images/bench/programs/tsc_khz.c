/* Host TSC frequency (elfin-bench): rdtsc against CLOCK_MONOTONIC_RAW over about 200 ms,
 * printed in kHz. Run natively, to give the Linux guest its tsc_early_khz= (DESIGN.md s.3). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
    uint64_t n0 = ns(), c0 = rdtsc(), n1, c1;
    do {
        n1 = ns();
        c1 = rdtsc();
    } while (n1 - n0 < 200000000u);
    printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000u / (n1 - n0)));
    return 0;
}
