/*
 * rlimit: getrlimit/prlimit64/setrlimit bookkeeping and the stack it
 * promises. Only limits Elfin reports like a default Linux are printed as
 * relations (the host's own limits vary with the environment).
 */
#include "check.h"
#include <sys/resource.h>

static long prl(int pid, int res, const struct rlimit *nw, struct rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, nw, old);
}

/* touch `pages` pages of stack, one frame per page, top down */
static int touch(int pages)
{
	volatile char frame[4000];
	frame[0] = 1;
	frame[3999] = 1;
	if (pages <= 1)
		return frame[0];
	int r = touch(pages - 1);
	return r & frame[3999];
}

int main(void)
{
	struct rlimit r, p;
	CHECK_RET("getrlimit STACK", syscall(SYS_getrlimit, RLIMIT_STACK, &r));
	YESNO("stack soft>=8MiB", r.rlim_cur >= (8UL << 20));
	YESNO("stack hard>=soft", r.rlim_max >= r.rlim_cur);
	CHECK_RET("prlimit64 STACK", prl(0, RLIMIT_STACK, NULL, &p));
	YESNO("prlimit64 == getrlimit", p.rlim_cur == r.rlim_cur && p.rlim_max == r.rlim_max);
	CHECK_RET("libc getrlimit STACK", getrlimit(RLIMIT_STACK, &p));
	YESNO("libc getrlimit == raw", p.rlim_cur == r.rlim_cur && p.rlim_max == r.rlim_max);

	CHECK_RET("getrlimit NOFILE", syscall(SYS_getrlimit, RLIMIT_NOFILE, &r));
	YESNO("nofile soft>=64", r.rlim_cur >= 64);
	YESNO("nofile hard>=soft", r.rlim_max >= r.rlim_cur);
	static const int all[] = {RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE,
				  RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS,
				  RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE,
				  RLIMIT_RTPRIO, RLIMIT_RTTIME};
	int all_ok = 1, ordered = 1;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		all_ok &= prl(0, all[i], NULL, &r) == 0;
		ordered &= r.rlim_max >= r.rlim_cur;
	}
	YESNO("prlimit64 reads all 16 resources", all_ok);
	YESNO("every hard>=soft", ordered);

	/* set then read back (soft limits only: lowering a hard limit is final) */
	prl(0, RLIMIT_NOFILE, NULL, &r);
	struct rlimit lower = {r.rlim_cur / 2, r.rlim_max}, old;
	CHECK_RET("prlimit64 lower NOFILE soft", prl(0, RLIMIT_NOFILE, &lower, &old));
	YESNO("old value returned", old.rlim_cur == r.rlim_cur && old.rlim_max == r.rlim_max);
	prl(0, RLIMIT_NOFILE, NULL, &p);
	YESNO("new soft limit read back", p.rlim_cur == r.rlim_cur / 2 && p.rlim_max == r.rlim_max);
	CHECK_RET("setrlimit restores", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
	prl(0, RLIMIT_NOFILE, NULL, &p);
	YESNO("restored value read back", p.rlim_cur == r.rlim_cur);
	struct rlimit inverted = {r.rlim_max, r.rlim_cur / 2};
	CHECK_RET("soft > hard", prl(0, RLIMIT_NOFILE, &inverted, NULL));
	struct rlimit core0 = {0, RLIM_INFINITY};
	prl(0, RLIMIT_CORE, NULL, &old);
	core0.rlim_max = old.rlim_max;
	CHECK_RET("set CORE soft 0", prl(0, RLIMIT_CORE, &core0, NULL));
	prl(0, RLIMIT_CORE, NULL, &p);
	YESNO("CORE soft 0 read back", p.rlim_cur == 0);

	/* errors */
	CHECK_RET("getrlimit resource 16", syscall(SYS_getrlimit, 16, &r));
	CHECK_RET("getrlimit resource -1", syscall(SYS_getrlimit, -1, &r));
	CHECK_RET("prlimit64 resource 100", prl(0, 100, NULL, &r));
	CHECK_RET("getrlimit unmapped", syscall(SYS_getrlimit, RLIMIT_STACK, unmapped_page()));
	CHECK_RET("prlimit64 unmapped old", prl(0, RLIMIT_STACK, NULL, unmapped_page()));
	CHECK_RET("prlimit64 unmapped new", prl(0, RLIMIT_NOFILE, unmapped_page(), NULL));
	CHECK_RET("prlimit64 own pid", prl((int)syscall(SYS_getpid), RLIMIT_STACK, NULL, &r));
	CHECK_RET("prlimit64 no such pid", prl(0x3fffffff, RLIMIT_STACK, NULL, &r));
	CHECK_RET("prlimit64 NULL NULL", prl(0, RLIMIT_STACK, NULL, NULL));

	/* the stack really holds 7 MiB */
	YESNO("7 MiB of stack usable", touch(7 * 256) == 1);
	return 0;
}
