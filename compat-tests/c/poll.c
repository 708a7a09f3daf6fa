/*
 * poll: readiness of pipes through poll/ppoll/select/pselect6: readable
 * after a write, POLLHUP after the writer closes, POLLOUT on a write end,
 * POLLERR without readers, POLLNVAL for a closed fd; timeouts of 0 and
 * 10 ms return 0 (and take at least the timeout); error paths. Revents are
 * printed as flag names.
 */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

static const char *ev(int e)
{
	static char buf[4][96];
	static int k;
	char *b = buf[k++ & 3];
	b[0] = 0;
	if (e == 0)
		return "0";
	static const struct {
		int bit;
		const char *name;
	} names[] = {{POLLIN, "IN"},         {POLLPRI, "PRI"},         {POLLOUT, "OUT"},
		     {POLLERR, "ERR"},       {POLLHUP, "HUP"},         {POLLNVAL, "NVAL"},
		     {POLLRDNORM, "RDNORM"}, {POLLRDBAND, "RDBAND"}, {POLLWRNORM, "WRNORM"},
		     {POLLWRBAND, "WRBAND"}, {0x2000, "RDHUP"}};
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

/* poll one fd, print `name: ret=N revents=...` */
static void poll1(const char *name, int fd, short events, int timeout)
{
	struct pollfd p = {fd, events, 0x5555};
	errno = 0;
	int r = poll(&p, 1, timeout);
	if (r < 0)
		out("%s: ret=-1 errno=%s\n", name, errname(errno));
	else
		out("%s: ret=%d revents=%s\n", name, r, ev(p.revents));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static long sys_pselect6(int n, fd_set *r, fd_set *w, fd_set *e, struct timespec *ts, const sigset_t *mask)
{
	struct {
		const sigset_t *ss;
		size_t len;
	} data = {mask, 8};
	return syscall(SYS_pselect6, n, r, w, e, ts, mask ? &data : NULL);
}

static void poll_checks(void)
{
	int p[2];
	char buf[64];
	if (pipe(p) != 0) {
		out("pipe failed: errno=%s\n", errname(errno));
		exit(1);
	}
	poll1("empty pipe, read end, POLLIN, timeout 0", p[0], POLLIN, 0);
	poll1("write end, POLLOUT", p[1], POLLOUT, 0);
	poll1("write end, POLLIN|POLLOUT|POLLWRNORM", p[1], POLLIN | POLLOUT | POLLWRNORM, 0);
	poll1("read end, POLLOUT", p[0], POLLOUT, 0);
	poll1("empty read end, events 0", p[0], 0, 0);
	write(p[1], "data", 4);
	poll1("after a write, POLLIN", p[0], POLLIN, 0);
	poll1("after a write, POLLIN|POLLRDNORM|POLLPRI", p[0], POLLIN | POLLRDNORM | POLLPRI, 0);
	poll1("after a write, events 0", p[0], 0, 0);
	poll1("after a write, timeout -1 (ready)", p[0], POLLIN, -1);
	read(p[0], buf, 2);
	poll1("partly drained", p[0], POLLIN, 0);
	read(p[0], buf, 2);
	poll1("drained", p[0], POLLIN, 0);

	/* several fds, one ready */
	int q[2];
	pipe(q);
	write(q[1], "x", 1);
	struct pollfd set[4] = {{p[0], POLLIN, 0}, {q[0], POLLIN, 0}, {-1, POLLIN, 0x77}, {p[1], POLLOUT, 0}};
	CHECK_RET("poll 4 fds (one negative)", poll(set, 4, 0));
	out("revents: %s %s %s %s\n", ev(set[0].revents), ev(set[1].revents), ev(set[2].revents), ev(set[3].revents));
	struct pollfd twice[2] = {{q[0], POLLIN, 0}, {q[0], POLLIN, 0}};
	CHECK_RET("the same fd twice counts twice", poll(twice, 2, 0));

	/* hangup */
	write(p[1], "z", 1);
	close(p[1]);
	poll1("writer closed, data left", p[0], POLLIN, 0);
	read(p[0], buf, 1);
	poll1("writer closed, drained", p[0], POLLIN, 0);
	poll1("writer closed, events 0 (HUP always reported)", p[0], 0, 0);
	poll1("writer closed, timeout -1 returns at once", p[0], POLLIN, -1);
	close(p[0]);
	close(q[0]);
	poll1("reader closed: write end", q[1], POLLOUT, 0);
	poll1("reader closed: write end, events 0", q[1], 0, 0);
	close(q[1]);
	poll1("closed fd", q[1], POLLIN, 0);
	poll1("fd 1000", 1000, POLLIN, 0);
	poll1("fd -1", -1, POLLIN, 0);

	/* timeouts */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("poll nfds 0, timeout 10 ms", poll(NULL, 0, 10));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	pipe(p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	poll1("empty pipe, timeout 10 ms", p[0], POLLIN, 10);
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	poll1("empty pipe, timeout 0", p[0], POLLIN, 0);
	YESNO("took < 1 s", ms_since(&t0) < 1000);

	/* errors */
	CHECK_RET("poll unmapped fds", syscall(SYS_poll, unmapped_page(), 1, 0));
	CHECK_RET("poll NULL with nfds 1", syscall(SYS_poll, NULL, 1, 0));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 256;
	setrlimit(RLIMIT_NOFILE, &rl);
	static struct pollfd many[300];
	for (int i = 0; i < 300; i++)
		many[i].fd = -1;
	CHECK_RET("nfds == RLIMIT_NOFILE", poll(many, 256, 0));
	CHECK_RET("nfds > RLIMIT_NOFILE", poll(many, 257, 0));

	/* ppoll */
	struct timespec ts = {0, 10 * 1000 * 1000};
	struct pollfd one = {p[0], POLLIN, 0};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("ppoll 10 ms on an empty pipe", syscall(SYS_ppoll, &one, 1, &ts, NULL, 8));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	write(p[1], "x", 1);
	CHECK_RET("ppoll NULL timeout, ready", syscall(SYS_ppoll, &one, 1, NULL, NULL, 8));
	out("revents: %s\n", ev(one.revents));
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	ts.tv_nsec = 0;
	CHECK_RET("ppoll with a sigmask", syscall(SYS_ppoll, &one, 1, &ts, &mask, 8));
	CHECK_RET("ppoll bad sigsetsize", syscall(SYS_ppoll, &one, 1, &ts, &mask, 4));
	struct timespec badts = {0, 1000000000};
	CHECK_RET("ppoll tv_nsec 1e9", syscall(SYS_ppoll, &one, 1, &badts, NULL, 8));
	struct timespec negts = {-1, 0};
	CHECK_RET("ppoll negative tv_sec", syscall(SYS_ppoll, &one, 1, &negts, NULL, 8));
	CHECK_RET("ppoll unmapped timeout", syscall(SYS_ppoll, &one, 1, unmapped_page(), NULL, 8));
	struct timespec left = {5, 0};
	CHECK_RET("ppoll ready with 5 s", syscall(SYS_ppoll, &one, 1, &left, NULL, 8));
	YESNO("ppoll wrote back the time left (<= 5 s, > 4 s)",
	      (left.tv_sec == 5 && left.tv_nsec == 0) || (left.tv_sec == 4 && left.tv_nsec > 0));
	close(p[0]);
	close(p[1]);
}

static void select_checks(void)
{
	int p[2];
	fd_set r, w, e;
	struct timeval tv;
	struct timespec t0;
	pipe(p);
	int n = (p[0] > p[1] ? p[0] : p[1]) + 1;

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 0};
	CHECK_RET("select empty pipe, timeout 0", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	YESNO("read set cleared", !FD_ISSET(p[0], &r));
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	CHECK_RET("select write end", syscall(SYS_select, n, NULL, &w, NULL, &tv));
	YESNO("write end set", FD_ISSET(p[1], &w));
	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_ZERO(&w);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	FD_ZERO(&e);
	FD_SET(p[0], &e);
	FD_SET(p[1], &e);
	CHECK_RET("select read+write+except sets", syscall(SYS_select, n, &r, &w, &e, &tv));
	out("read end readable=%d writable=%d except=%d; write end writable=%d except=%d\n", FD_ISSET(p[0], &r),
	    FD_ISSET(p[0], &w), FD_ISSET(p[0], &e), FD_ISSET(p[1], &w), FD_ISSET(p[1], &e));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){5, 0};
	CHECK_RET("select ready with 5 s", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	YESNO("timeout updated to the time left (<= 5 s, > 4 s)",
	      (tv.tv_sec == 5 && tv.tv_usec == 0) || (tv.tv_sec == 4 && tv.tv_usec > 0));
	char c;
	read(p[0], &c, 1);

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 10000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("select 10 ms on an empty pipe", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	YESNO("timeout updated to 0", tv.tv_sec == 0 && tv.tv_usec == 0);
	tv = (struct timeval){0, 10000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("select nfds 0, 10 ms", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 0};
	CHECK_RET("select nfds -1", syscall(SYS_select, -1, &r, NULL, NULL, &tv));
	tv = (struct timeval){0, -1};
	CHECK_RET("select tv_usec -1", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	tv = (struct timeval){-1, 0};
	CHECK_RET("select negative tv_sec", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	int closed = dup(p[0]);
	close(closed);
	FD_ZERO(&r);
	FD_SET(closed, &r);
	tv = (struct timeval){0, 0};
	CHECK_RET("select with a closed fd in the set", syscall(SYS_select, closed + 1, &r, NULL, NULL, &tv));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(closed, &r);
	YESNO("(the closed fd is above the pipe's)", closed > p[0]);
	CHECK_RET("select a closed fd beyond nfds is not looked at", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
	CHECK_RET("select unmapped read set", syscall(SYS_select, n, unmapped_page(), NULL, NULL, &tv));
	CHECK_RET("select unmapped timeout", syscall(SYS_select, n, NULL, NULL, NULL, unmapped_page()));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	fd_set big;
	FD_ZERO(&big);
	CHECK_RET("select nfds 1024 (FD_SETSIZE)", syscall(SYS_select, 1024, &big, NULL, NULL, &tv));

	/* pselect6 */
	struct timespec ts = {0, 10 * 1000 * 1000};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET("pselect6 10 ms, no sigmask", sys_pselect6(n, &r, NULL, NULL, &ts, NULL));
	YESNO("took >= 10 ms", ms_since(&t0) >= 10);
	YESNO("timespec updated to 0", ts.tv_sec == 0 && ts.tv_nsec == 0);
	write(p[1], "y", 1);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts = (struct timespec){0, 0};
	CHECK_RET("pselect6 ready, with a sigmask", sys_pselect6(n, &r, NULL, NULL, &ts, &mask));
	YESNO("readable", FD_ISSET(p[0], &r));
	struct {
		const sigset_t *ss;
		size_t len;
	} badlen = {&mask, 4};
	CHECK_RET("pselect6 bad sigsetsize", syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, &badlen));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_RET("pselect6 NULL timeout, ready", sys_pselect6(n, &r, NULL, NULL, NULL, NULL));
	ts = (struct timespec){0, 1000000000};
	CHECK_RET("pselect6 tv_nsec 1e9", sys_pselect6(n, &r, NULL, NULL, &ts, NULL));
	ts = (struct timespec){0, 0};
	CHECK_RET("pselect6 nfds -1", sys_pselect6(-1, &r, NULL, NULL, &ts, NULL));
	close(p[1]);
	read(p[0], &c, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_RET("select: writer closed means readable (EOF)", syscall(SYS_select, n, &r, NULL, NULL, &tv));
	YESNO("set", FD_ISSET(p[0], &r));
	close(p[0]);
	/* libc wrappers */
	pipe(p);
	write(p[1], "z", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 0};
	CHECK_RET("libc select", select(p[0] + 1, &r, NULL, NULL, &tv));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts = (struct timespec){0, 0};
	CHECK_RET("libc pselect", pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	poll_checks();
	select_checks();
	return 0;
}
