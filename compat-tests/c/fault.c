/*
 * fault: a fatal CPU exception in the app. Linux kills the process with a
 * signal (the runner records 128+signal); Elfin must end the VM with the same
 * status and print a crash report on stderr.
 *   null-read      load from address 0                    SIGSEGV
 *   null-write     store to NULL + 0x1238 (a struct field) SIGSEGV
 *   null-exec      call a NULL function pointer            SIGSEGV
 *   noncanonical   load from a non-canonical address (#GP) SIGSEGV
 *   ud2            undefined instruction                   SIGILL
 *   div0           integer division by zero                SIGFPE
 *   stack-overflow unbounded recursion                     SIGSEGV
 */
#include "check.h"
#include <sys/resource.h>

static char *volatile null_ptr; /* volatile: the compiler cannot see it is NULL */
static volatile int zero;
static volatile int never = -1; /* recursion limit the compiler cannot see through */

static int recurse(int depth)
{
	volatile char frame[1024];
	frame[0] = (char)depth;
	if (depth == never)
		return 0;
	return recurse(depth + 1) + frame[0];
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		out("usage: fault MODE\n");
		return 2;
	}
	/* no core dump on the host: keeps the oracle fast whatever core_pattern says */
	struct rlimit no_core = {0, 0};
	syscall(SYS_prlimit64, 0, RLIMIT_CORE, &no_core, NULL);

	const char *m = argv[1];
	out("about to fault: %s\n", m);
	if (strcmp(m, "null-read") == 0)
		out("read %d\n", *(volatile int *)null_ptr);
	else if (strcmp(m, "null-write") == 0)
		*(volatile int *)(null_ptr + 0x1238) = 1;
	else if (strcmp(m, "null-exec") == 0)
		((void (*)(void))null_ptr)();
	else if (strcmp(m, "noncanonical") == 0)
		out("read %d\n", *(volatile int *)(null_ptr + 0x8000000000000000UL));
	else if (strcmp(m, "ud2") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(m, "div0") == 0) {
		unsigned a = 1, d = (unsigned)zero;
		__asm__ volatile("xor %%edx, %%edx\n\tdivl %1" : "+a"(a) : "r"(d) : "rdx");
		out("quotient %u\n", a);
	}
	else if (strcmp(m, "stack-overflow") == 0)
		out("depth %d\n", recurse(0));
	else {
		out("unknown mode\n");
		return 2;
	}
	out("still alive after %s\n", m);
	return 0;
}
