/*
 * time: clock_gettime/clock_getres/gettimeofday/time through raw syscalls
 * (no vDSO), plus the libc wrappers. Prints relations and exact resolutions,
 * never times. The runner passes COMPAT_NOW=<host epoch seconds when the
 * case was created> so the wall clock can be checked against the host's.
 */
#include "check.h"
#include <sys/time.h>
#include <time.h>

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static const struct {
	int id;
	const char *name;
} clocks[] = {
	{CLOCK_REALTIME, "REALTIME"},
	{CLOCK_MONOTONIC, "MONOTONIC"},
	{CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
	{CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
	{CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
	{CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
	{CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
	{CLOCK_BOOTTIME, "BOOTTIME"},
	{CLOCK_TAI, "TAI"},
};

static long gt(int id, struct timespec *ts)
{
	return syscall(SYS_clock_gettime, id, ts);
}

static long long ns(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int le(struct timespec a, struct timespec b)
{
	return ns(a) <= ns(b);
}

int main(void)
{
	char name[96];
	struct timespec ts, res;
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		snprintf(name, sizeof name, "clock_gettime %s", clocks[i].name);
		memset(&ts, 0xff, sizeof ts);
		CHECK_RET(name, gt(clocks[i].id, &ts));
		snprintf(name, sizeof name, "%s tv_nsec in [0,1e9)", clocks[i].name);
		YESNO(name, ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
		snprintf(name, sizeof name, "%s tv_sec>=0", clocks[i].name);
		YESNO(name, ts.tv_sec >= 0);
		snprintf(name, sizeof name, "clock_getres %s", clocks[i].name);
		memset(&res, 0xff, sizeof res);
		CHECK_RET(name, syscall(SYS_clock_getres, clocks[i].id, &res));
		int coarse = clocks[i].id == CLOCK_REALTIME_COARSE || clocks[i].id == CLOCK_MONOTONIC_COARSE;
		if (coarse) {
			/* one jiffy: depends on the kernel's HZ */
			snprintf(name, sizeof name, "%s res in (0, 10ms]", clocks[i].name);
			YESNO(name, res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
		} else {
			out("%s res=%lds %ldns\n", clocks[i].name, (long)res.tv_sec, res.tv_nsec);
		}
	}

	/* realtime: a sane, current date */
	struct timespec rt;
	gt(CLOCK_REALTIME, &rt);
	YESNO("REALTIME year>=2024", rt.tv_sec >= 1704067200L);
	YESNO("REALTIME year<2100", rt.tv_sec < 4102444800L);
	const char *now = getenv("COMPAT_NOW");
	if (now) {
		long host = atol(now);
		YESNO("REALTIME within [-60s, +1h] of the runner's clock",
		      rt.tv_sec >= host - 60 && rt.tv_sec <= host + 3600);
	} else {
		out("COMPAT_NOW not set\n");
	}

	/* monotonic never goes back, and advances */
	struct timespec a, b;
	gt(CLOCK_MONOTONIC, &a);
	int ok = 1;
	for (int i = 0; i < 2000; i++) {
		gt(CLOCK_MONOTONIC, &b);
		ok &= le(a, b);
		a = b;
	}
	YESNO("MONOTONIC non-decreasing over 2000 reads", ok);
	struct timespec start;
	gt(CLOCK_MONOTONIC, &start);
	int advanced = 0;
	for (long i = 0; i < 100000000L && !advanced; i++) {
		gt(CLOCK_MONOTONIC, &b);
		advanced = ns(b) - ns(start) >= 1000000; /* 1 ms */
	}
	YESNO("MONOTONIC advances by 1ms while spinning", advanced);
	struct timespec m, bt, raw;
	gt(CLOCK_MONOTONIC, &m);
	gt(CLOCK_BOOTTIME, &bt);
	YESNO("BOOTTIME >= MONOTONIC", le(m, bt));
	gt(CLOCK_MONOTONIC_RAW, &raw);
	YESNO("MONOTONIC_RAW > 0", ns(raw) > 0);
	struct timespec c1, c2;
	gt(CLOCK_MONOTONIC_COARSE, &c1);
	gt(CLOCK_MONOTONIC, &c2);
	YESNO("MONOTONIC_COARSE <= MONOTONIC", le(c1, c2));
	YESNO("MONOTONIC_COARSE within 100ms of MONOTONIC", ns(c2) - ns(c1) < 100000000LL);
	struct timespec tai, r2;
	gt(CLOCK_REALTIME, &r2);
	gt(CLOCK_TAI, &tai);
	YESNO("TAI >= REALTIME", le(r2, tai));
	gt(CLOCK_PROCESS_CPUTIME_ID, &c1);
	YESNO("PROCESS_CPUTIME > 0 after spinning", ns(c1) > 0);
	gt(CLOCK_PROCESS_CPUTIME_ID, &c2);
	YESNO("PROCESS_CPUTIME non-decreasing", le(c1, c2));

	/* errors */
	CHECK_RET("clock_gettime id 12", gt(12, &ts));
	CHECK_RET("clock_gettime id 100", gt(100, &ts));
	CHECK_RET("clock_gettime id INT_MAX", gt(0x7fffffff, &ts));
	CHECK_RET("clock_getres id 100", syscall(SYS_clock_getres, 100, &res));
	CHECK_RET("clock_gettime NULL", gt(CLOCK_REALTIME, NULL));
	CHECK_RET("clock_gettime unmapped", gt(CLOCK_MONOTONIC, unmapped_page()));
	CHECK_RET("clock_gettime kernel half", gt(CLOCK_MONOTONIC, KERNEL_ADDR));
	CHECK_RET("clock_getres NULL (allowed)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	CHECK_RET("clock_getres unmapped", syscall(SYS_clock_getres, CLOCK_MONOTONIC, unmapped_page()));

	/* gettimeofday */
	struct timeval tv;
	struct timespec r3;
	gt(CLOCK_REALTIME, &r3);
	CHECK_RET("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
	YESNO("tv_usec in [0,1e6)", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	YESNO("gettimeofday within 2s of REALTIME", tv.tv_sec >= r3.tv_sec && tv.tv_sec <= r3.tv_sec + 2);
	struct timezone tz;
	CHECK_RET("gettimeofday with timezone", syscall(SYS_gettimeofday, &tv, &tz));
	CHECK_RET("gettimeofday NULL NULL", syscall(SYS_gettimeofday, NULL, NULL));
	CHECK_RET("gettimeofday unmapped tv", syscall(SYS_gettimeofday, unmapped_page(), NULL));
	CHECK_RET("gettimeofday unmapped tz", syscall(SYS_gettimeofday, &tv, unmapped_page()));

	/* time */
	long t1 = syscall(SYS_time, NULL);
	gt(CLOCK_REALTIME, &r3);
	YESNO("time() within 2s of REALTIME", t1 <= r3.tv_sec && t1 >= r3.tv_sec - 2);
	long stored = 0;
	long t2 = syscall(SYS_time, &stored);
	YESNO("time(&t) stores its result", stored == t2);
	CHECK_RET("time unmapped", syscall(SYS_time, unmapped_page()));

	/* libc wrappers (vDSO on the host when present) agree with the syscalls */
	struct timespec l;
	CHECK_RET("libc clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &l));
	gt(CLOCK_MONOTONIC, &b);
	YESNO("libc MONOTONIC <= raw MONOTONIC", le(l, b));
	YESNO("libc time() within 2s of raw", labs(time(NULL) - syscall(SYS_time, NULL)) <= 2);
	CHECK_RET("libc gettimeofday", gettimeofday(&tv, NULL));
	CHECK_RET("libc clock_gettime bad id", clock_gettime(100, &l));
	return 0;
}
