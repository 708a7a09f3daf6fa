/* Syscall cost probe (elfin-bench): cycles of a no-op system call and of a plain function
 * call, by rdtsc loops, run unchanged natively, in Elfin and in the Linux guest.
 *
 *   syscall [BATCHES [CALLS_PER_BATCH]]     (defaults 101 and 2000)
 *
 * Each measurement times BATCHES batches of CALLS_PER_BATCH calls and prints the median and
 * the minimum over the batches of the cycles per call, as
 *   "<name> median=<cycles> min=<cycles>"
 * for getppid (a real no-op syscall), enosys (syscall number 500, which no kernel serves),
 * call (an out-of-line function call through a volatile pointer), loop (the empty loop, for
 * reference) and mmap (mmap of one anonymous 4 KiB page, one store to it, munmap: what musl's
 * malloc does per sqlite statement; batches of CALLS_PER_BATCH / 10). The syscalls are issued with the `syscall` instruction directly, so the libc
 * wrapper's cost is not part of the figure. Under TCG the guest's rdtsc reads the host's TSC,
 * so all figures are host cycles. Exit status 0, or 1 when a syscall did not return what Linux
 * returns (getppid >= 0, 500 -> -ENOSYS). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline long syscall2(long nr, long a, long b) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

static inline long syscall0(long nr) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

__attribute__((noinline)) static long plain_function(long x) {
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

static long (*volatile function_ptr)(long) = plain_function;

enum { GETPPID, ENOSYS_NR, CALL, LOOP, MMAP };
static const char *const names[] = {"getppid", "enosys", "call", "loop", "mmap"};

static int bad_result;

static double batch(int what, long calls) {
    long sink = 0;
    uint64_t t0 = rdtsc();
    for (long i = 0; i < calls; i++) {
        switch (what) {
        case GETPPID: sink += syscall0(110); break;
        case ENOSYS_NR: sink += syscall0(500); break;
        case CALL: sink += function_ptr(i); break;
        case MMAP: {
            volatile char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                bad_result = 1;
                break;
            }
            p[0] = 1;
            sink += syscall2(11, (long)p, 4096); /* munmap */
            break;
        }
        default: __asm__ volatile("" ::: "memory"); break;
        }
    }
    uint64_t t1 = rdtsc();
    if (what == GETPPID && sink < 0) bad_result = 1;
    if (what == ENOSYS_NR && sink != -38L * calls) bad_result = 1;
    if (what == MMAP && sink != 0) bad_result = 1;
    return (double)(t1 - t0) / (double)calls;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long batches = argc > 1 ? atol(argv[1]) : 101;
    long calls = argc > 2 ? atol(argv[2]) : 2000;
    if (batches < 1 || batches > 100000 || calls < 1) {
        fprintf(stderr, "usage: syscall [BATCHES [CALLS_PER_BATCH]]\n");
        return 2;
    }
    double *per = malloc(sizeof(double) * (size_t)batches);
    if (!per) return 2;
    for (int what = GETPPID; what <= MMAP; what++) {
        long n = what == MMAP ? (calls / 10 > 0 ? calls / 10 : 1) : calls;
        batch(what, n); /* warm-up: page faults, translation caches */
        for (long b = 0; b < batches; b++) per[b] = batch(what, n);
        qsort(per, (size_t)batches, sizeof(double), cmp);
        printf("%s median=%.1f min=%.1f\n", names[what], per[batches / 2], per[0]);
    }
    fflush(stdout);
    return bad_result;
}
