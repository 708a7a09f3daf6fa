/*
 * mprotect: changing protections, splitting mappings, argument errors, and
 * the effect seen through syscalls: the kernel cannot copy into a read-only
 * page or out of a PROT_NONE page (EFAULT), without the program faulting.
 */
#include "check.h"
#include <sys/random.h>

#define RW (PROT_READ | PROT_WRITE)

int main(void)
{
	unsigned char *p = map_anon(NULL, 4 * PAGE, RW, 0);
	YESNO("map 4 pages", p != MAP_FAILED);
	memset(p, 0x44, 4 * PAGE);

	CHECK_RET("mprotect unaligned", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ));
	CHECK_RET("mprotect len 0", syscall(SYS_mprotect, p, 0, PROT_READ));
	CHECK_RET("mprotect bad prot bits", syscall(SYS_mprotect, p, PAGE, 0x100));
	CHECK_RET("mprotect GROWSDOWN|GROWSUP", syscall(SYS_mprotect, p, PAGE, PROT_READ | 0x01000000 | 0x02000000));
	CHECK_RET("mprotect unmapped range", syscall(SYS_mprotect, unmapped_page(), PAGE, PROT_READ));
	unsigned char *h = map_anon(NULL, 8 * PAGE, RW, 0);
	syscall(SYS_munmap, h, 4 * PAGE);
	CHECK_RET("mprotect range starting in a hole", syscall(SYS_mprotect, h, 8 * PAGE, PROT_READ));
	h[4 * PAGE] = 1;
	YESNO("mapping after the hole still writable", h[4 * PAGE] == 1);
	CHECK_RET("mprotect kernel half", syscall(SYS_mprotect, KERNEL_ADDR, PAGE, PROT_READ));

	/* read-only: readable, and the kernel refuses to write into it */
	CHECK_RET("mprotect page 1 read-only", syscall(SYS_mprotect, p + PAGE, PAGE, PROT_READ));
	YESNO("read-only page still readable", p[PAGE + 10] == 0x44);
	CHECK_RET("getrandom into read-only page", syscall(SYS_getrandom, p + PAGE, 16, 0));
	YESNO("read-only page unchanged", p[PAGE] == 0x44 && p[PAGE + 15] == 0x44);
	CHECK_RET("getrandom into writable neighbour", syscall(SYS_getrandom, p + 2 * PAGE, 16, 0));
	CHECK_RET("clock_gettime into read-only page", syscall(SYS_clock_gettime, 0, p + PAGE));
	CHECK_RET("write from read-only page", write(2, p + PAGE, 1));

	/* PROT_NONE: the kernel cannot read from it either */
	CHECK_RET("mprotect page 3 PROT_NONE", syscall(SYS_mprotect, p + 3 * PAGE, PAGE, PROT_NONE));
	CHECK_RET("write from PROT_NONE page", write(2, p + 3 * PAGE, 8));
	CHECK_RET("getrandom into PROT_NONE page", syscall(SYS_getrandom, p + 3 * PAGE, 8, 0));

	/* back to read-write: data survived, writes work */
	CHECK_RET("mprotect all RW again", syscall(SYS_mprotect, p, 4 * PAGE, RW));
	YESNO("data survived protection changes", p[PAGE] == 0x44 && p[3 * PAGE + 100] == 0x44);
	p[PAGE] = 1;
	p[3 * PAGE] = 2;
	YESNO("writable again", p[PAGE] == 1 && p[3 * PAGE] == 2);
	CHECK_RET("getrandom into RW page", syscall(SYS_getrandom, p + PAGE, 16, 0));

	/* PROT_EXEC alone and with write; PROT_SEM is accepted */
	CHECK_RET("mprotect RWX", syscall(SYS_mprotect, p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC));
	CHECK_RET("mprotect PROT_SEM", syscall(SYS_mprotect, p, PAGE, RW | 0x8));
	CHECK_RET("mprotect 4097 bytes", syscall(SYS_mprotect, p, PAGE + 1, PROT_READ));
	CHECK_RET("getrandom into rounded-up page", syscall(SYS_getrandom, p + PAGE + 100, 4, 0));

	/* a PROT_NONE reservation made accessible piecewise (how allocators work) */
	unsigned char *r = map_anon(NULL, 16 * PAGE, PROT_NONE, 0);
	CHECK_RET("open up middle of reservation", syscall(SYS_mprotect, r + 4 * PAGE, 2 * PAGE, RW));
	r[4 * PAGE] = 9;
	r[6 * PAGE - 1] = 9;
	YESNO("opened pages zeroed and writable", r[4 * PAGE + 1] == 0 && r[4 * PAGE] == 9);
	CHECK_RET("getrandom into closed part", syscall(SYS_getrandom, r + 6 * PAGE, 4, 0));
	return 0;
}
