/*
 * sigaction: rt_sigaction bookkeeping through the raw syscall and the
 * kernel's struct (handler, flags, restorer, mask): set, read back, old
 * values, the signals that cannot be caught, bad sizes and pointers.
 * No signal is delivered.
 */
#include "check.h"
#include <signal.h>

#define SA_RESTORER_ 0x04000000
#define SA_UNSUPPORTED_ 0x00000400

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void handler(int sig) { (void)sig; }
static void restorer(void) {}

static long sa(int sig, const struct ksigaction *act, struct ksigaction *old, size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

#define BIT(s) (1ULL << ((s) - 1))

int main(void)
{
	struct ksigaction old, act, got;
	memset(&old, 0x55, sizeof old);
	CHECK_RET("read SIGUSR1", sa(SIGUSR1, NULL, &old, 8));
	YESNO("SIGUSR1 initially SIG_DFL", old.handler == SIG_DFL);
	YESNO("SIGUSR1 initial flags 0", old.flags == 0);
	YESNO("SIGUSR1 initial mask empty", old.mask == 0);
	sa(SIGSEGV, NULL, &old, 8);
	YESNO("SIGSEGV initially SIG_DFL", old.handler == SIG_DFL);
	sa(SIGPIPE, NULL, &old, 8);
	YESNO("SIGPIPE initially SIG_DFL", old.handler == SIG_DFL);

	act.handler = (void *)handler;
	act.flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_RESTORER_;
	act.restorer = (void *)restorer;
	act.mask = BIT(SIGUSR2) | BIT(SIGTERM);
	CHECK_RET("set SIGUSR1 handler", sa(SIGUSR1, &act, &old, 8));
	YESNO("old action was SIG_DFL", old.handler == SIG_DFL);
	memset(&got, 0, sizeof got);
	CHECK_RET("read back SIGUSR1", sa(SIGUSR1, NULL, &got, 8));
	YESNO("handler read back", got.handler == (void *)handler);
	out("flags read back: %#lx\n", got.flags);
	YESNO("restorer read back", got.restorer == (void *)restorer);
	out("mask read back: %#llx\n", (unsigned long long)got.mask);

	act.handler = SIG_IGN;
	act.flags = SA_RESTORER_ | SA_NODEFER | SA_RESETHAND;
	act.mask = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGINT);
	CHECK_RET("replace with SIG_IGN", sa(SIGUSR1, &act, &old, 8));
	YESNO("old action is the handler", old.handler == (void *)handler);
	out("old flags: %#lx\n", old.flags);
	sa(SIGUSR1, NULL, &got, 8);
	YESNO("SIG_IGN read back", got.handler == SIG_IGN);
	out("flags read back: %#lx\n", got.flags);
	out("mask read back (KILL/STOP dropped?): %#llx\n", (unsigned long long)got.mask);

	/* unknown flag bits are accepted and cleared on read-back (Linux >= 5.11) */
	act.handler = (void *)handler;
	act.flags = SA_RESTORER_ | SA_UNSUPPORTED_;
	act.mask = 0;
	CHECK_RET("set with SA_UNSUPPORTED", sa(SIGUSR2, &act, NULL, 8));
	sa(SIGUSR2, NULL, &got, 8);
	out("SA_UNSUPPORTED read back: %#lx\n", got.flags);

	/* realtime signals and the highest one */
	CHECK_RET("set SIGRTMIN (32)", sa(32, &act, NULL, 8));
	CHECK_RET("set signal 64", sa(64, &act, NULL, 8));
	sa(64, NULL, &got, 8);
	YESNO("signal 64 read back", got.handler == (void *)handler);
	CHECK_RET("signal 0", sa(0, &act, NULL, 8));
	CHECK_RET("signal 65", sa(65, &act, NULL, 8));
	CHECK_RET("signal -1", sa(-1, &act, NULL, 8));
	CHECK_RET("read signal 0", sa(0, NULL, &got, 8));

	/* SIGKILL and SIGSTOP */
	CHECK_RET("set SIGKILL handler", sa(SIGKILL, &act, NULL, 8));
	CHECK_RET("set SIGSTOP handler", sa(SIGSTOP, &act, NULL, 8));
	act.handler = SIG_IGN;
	CHECK_RET("ignore SIGKILL", sa(SIGKILL, &act, NULL, 8));
	act.handler = SIG_DFL;
	CHECK_RET("SIG_DFL for SIGSTOP", sa(SIGSTOP, &act, NULL, 8));
	CHECK_RET("read SIGKILL", sa(SIGKILL, NULL, &got, 8));
	YESNO("SIGKILL is SIG_DFL", got.handler == SIG_DFL);

	/* sizes and pointers */
	act.handler = (void *)handler;
	CHECK_RET("sigsetsize 4", sa(SIGUSR1, &act, NULL, 4));
	CHECK_RET("sigsetsize 16", sa(SIGUSR1, &act, NULL, 16));
	CHECK_RET("sigsetsize 0", sa(SIGUSR1, NULL, &got, 0));
	CHECK_RET("act unmapped", sa(SIGUSR1, unmapped_page(), NULL, 8));
	CHECK_RET("act kernel half", sa(SIGUSR1, KERNEL_ADDR, NULL, 8));
	sa(SIGUSR1, NULL, &got, 8);
	YESNO("failed calls left SIGUSR1 alone", got.handler == SIG_IGN);
	CHECK_RET("oldact unmapped", sa(SIGUSR2, NULL, unmapped_page(), 8));
	CHECK_RET("NULL act and oldact", sa(SIGUSR1, NULL, NULL, 8));

	/* through the libc */
	struct sigaction la, lo;
	memset(&la, 0, sizeof la);
	la.sa_handler = handler;
	sigemptyset(&la.sa_mask);
	sigaddset(&la.sa_mask, SIGHUP);
	la.sa_flags = SA_RESTART;
	CHECK_RET("libc sigaction SIGTERM", sigaction(SIGTERM, &la, NULL));
	CHECK_RET("libc sigaction read", sigaction(SIGTERM, NULL, &lo));
	YESNO("libc handler read back", lo.sa_handler == handler);
	YESNO("libc SA_RESTART read back", (lo.sa_flags & SA_RESTART) != 0);
	YESNO("libc mask read back", sigismember(&lo.sa_mask, SIGHUP) == 1);
	CHECK_RET("libc signal(SIGINT, SIG_IGN)", signal(SIGINT, SIG_IGN) == SIG_ERR ? -1 : 0);
	YESNO("libc signal returns previous", signal(SIGINT, SIG_DFL) == SIG_IGN);
	CHECK_RET("libc sigaction SIGKILL", sigaction(SIGKILL, &la, NULL));
	return 0;
}
