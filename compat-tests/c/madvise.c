/*
 * madvise on anonymous memory: advice values accepted, MADV_DONTNEED zeroes
 * private pages (allocators rely on it), argument errors.
 */
#include "check.h"

#define RW (PROT_READ | PROT_WRITE)

static long ma(void *a, size_t len, int advice)
{
	return syscall(SYS_madvise, a, len, advice);
}

int main(void)
{
	unsigned char *p = map_anon(NULL, 8 * PAGE, RW, 0);
	memset(p, 0x42, 8 * PAGE);

	CHECK_RET("MADV_NORMAL", ma(p, 8 * PAGE, MADV_NORMAL));
	CHECK_RET("MADV_RANDOM", ma(p, 8 * PAGE, MADV_RANDOM));
	CHECK_RET("MADV_SEQUENTIAL", ma(p, 8 * PAGE, MADV_SEQUENTIAL));
	CHECK_RET("MADV_WILLNEED", ma(p, 8 * PAGE, MADV_WILLNEED));
	YESNO("advice kept data", p[0] == 0x42 && p[8 * PAGE - 1] == 0x42);

	CHECK_RET("MADV_DONTNEED pages 2-3", ma(p + 2 * PAGE, 2 * PAGE, MADV_DONTNEED));
	YESNO("DONTNEED pages read zero", p[2 * PAGE] == 0 && p[4 * PAGE - 1] == 0);
	YESNO("pages around them kept", p[2 * PAGE - 1] == 0x42 && p[4 * PAGE] == 0x42);
	p[2 * PAGE] = 5;
	YESNO("DONTNEED pages writable again", p[2 * PAGE] == 5);
	CHECK_RET("MADV_DONTNEED unaligned length", ma(p + 5 * PAGE, 100, MADV_DONTNEED));
	YESNO("unaligned length covers whole page", p[5 * PAGE] == 0 && p[6 * PAGE - 1] == 0 && p[6 * PAGE] == 0x42);

	CHECK_RET("MADV_FREE", ma(p + 6 * PAGE, PAGE, MADV_FREE));
	p[6 * PAGE] = 6;
	YESNO("MADV_FREE page writable", p[6 * PAGE] == 6);

	CHECK_RET("len 0", ma(p, 0, MADV_DONTNEED));
	CHECK_RET("unaligned address", ma(p + 1, PAGE, MADV_DONTNEED));
	CHECK_RET("unknown advice 999", ma(p, PAGE, 999));
	CHECK_RET("unknown advice -1", ma(p, PAGE, -1));
	CHECK_RET("unmapped range", ma(unmapped_page(), PAGE, MADV_DONTNEED));
	CHECK_RET("unmapped range MADV_NORMAL", ma(unmapped_page(), PAGE, MADV_NORMAL));
	CHECK_RET("kernel half", ma(KERNEL_ADDR, PAGE, MADV_DONTNEED));
	CHECK_RET("length overflow", ma(p, SIZE_MAX - 10, MADV_NORMAL));
	YESNO("errors left data alone", p[7 * PAGE] == 0x42);

	/* a range that starts mapped and runs into a hole: applied, then ENOMEM */
	unsigned char *q = map_anon(NULL, 4 * PAGE, RW, 0);
	memset(q, 0x24, 4 * PAGE);
	syscall(SYS_munmap, q + 2 * PAGE, 2 * PAGE);
	CHECK_RET("DONTNEED running into a hole", ma(q, 4 * PAGE, MADV_DONTNEED));
	YESNO("mapped part was zeroed", q[0] == 0 && q[2 * PAGE - 1] == 0);
	return 0;
}
