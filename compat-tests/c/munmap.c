/*
 * munmap: unmapping whole, partial and absent ranges; the freed range can be
 * mapped again with MAP_FIXED_NOREPLACE (how we observe "unmapped" without
 * faulting).
 */
#include "check.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define RW (PROT_READ | PROT_WRITE)

/* 1 if [a, a+len) is free: probe with NOREPLACE and give it back */
static int is_free(unsigned char *a, size_t len)
{
	long r = syscall(SYS_mmap, a, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -1)
		return 0;
	syscall(SYS_munmap, a, len);
	return r == (long)a;
}

/* 1 if every page of [a, a+len) is mapped: each single-page probe fails */
static int all_mapped(unsigned char *a, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE)
		if (is_free(a + off, PAGE))
			return 0;
	return 1;
}

int main(void)
{
	unsigned char *p = map_anon(NULL, 8 * PAGE, RW, 0);
	YESNO("map 8 pages", p != MAP_FAILED);
	memset(p, 0x33, 8 * PAGE);
	YESNO("mapped range not free", all_mapped(p, 8 * PAGE));

	CHECK_RET("munmap unaligned addr", syscall(SYS_munmap, p + 1, PAGE));
	CHECK_RET("munmap len 0", syscall(SYS_munmap, p, 0));
	CHECK_RET("munmap len 2^47", syscall(SYS_munmap, p, 1UL << 47));
	CHECK_RET("munmap kernel half", syscall(SYS_munmap, KERNEL_ADDR, PAGE));
	CHECK_RET("munmap non-canonical", syscall(SYS_munmap, NONCANON_ADDR, PAGE));
	YESNO("failed munmaps unmapped nothing", all_mapped(p, 8 * PAGE) && p[5000] == 0x33);

	/* a middle page: the mapping splits in two */
	CHECK_RET("munmap middle page", syscall(SYS_munmap, p + 3 * PAGE, PAGE));
	YESNO("middle page now free", is_free(p + 3 * PAGE, PAGE));
	YESNO("pages before kept", all_mapped(p, 3 * PAGE) && p[3 * PAGE - 1] == 0x33);
	YESNO("pages after kept", all_mapped(p + 4 * PAGE, 4 * PAGE) && p[4 * PAGE] == 0x33);

	/* a length that is not a page multiple rounds up */
	CHECK_RET("munmap 4097 bytes", syscall(SYS_munmap, p + 5 * PAGE, PAGE + 1));
	YESNO("4097 bytes freed two pages", is_free(p + 5 * PAGE, 2 * PAGE));
	YESNO("page after them kept", all_mapped(p + 7 * PAGE, PAGE) && p[7 * PAGE] == 0x33);

	/* a range spanning holes and mappings */
	CHECK_RET("munmap across holes", syscall(SYS_munmap, p + 2 * PAGE, 6 * PAGE));
	YESNO("spanned range free", is_free(p + 2 * PAGE, 6 * PAGE));
	YESNO("first two pages kept", all_mapped(p, 2 * PAGE) && p[0] == 0x33);

	/* absent ranges are not an error */
	CHECK_RET("munmap already unmapped", syscall(SYS_munmap, p + 3 * PAGE, PAGE));
	unsigned char *hole = map_anon(NULL, 32 * PAGE, PROT_NONE, 0);
	syscall(SYS_munmap, hole, 32 * PAGE);
	CHECK_RET("munmap never mapped", syscall(SYS_munmap, hole + 8 * PAGE, 16 * PAGE));

	/* freed memory comes back zeroed */
	CHECK_RET("munmap rest", syscall(SYS_munmap, p, 2 * PAGE));
	long r = syscall(SYS_mmap, p, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	YESNO("NOREPLACE at freed address ok", r == (long)p);
	YESNO("remapped memory zeroed", p[0] == 0 && p[2 * PAGE - 1] == 0);
	return 0;
}
