/*
 * cwd_affinity: getcwd (the runner starts host runs in "/", as Elfin does)
 * and sched_getaffinity (CPU 0 in the mask; CPU counts are not compared).
 */
#include "check.h"
#include <sched.h>

int main(void)
{
	char buf[4096];
	memset(buf, 'X', sizeof buf);
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	out("getcwd raw: ret=%ld cwd=%s\n", n, n > 0 ? buf : "?");
	YESNO("getcwd starts with '/'", buf[0] == '/');
	YESNO("ret counts the NUL", n > 0 && (size_t)n == strlen(buf) + 1);
	CHECK_RET("getcwd size 0", syscall(SYS_getcwd, buf, 0));
	CHECK_RET("getcwd size 1", syscall(SYS_getcwd, buf, 1));
	CHECK_RET("getcwd exact size", syscall(SYS_getcwd, buf, strlen(buf) + 1));
	CHECK_RET("getcwd unmapped", syscall(SYS_getcwd, unmapped_page(), 64));
	CHECK_RET("getcwd NULL", syscall(SYS_getcwd, NULL, 64));
	char *p = getcwd(NULL, 0);
	YESNO("libc getcwd(NULL, 0) allocates", p != NULL && strcmp(p, buf) == 0);
	free(p);
	char lb[64];
	YESNO("libc getcwd(buf) matches", getcwd(lb, sizeof lb) != NULL && strcmp(lb, buf) == 0);

	unsigned long mask[16];
	memset(mask, 0, sizeof mask);
	long r = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
	YESNO("sched_getaffinity > 0", r > 0);
	YESNO("size is a multiple of 8", r > 0 && r % 8 == 0);
	YESNO("CPU 0 set", mask[0] & 1);
	int cpus = 0;
	for (size_t i = 0; i < sizeof mask / sizeof mask[0]; i++)
		cpus += __builtin_popcountl(mask[i]);
	YESNO("at least one CPU", cpus >= 1);
	unsigned long m2[16];
	YESNO("own pid == pid 0", syscall(SYS_sched_getaffinity, syscall(SYS_getpid), sizeof m2, m2) == r &&
					   memcmp(mask, m2, (size_t)r) == 0);
	CHECK_RET("len 0", syscall(SYS_sched_getaffinity, 0, 0, mask));
	CHECK_RET("len 4", syscall(SYS_sched_getaffinity, 0, 4, mask));
	CHECK_RET("len 12", syscall(SYS_sched_getaffinity, 0, 12, mask));
	CHECK_RET("unmapped mask", syscall(SYS_sched_getaffinity, 0, sizeof mask, unmapped_page()));
	CHECK_RET("no such pid", syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof mask, mask));
	cpu_set_t set;
	CHECK_RET("libc sched_getaffinity", sched_getaffinity(0, sizeof set, &set));
	YESNO("libc: CPU 0 set", CPU_ISSET(0, &set));
	YESNO("libc: CPU_COUNT>=1", CPU_COUNT(&set) >= 1);
	return 0;
}
