/*
 * sigaltstack: alternate signal stack bookkeeping: initial state, set and
 * read back, SS_DISABLE, SS_AUTODISARM, too-small stacks (ENOMEM), bad
 * flags and pointers. No signal is delivered.
 */
#include "check.h"
#include <signal.h>

#define SS_AUTODISARM_ (1U << 31)

static char stack_mem[1 << 16];

static long sas(const stack_t *ss, stack_t *old)
{
	return syscall(SYS_sigaltstack, ss, old);
}

static void show(const char *what, const stack_t *s, const void *expect_sp)
{
	out("%s: flags=%#x size=%zu sp==%s\n", what, (unsigned)s->ss_flags, s->ss_size,
	    s->ss_sp == expect_sp ? "expected" : s->ss_sp == NULL ? "NULL" : "other");
}

int main(void)
{
	stack_t ss, old;
	memset(&old, 0x55, sizeof old);
	CHECK_RET("read initial", sas(NULL, &old));
	show("initial", &old, NULL);

	ss.ss_sp = stack_mem;
	ss.ss_size = sizeof stack_mem;
	ss.ss_flags = 0;
	CHECK_RET("set 64 KiB stack", sas(&ss, &old));
	show("old", &old, NULL);
	CHECK_RET("read back", sas(NULL, &old));
	show("now", &old, stack_mem);

	ss.ss_size = 1024;
	CHECK_RET("size 1024 (too small)", sas(&ss, NULL));
	ss.ss_size = 0;
	CHECK_RET("size 0", sas(&ss, NULL));
	ss.ss_size = 2047;
	CHECK_RET("size 2047", sas(&ss, NULL));
	sas(NULL, &old);
	show("after ENOMEM", &old, stack_mem);

	ss.ss_size = 16384;
	CHECK_RET("size 16384", sas(&ss, NULL));
	sas(NULL, &old);
	show("after 16384", &old, stack_mem);

	ss.ss_size = sizeof stack_mem;
	ss.ss_flags = 0x1234;
	CHECK_RET("bad flags", sas(&ss, NULL));
	ss.ss_flags = SS_ONSTACK;
	CHECK_RET("SS_ONSTACK flag", sas(&ss, NULL));
	sas(NULL, &old);
	show("after SS_ONSTACK", &old, stack_mem);

	ss.ss_sp = stack_mem + 4096;
	ss.ss_size = 32768;
	ss.ss_flags = SS_AUTODISARM_;
	CHECK_RET("SS_AUTODISARM", sas(&ss, NULL));
	sas(NULL, &old);
	show("after SS_AUTODISARM", &old, stack_mem + 4096);

	ss.ss_flags = SS_DISABLE;
	ss.ss_size = 0;
	ss.ss_sp = NULL;
	CHECK_RET("SS_DISABLE", sas(&ss, &old));
	show("old", &old, stack_mem + 4096);
	sas(NULL, &old);
	show("disabled", &old, NULL);
	ss.ss_flags = SS_DISABLE;
	ss.ss_size = 5;
	ss.ss_sp = stack_mem;
	CHECK_RET("SS_DISABLE with tiny size (ignored)", sas(&ss, NULL));

	CHECK_RET("ss unmapped", sas(unmapped_page(), NULL));
	CHECK_RET("old unmapped", sas(NULL, unmapped_page()));
	CHECK_RET("ss kernel half", sas(KERNEL_ADDR, NULL));
	CHECK_RET("NULL NULL", sas(NULL, NULL));

	/* libc wrapper */
	stack_t l = {.ss_sp = stack_mem, .ss_size = sizeof stack_mem, .ss_flags = 0};
	CHECK_RET("libc sigaltstack", sigaltstack(&l, NULL));
	CHECK_RET("libc sigaltstack read", sigaltstack(NULL, &l));
	show("libc", &l, stack_mem);
	return 0;
}
