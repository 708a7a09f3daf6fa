/*
 * signals: delivery to handlers on Linux's frame (siginfo, ucontext, restorer, rt_sigreturn),
 * masks during handlers, SA_RESETHAND, SA_NODEFER, SIG_IGN, blocked then unblocked signals,
 * faults delivered to a handler and recovered with siglongjmp, the alternate stack, FPU state
 * preserved across a handler, a sleep interrupted by a signal from another thread (EINTR),
 * and default actions that ignore (a default action that ends the program is checked by the
 * syscall crate's tests and by the fault cases).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile sig_atomic_t hits, last_sig, mask_has_self, info_ok, code_seen;
static volatile void *fault_addr;
static sigjmp_buf jb;
static char altstack[64 * 1024];
static volatile int on_alt;

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	hits++;
	last_sig = sig;
	mask_has_self = sigismember(&cur, sig);
	info_ok = si && si->si_signo == sig && uc != NULL;
	code_seen = si ? si->si_code : 99;
}

static void segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_addr = si->si_addr;
	on_alt = (char *)&sig >= altstack && (char *)&sig < altstack + sizeof altstack;
	siglongjmp(jb, sig);
}

static void fpu_clobber(int sig)
{
	volatile double d = 1.0;
	for (int i = 0; i < 10; i++)
		d = d * 3.0 + sig;
	(void)d;
}

static void *sender(void *arg)
{
	struct timespec t = {0, 20 * 1000000};
	nanosleep(&t, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("raise: handler ran %d time(s), sig=%d, own signal blocked inside: %s, siginfo/ucontext: %s, si_code=%s\n",
	       (int)hits, (int)last_sig, mask_has_self ? "yes" : "no", info_ok ? "ok" : "bad",
	       code_seen == SI_TKILL ? "SI_TKILL" : code_seen == SI_USER ? "SI_USER" : "other");
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("mask restored after the handler: %s\n", sigismember(&cur, SIGUSR1) ? "no" : "yes");

	kill(getpid(), SIGUSR1);
	printf("kill: handler ran %d time(s), si_code=%s\n", (int)hits,
	       code_seen == SI_USER ? "SI_USER" : code_seen == SI_TKILL ? "SI_TKILL" : "other");

	/* blocked, then unblocked: delivered at the unblocking */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(SIGUSR1);
	int before = hits;
	sigset_t pend;
	sigpending(&pend);
	printf("blocked signal pending: %s, not delivered yet: %s\n", sigismember(&pend, SIGUSR1) ? "yes" : "no", hits == before ? "yes" : "no");
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	printf("delivered at unblock: %s\n", hits == before + 1 ? "yes" : "no");

	/* SA_NODEFER | SA_RESETHAND */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	struct sigaction old;
	sigaction(SIGUSR2, NULL, &old);
	printf("SA_NODEFER: own signal blocked inside: %s; SA_RESETHAND: action reset: %s\n", mask_has_self ? "yes" : "no",
	       old.sa_handler == SIG_DFL ? "yes" : "no");

	/* SIG_IGN */
	signal(SIGUSR2, SIG_IGN);
	before = hits;
	raise(SIGUSR2);
	printf("ignored signal: no handler call: %s\n", hits == before ? "yes" : "no");

	/* faults to a handler on the alternate stack, recovered with siglongjmp */
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	int r = sigsetjmp(jb, 1);
	if (r == 0) {
		*(volatile int *)16 = 1;
		printf("not reached\n");
	}
	printf("NULL write caught: sig=%d, si_addr=%p, on the alternate stack: %s\n", r, (void *)fault_addr, on_alt ? "yes" : "no");
	r = sigsetjmp(jb, 1);
	if (r == 0)
		(void)*(volatile int *)0x1000;
	printf("second fault caught too (mask restored by siglongjmp): sig=%d\n", r);

	/* FPU state survives a handler that uses the FPU */
	signal(SIGUSR1, fpu_clobber);
	volatile double x = 1.5;
	double y = x * 2.25;
	raise(SIGUSR1);
	y = y + x;
	printf("FPU value across a handler: %.4f\n", y);

	/* a sleep interrupted by a signal from another thread */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	pthread_t self = pthread_self(), th;
	pthread_create(&th, NULL, sender, &self);
	struct timespec t = {5, 0};
	errno = 0;
	int rc = nanosleep(&t, NULL);
	printf("nanosleep interrupted: ret=%d errno=%s, handler saw SIGUSR2: %s\n", rc, errno == EINTR ? "EINTR" : strerror(errno),
	       last_sig == SIGUSR2 ? "yes" : "no");
	pthread_join(th, NULL);

	/* default actions that ignore */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGURG, SIG_DFL);
	before = hits;
	raise(SIGCHLD);
	raise(SIGURG);
	printf("SIGCHLD and SIGURG by default: ignored: %s\n", hits == before ? "yes" : "no");
	return 0;
}
