/*
 * epoll: epoll_create/epoll_create1, epoll_ctl ADD/MOD/DEL and their errors,
 * level-triggered vs EPOLLET, EPOLLONESHOT, EPOLLHUP/EPOLLERR, nested epoll
 * sets and loops, epoll_wait/epoll_pwait timeouts and argument errors. On
 * pipes; /etc/passwd (a regular file, present on the host and in Elfin) for
 * EPERM.
 */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

static const char *ev(unsigned e)
{
	static char buf[4][96];
	static int k;
	char *b = buf[k++ & 3];
	b[0] = 0;
	if (e == 0)
		return "0";
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{EPOLLIN, "IN"},   {EPOLLPRI, "PRI"},     {EPOLLOUT, "OUT"},       {EPOLLERR, "ERR"},
		     {EPOLLHUP, "HUP"}, {EPOLLRDNORM, "RDNORM"}, {EPOLLWRNORM, "WRNORM"}, {EPOLLRDHUP, "RDHUP"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (e & names[i].bit) {
			if (b[0])
				strcat(b, "|");
			strcat(b, names[i].name);
			e &= ~names[i].bit;
		}
	if (e)
		snprintf(b + strlen(b), 32, "|0x%x", e);
	return b;
}

static int ctl(int ep, int op, int fd, unsigned events, uint64_t data)
{
	struct epoll_event e = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, op, fd, &e);
}

/* wait with timeout 0 and print what came back (data as a small tag) */
static void wait0(const char *name, int ep)
{
	struct epoll_event evs[8];
	memset(evs, 0, sizeof evs);
	int n = epoll_wait(ep, evs, 8, 0);
	if (n < 0) {
		out("%s: ret=-1 errno=%s\n", name, errname(errno));
		return;
	}
	char line[512];
	int used = snprintf(line, sizeof line, "%s: ret=%d", name, n);
	for (int i = 0; i < n && used < (int)sizeof line; i++)
		used += snprintf(line + used, sizeof line - used, " [tag %llu: %s]", (unsigned long long)evs[i].data.u64,
				 ev(evs[i].events));
	out("%s\n", line);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	int p[2], q[2];
	char buf[64];
	struct epoll_event evs[4];

	int ep = epoll_create1(0);
	YESNO("epoll_create1(0)", ep >= 0);
	out("FD_CLOEXEC: %d\n", !!(fcntl(ep, F_GETFD) & FD_CLOEXEC));
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	out("EPOLL_CLOEXEC: FD_CLOEXEC=%d\n", !!(fcntl(ep2, F_GETFD) & FD_CLOEXEC));
	CHECK_RET("epoll_create1 bad flags", epoll_create1(1));
	CHECK_RET("epoll_create1 O_NONBLOCK", epoll_create1(O_NONBLOCK));
	CHECK_RET("epoll_create(0)", syscall(SYS_epoll_create, 0));
	CHECK_RET("epoll_create(-1)", syscall(SYS_epoll_create, -1));
	int ep3 = syscall(SYS_epoll_create, 1);
	YESNO("epoll_create(1)", ep3 >= 0);
	close(ep3);
	CHECK_RET("read on an epoll fd", read(ep, buf, sizeof buf));
	CHECK_RET("lseek on an epoll fd", lseek(ep, 0, SEEK_SET));

	if (pipe(p) != 0 || pipe(q) != 0) {
		out("pipe failed: errno=%s\n", errname(errno));
		return 1;
	}
	wait0("empty set", ep);
	CHECK_RET("ADD read end, EPOLLIN", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11));
	CHECK_RET("ADD it again", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11));
	CHECK_RET("MOD a fd not in the set", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN, 0));
	CHECK_RET("DEL a fd not in the set", ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0));
	CHECK_RET("ADD bad fd", ctl(ep, EPOLL_CTL_ADD, 1000, EPOLLIN, 0));
	CHECK_RET("ADD on a bad epfd", ctl(1000, EPOLL_CTL_ADD, q[0], EPOLLIN, 0));
	CHECK_RET("ADD with a non-epoll epfd", ctl(q[0], EPOLL_CTL_ADD, p[0], EPOLLIN, 0));
	CHECK_RET("ADD epfd to itself", ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0));
	CHECK_RET("bad op", ctl(ep, 99, q[0], EPOLLIN, 0));
	CHECK_RET("ADD with NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], NULL));
	CHECK_RET("ADD with an unmapped event", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, q[0], unmapped_page()));
	CHECK_RET("ADD EPOLLEXCLUSIVE|EPOLLONESHOT", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0));
	int f = open("/etc/passwd", O_RDONLY);
	CHECK_RET("ADD a regular file", ctl(ep, EPOLL_CTL_ADD, f, EPOLLIN, 0));
	close(f);
	wait0("nothing ready", ep);

	/* level-triggered */
	write(p[1], "abc", 3);
	wait0("after a write", ep);
	wait0("level-triggered: again", ep);
	read(p[0], buf, 1);
	wait0("still data left", ep);
	read(p[0], buf, sizeof buf);
	wait0("drained", ep);
	CHECK_RET("ADD write end, EPOLLOUT", ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 12));
	wait0("write end is writable", ep);
	CHECK_RET("MOD write end to EPOLLIN", ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLIN, 13));
	wait0("after MOD", ep);
	CHECK_RET("MOD with EPOLLEXCLUSIVE", ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLIN | EPOLLEXCLUSIVE, 13));
	CHECK_RET("DEL write end", ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0));
	CHECK_RET("DEL with NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	CHECK_RET("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	write(p[1], "x", 1);
	wait0("after DEL nothing reported", ep);
	read(p[0], buf, sizeof buf);

	/* edge-triggered */
	CHECK_RET("ADD EPOLLIN|EPOLLET", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLET, 21));
	wait0("ET: nothing yet", ep);
	write(q[1], "12", 2);
	wait0("ET: after a write", ep);
	wait0("ET: second wait", ep);
	read(q[0], buf, 1);
	wait0("ET: a partial read is no new edge", ep);
	write(q[1], "3", 1);
	wait0("ET: a new write is a new edge", ep);
	read(q[0], buf, sizeof buf);
	CHECK_RET("ADD EPOLLOUT|EPOLLET on the write end", ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT | EPOLLET, 22));
	wait0("ET: writable once", ep);
	wait0("ET: not again", ep);
	CHECK_RET("MOD rearms ET", ctl(ep, EPOLL_CTL_MOD, q[1], EPOLLOUT | EPOLLET, 23));
	wait0("ET: after MOD", ep);
	ctl(ep, EPOLL_CTL_DEL, q[1], 0, 0);
	ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0);

	/* one-shot */
	CHECK_RET("ADD EPOLLIN|EPOLLONESHOT", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLONESHOT, 31));
	write(p[1], "x", 1);
	wait0("ONESHOT: first", ep);
	wait0("ONESHOT: disarmed, data still there", ep);
	write(p[1], "y", 1);
	wait0("ONESHOT: more data, still disarmed", ep);
	CHECK_RET("ADD again while disarmed", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0));
	CHECK_RET("MOD rearms", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 32));
	wait0("ONESHOT: after MOD", ep);
	CHECK_RET("DEL a disarmed fd", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));
	read(p[0], buf, sizeof buf);

	/* several ready, maxevents smaller than the number ready */
	ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 41);
	ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 42);
	write(p[1], "a", 1);
	write(q[1], "b", 1);
	CHECK_RET("two ready, maxevents 1", epoll_wait(ep, evs, 1, 0));
	uint64_t first = evs[0].data.u64;
	CHECK_RET("again, maxevents 1", epoll_wait(ep, evs, 1, 0));
	YESNO("level-triggered fds take turns (the other one comes next)", evs[0].data.u64 != first);
	CHECK_RET("maxevents 4", epoll_wait(ep, evs, 4, 0));
	YESNO("both tags seen", (evs[0].data.u64 == 41 && evs[1].data.u64 == 42) ||
				       (evs[0].data.u64 == 42 && evs[1].data.u64 == 41));
	evs[0].data.u64 = 0;
	ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0);
	struct epoll_event e64 = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
	epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e64);
	epoll_wait(ep, evs, 4, 0);
	YESNO("64-bit data round trip", evs[0].data.u64 == 0x1122334455667788ULL);
	read(p[0], buf, sizeof buf);
	read(q[0], buf, sizeof buf);
	ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0);

	/* hangup and error */
	int r[2];
	pipe(r);
	ctl(ep, EPOLL_CTL_ADD, r[0], EPOLLIN, 51);
	ctl(ep, EPOLL_CTL_ADD, r[1], EPOLLOUT, 52);
	close(r[1]);
	wait0("writer closed (its entry goes away)", ep);
	ctl(ep, EPOLL_CTL_DEL, r[0], 0, 0);
	CHECK_RET("ADD a read end with events 0", ctl(ep, EPOLL_CTL_ADD, r[0], 0, 53));
	wait0("events 0 still reports HUP", ep);
	close(r[0]);
	wait0("closing the last fd removes it", ep);
	pipe(r);
	ctl(ep, EPOLL_CTL_ADD, r[1], EPOLLOUT, 54);
	close(r[0]);
	wait0("reader closed: ERR on the write end", ep);
	close(r[1]);
	pipe(r);
	int rdup = dup(r[0]);
	ctl(ep, EPOLL_CTL_ADD, r[0], EPOLLIN, 55);
	close(r[0]);
	write(r[1], "x", 1);
	wait0("closed fd with a dup open: still reported", ep);
	CHECK_RET("DEL by the closed fd number", ctl(ep, EPOLL_CTL_DEL, r[0], 0, 0));
	close(rdup);
	close(r[1]);
	wait0("after the dup closed", ep);

	/* nesting */
	int inner = epoll_create1(0);
	pipe(r);
	ctl(inner, EPOLL_CTL_ADD, r[0], EPOLLIN, 61);
	CHECK_RET("ADD an epoll fd into another", ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 62));
	wait0("outer, inner idle", ep);
	write(r[1], "x", 1);
	wait0("outer, inner has an event", ep);
	wait0("inner itself", inner);
	CHECK_RET("ADD outer into inner (a loop)", ctl(inner, EPOLL_CTL_ADD, ep, EPOLLIN, 0));
	CHECK_RET("ADD inner into outer again", ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 0));
	close(r[0]);
	close(r[1]);

	/* epoll_wait arguments and timeouts */
	CHECK_RET("maxevents 0", epoll_wait(ep2, evs, 0, 0));
	CHECK_RET("maxevents -1", syscall(SYS_epoll_wait, ep2, evs, -1, 0));
	CHECK_RET("maxevents INT_MAX", syscall(SYS_epoll_wait, ep2, evs, 0x7fffffff, 0));
	CHECK_RET("epoll_wait bad fd", epoll_wait(1000, evs, 4, 0));
	CHECK_RET("epoll_wait on a pipe", epoll_wait(q[0], evs, 4, 0));
	CHECK_RET("epoll_wait NULL events, nothing ready", syscall(SYS_epoll_wait, ep2, NULL, 4, 0));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("epoll_wait 10 ms on an empty set", epoll_wait(ep2, evs, 4, 10));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("epoll_pwait 10 ms, sigmask NULL", syscall(SYS_epoll_pwait, ep2, evs, 4, 10, NULL, 8));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	CHECK_RET("epoll_pwait with a sigmask", syscall(SYS_epoll_pwait, ep2, evs, 4, 0, &mask, 8));
	CHECK_RET("epoll_pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep2, evs, 4, 0, &mask, 4));
	CHECK_RET("libc epoll_pwait", epoll_pwait(ep2, evs, 4, 0, &mask));
	write(q[1], "x", 1);
	ctl(ep2, EPOLL_CTL_ADD, q[0], EPOLLIN, 71);
	CHECK_RET("epoll_wait timeout -1, ready", epoll_wait(ep2, evs, 4, -1));
	CHECK_RET("epoll_wait NULL events, one ready", syscall(SYS_epoll_wait, ep2, NULL, 4, 0));
	CHECK_RET("epoll_wait unmapped events, one ready", syscall(SYS_epoll_wait, ep2, unmapped_page(), 4, 0));
	CHECK_RET("the event was not lost", epoll_wait(ep2, evs, 4, 0));
	struct timespec ts = {0, 0};
	CHECK_RET("epoll_pwait2 zero timeout", syscall(SYS_epoll_pwait2, ep2, evs, 4, &ts, NULL, 8));
	ts.tv_nsec = 1000000000;
	CHECK_RET("epoll_pwait2 tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep2, evs, 4, &ts, NULL, 8));
	close(ep);
	close(ep2);
	close(inner);
	CHECK_RET("ctl on a closed epfd", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 0));
	return 0;
}
