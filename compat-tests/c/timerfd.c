/*
 * timerfd: create/settime/gettime on CLOCK_MONOTONIC (and the other clocks
 * it accepts), one-shot and interval expirations counted by read,
 * TFD_NONBLOCK before expiry, TFD_TIMER_ABSTIME (also in the past),
 * disarming, poll readiness, error paths. Times only as relations; timers
 * are 5-30 ms.
 */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>

#define MS (1000L * 1000L)

static void rd(const char *name, int fd)
{
	uint64_t v = 0xdeadbeef;
	errno = 0;
	long r = read(fd, &v, 8);
	if (r < 0)
		out("%s: ret=-1 errno=%s\n", name, errname(errno));
	else
		out("%s: ret=%ld expirations=%llu\n", name, r, (unsigned long long)v);
}

static long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000L + t->tv_nsec;
}

static long now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return ns(&t);
}

static int set(int fd, int flags, long value_ns, long interval_ns)
{
	struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
				 {value_ns / 1000000000L, value_ns % 1000000000L}};
	return timerfd_settime(fd, flags, &its, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * MS};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

int main(void)
{
	struct itimerspec its, old;
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	YESNO("timerfd_create(CLOCK_MONOTONIC, 0)", fd >= 0);
	if (fd < 0)
		return 1; /* the blocking reads below would wait forever on another fd */
	out("flags: nonblock=%d cloexec=%d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK), !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	memset(&its, 0x55, sizeof its);
	CHECK_RET("gettime unarmed", timerfd_gettime(fd, &its));
	out("unarmed: value=%ld interval=%ld\n", ns(&its.it_value), ns(&its.it_interval));

	/* one-shot 10 ms, blocking read */
	long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_RET("settime 10 ms one-shot", set(fd, 0, 10 * MS, 0));
	timerfd_gettime(fd, &its);
	YESNO("gettime: 0 < remaining <= 10 ms", ns(&its.it_value) > 0 && ns(&its.it_value) <= 10 * MS);
	YESNO("gettime: interval 0", ns(&its.it_interval) == 0);
	rd("blocking read", fd);
	YESNO("returned after >= 10 ms", now_ns(CLOCK_MONOTONIC) - t0 >= 10 * MS);
	timerfd_gettime(fd, &its);
	out("after expiry: value=%ld interval=%ld\n", ns(&its.it_value), ns(&its.it_interval));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	rd("read again (nothing new)", fd);
	close(fd);

	/* non-blocking before expiry */
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	out("TFD_NONBLOCK|TFD_CLOEXEC: nonblock=%d cloexec=%d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	    !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	rd("read unarmed", fd);
	t0 = now_ns(CLOCK_MONOTONIC);
	set(fd, 0, 30 * MS, 0);
	rd("read before expiry", fd);
	struct pollfd p = {fd, POLLIN, 0};
	CHECK_RET("poll before expiry", poll(&p, 1, 0));
	CHECK_RET("poll until expiry", poll(&p, 1, 1000));
	YESNO("POLLIN", p.revents == POLLIN);
	YESNO("waited >= 30 ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30 * MS);
	rd("read after expiry", fd);
	CHECK_RET("poll after the read", poll(&p, 1, 0));

	/* re-arming replaces the old setting, old_value reports it */
	set(fd, 0, 1000 * MS, 500 * MS);
	memset(&old, 0x55, sizeof old);
	struct itimerspec zero = {{0, 0}, {0, 0}};
	CHECK_RET("disarm, with old_value", timerfd_settime(fd, 0, &zero, &old));
	YESNO("old value in (900 ms, 1 s]", ns(&old.it_value) > 900 * MS && ns(&old.it_value) <= 1000 * MS);
	out("old interval: %ld ms\n", ns(&old.it_interval) / MS);
	timerfd_gettime(fd, &its);
	out("disarmed: value=%ld\n", ns(&its.it_value));
	rd("read disarmed", fd);

	/* interval */
	t0 = now_ns(CLOCK_MONOTONIC);
	set(fd, 0, 5 * MS, 5 * MS);
	timerfd_gettime(fd, &its);
	out("interval setting read back: %ld ms\n", ns(&its.it_interval) / MS);
	sleep_ms(30);
	uint64_t v = 0;
	long r = read(fd, &v, 8);
	out("interval read: ret=%ld, >=1: %s\n", r, v >= 1 ? "yes" : "no");
	YESNO("no more than elapsed/5ms expirations", v <= (uint64_t)((now_ns(CLOCK_MONOTONIC) - t0) / (5 * MS)));
	timerfd_gettime(fd, &its);
	YESNO("still armed: 0 < value <= 5 ms", ns(&its.it_value) > 0 && ns(&its.it_value) <= 5 * MS);
	set(fd, 0, 0, 0);

	/* absolute */
	long deadline = now_ns(CLOCK_MONOTONIC) + 20 * MS;
	CHECK_RET("TFD_TIMER_ABSTIME now+20 ms", set(fd, TFD_TIMER_ABSTIME, deadline, 0));
	timerfd_gettime(fd, &its);
	YESNO("gettime is relative: 0 < value <= 20 ms", ns(&its.it_value) > 0 && ns(&its.it_value) <= 20 * MS);
	fcntl(fd, F_SETFL, 0);
	rd("blocking read", fd);
	YESNO("returned at or after the deadline", now_ns(CLOCK_MONOTONIC) >= deadline);
	CHECK_RET("TFD_TIMER_ABSTIME in the past", set(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) - 1, 0));
	rd("expired at once", fd);
	CHECK_RET("TFD_TIMER_ABSTIME 25 ms ago with a 10 ms interval",
		  set(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) - 25 * MS, 10 * MS));
	uint64_t missed = 0;
	read(fd, &missed, 8);
	YESNO("counts the intervals missed since then (>= 3)", missed >= 3);
	set(fd, 0, 0, 0);
	close(fd);

	/* CLOCK_REALTIME absolute */
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	YESNO("timerfd_create(CLOCK_REALTIME)", fd >= 0);
	deadline = now_ns(CLOCK_REALTIME) + 10 * MS;
	CHECK_RET("REALTIME absolute now+10 ms", set(fd, TFD_TIMER_ABSTIME, deadline, 0));
	p.fd = fd;
	CHECK_RET("poll until expiry", poll(&p, 1, 1000));
	rd("read", fd);
	CHECK_RET("TFD_TIMER_CANCEL_ON_SET with ABSTIME", set(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, deadline + 3600000 * MS, 0));
	close(fd);
	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	YESNO("timerfd_create(CLOCK_BOOTTIME)", fd >= 0);
	close(fd);

	/* errors */
	CHECK_RET("bad clock 99", timerfd_create(99, 0));
	CHECK_RET("CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	CHECK_RET("CLOCK_MONOTONIC_RAW", timerfd_create(CLOCK_MONOTONIC_RAW, 0));
	CHECK_RET("bad create flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK_RET("settime bad flags", set(fd, 0x4, 10 * MS, 0));
	struct itimerspec bad = {{0, 0}, {0, 1000000000}};
	CHECK_RET("settime tv_nsec 1e9", timerfd_settime(fd, 0, &bad, NULL));
	bad = (struct itimerspec){{0, -1}, {1, 0}};
	CHECK_RET("settime interval tv_nsec -1", timerfd_settime(fd, 0, &bad, NULL));
	bad = (struct itimerspec){{0, 0}, {-1, 0}};
	CHECK_RET("settime negative tv_sec", timerfd_settime(fd, 0, &bad, NULL));
	CHECK_RET("settime NULL new value", syscall(SYS_timerfd_settime, fd, 0, NULL, NULL));
	CHECK_RET("settime unmapped old value", syscall(SYS_timerfd_settime, fd, 0, &zero, unmapped_page()));
	CHECK_RET("gettime NULL", syscall(SYS_timerfd_gettime, fd, NULL));
	int pp[2];
	pipe(pp);
	CHECK_RET("settime on a pipe", timerfd_settime(pp[0], 0, &zero, NULL));
	CHECK_RET("gettime on a pipe", timerfd_gettime(pp[0], &its));
	CHECK_RET("settime bad fd", timerfd_settime(1000, 0, &zero, NULL));
	char small[4];
	set(fd, 0, 1 * MS, 0);
	sleep_ms(5);
	CHECK_RET("read with a 4-byte buffer", read(fd, small, 4));
	CHECK_RET("read into an unmapped buffer", read(fd, unmapped_page(), 8));
	rd("read after the failed read (Linux consumed the expiration)", fd);
	CHECK_RET("write to a timerfd", write(fd, &v, 8));
	close(fd);
	return 0;
}
