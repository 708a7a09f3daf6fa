/*
 * sigprocmask: rt_sigprocmask bookkeeping (raw syscall; the libcs hide their
 * internal signals): block, unblock, set, old values, SIGKILL/SIGSTOP
 * silently dropped, bad how/size/pointers. No signal is delivered.
 */
#include "check.h"
#include <signal.h>

#define BIT(s) (1ULL << ((s) - 1))

static long pm(int how, const uint64_t *set, uint64_t *old, size_t size)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

int main(void)
{
	uint64_t old = ~0ULL, set, cur;
	CHECK_RET("read mask", pm(SIG_BLOCK, NULL, &old, 8));
	out("initial mask: %#llx\n", (unsigned long long)old);

	set = BIT(SIGUSR1) | BIT(SIGUSR2);
	CHECK_RET("SIG_BLOCK USR1|USR2", pm(SIG_BLOCK, &set, &old, 8));
	out("old mask: %#llx\n", (unsigned long long)old);
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask now: %#llx\n", (unsigned long long)cur);

	set = BIT(SIGTERM);
	CHECK_RET("SIG_BLOCK TERM", pm(SIG_BLOCK, &set, &old, 8));
	out("old mask: %#llx\n", (unsigned long long)old);
	set = BIT(SIGUSR1);
	CHECK_RET("SIG_UNBLOCK USR1", pm(SIG_UNBLOCK, &set, &old, 8));
	out("old mask: %#llx\n", (unsigned long long)old);
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask now: %#llx\n", (unsigned long long)cur);

	set = BIT(SIGINT) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGSEGV) | BIT(64) | BIT(32);
	CHECK_RET("SIG_SETMASK with KILL and STOP", pm(SIG_SETMASK, &set, &old, 8));
	out("old mask: %#llx\n", (unsigned long long)old);
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask now (KILL/STOP dropped): %#llx\n", (unsigned long long)cur);

	set = ~0ULL;
	CHECK_RET("block everything", pm(SIG_SETMASK, &set, NULL, 8));
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask now: %#llx\n", (unsigned long long)cur);

	/* errors: the mask must not change */
	set = BIT(SIGUSR1);
	CHECK_RET("how 99", pm(99, &set, NULL, 8));
	CHECK_RET("how -1", pm(-1, &set, NULL, 8));
	CHECK_RET("how 99 with NULL set", pm(99, NULL, &old, 8));
	CHECK_RET("sigsetsize 4", pm(SIG_BLOCK, &set, NULL, 4));
	CHECK_RET("sigsetsize 16", pm(SIG_BLOCK, &set, NULL, 16));
	CHECK_RET("sigsetsize 0", pm(SIG_BLOCK, NULL, &old, 0));
	CHECK_RET("set unmapped", pm(SIG_SETMASK, unmapped_page(), NULL, 8));
	CHECK_RET("set kernel half", pm(SIG_SETMASK, KERNEL_ADDR, NULL, 8));
	CHECK_RET("oldset unmapped", pm(SIG_BLOCK, NULL, unmapped_page(), 8));
	CHECK_RET("NULL set and oldset", pm(SIG_BLOCK, NULL, NULL, 8));
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask after errors: %#llx\n", (unsigned long long)cur);

	set = 0;
	CHECK_RET("SIG_SETMASK empty", pm(SIG_SETMASK, &set, &old, 8));
	pm(SIG_BLOCK, NULL, &cur, 8);
	out("mask now: %#llx\n", (unsigned long long)cur);

	/* through the libc (its own internal signals are hidden) */
	sigset_t s, o;
	sigemptyset(&s);
	sigaddset(&s, SIGHUP);
	CHECK_RET("libc sigprocmask block HUP", sigprocmask(SIG_BLOCK, &s, &o));
	CHECK_RET("libc sigprocmask read", sigprocmask(SIG_BLOCK, NULL, &o));
	YESNO("libc sees HUP blocked", sigismember(&o, SIGHUP) == 1);
	YESNO("libc sees USR1 unblocked", sigismember(&o, SIGUSR1) == 0);
	CHECK_RET("libc sigprocmask bad how", sigprocmask(99, &s, NULL));
	return 0;
}
