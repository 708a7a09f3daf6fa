/*
 * mmap: anonymous mappings: placement (hints, MAP_FIXED, MAP_FIXED_NOREPLACE),
 * zero fill, rounding, argument errors, lazy reservation of large ranges.
 * All placement checks happen inside a region this program reserved, so they
 * do not depend on where the kernel puts things.
 */
#include "check.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define RW (PROT_READ | PROT_WRITE)

static long mm(void *addr, size_t len, int prot, int flags)
{
	return syscall(SYS_mmap, addr, len, prot, flags, -1, 0);
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	long r;
	/* a plain mapping */
	unsigned char *p = map_anon(NULL, PAGE, RW, 0);
	YESNO("anon 1 page ok", p != MAP_FAILED);
	YESNO("result page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
	YESNO("result in lower half", (uintptr_t)p < 0x800000000000UL);
	YESNO("fresh page zeroed", all_zero(p, PAGE));
	memset(p, 0x5a, PAGE);
	YESNO("written data reads back", p[0] == 0x5a && p[PAGE - 1] == 0x5a);

	/* two mappings do not overlap */
	unsigned char *q = map_anon(NULL, 3 * PAGE, RW, 0);
	YESNO("second mapping disjoint", q + 3 * PAGE <= p || p + PAGE <= q);
	YESNO("first mapping intact", p[100] == 0x5a);

	/* argument errors */
	CHECK_RET("len 0", mm(NULL, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS));
	CHECK_RET("len SIZE_MAX", mm(NULL, SIZE_MAX, RW, MAP_PRIVATE | MAP_ANONYMOUS));
	CHECK_RET("len 2^47", mm(NULL, 1UL << 47, RW, MAP_PRIVATE | MAP_ANONYMOUS));
	CHECK_RET("neither private nor shared", mm(NULL, PAGE, RW, MAP_ANONYMOUS));
	CHECK_RET("unaligned offset", syscall(SYS_mmap, NULL, PAGE, RW,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 100));
	CHECK_RET("file mapping of bad fd", syscall(SYS_mmap, NULL, PAGE, RW, MAP_PRIVATE, 1000, 0));

	/* reserve 64 pages to play in */
	unsigned char *R = map_anon(NULL, 64 * PAGE, PROT_NONE, 0);
	YESNO("reserve 64 pages PROT_NONE", R != MAP_FAILED);

	/* MAP_FIXED */
	CHECK_RET("MAP_FIXED unaligned", mm(R + 1, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
	r = mm(R + 4 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	YESNO("MAP_FIXED returns the address", r == (long)(R + 4 * PAGE));
	memset(R + 4 * PAGE, 0x11, 2 * PAGE);
	r = mm(R + 5 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	YESNO("MAP_FIXED over data returns the address", r == (long)(R + 5 * PAGE));
	YESNO("MAP_FIXED replaced the page (reads zero)", all_zero(R + 5 * PAGE, PAGE));
	YESNO("neighbour page kept its data", R[4 * PAGE] == 0x11 && R[5 * PAGE - 1] == 0x11);
	r = mm(R + 4 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	YESNO("MAP_FIXED again zeroes both pages", r == (long)(R + 4 * PAGE) && all_zero(R + 4 * PAGE, 2 * PAGE));
	CHECK_RET("MAP_FIXED in kernel half", mm(KERNEL_ADDR, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
	CHECK_RET("MAP_FIXED non-canonical", mm(NONCANON_ADDR, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
	CHECK_RET("MAP_FIXED across top of user space",
		  mm((void *)(0x800000000000UL - PAGE), 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));

	/* MAP_FIXED_NOREPLACE */
	CHECK_RET("NOREPLACE over mapping", mm(R + 8 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
	CHECK_RET("NOREPLACE unaligned", mm(R + 8 * PAGE + 8, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
	syscall(SYS_munmap, R + 8 * PAGE, 4 * PAGE);
	r = mm(R + 9 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	YESNO("NOREPLACE on free range returns the address", r == (long)(R + 9 * PAGE));
	CHECK_RET("NOREPLACE overlapping its end", mm(R + 8 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
	CHECK_RET("NOREPLACE overlapping its start", mm(R + 9 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
	r = mm(R + 10 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	YESNO("NOREPLACE right after it ok", r == (long)(R + 10 * PAGE));

	/* hints */
	syscall(SYS_munmap, R + 16 * PAGE, 16 * PAGE);
	r = mm(R + 20 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("free hint honoured", r == (long)(R + 20 * PAGE));
	r = mm(R + 24 * PAGE + 123, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("unaligned hint: ok and aligned", r != -1 && (r & (PAGE - 1)) == 0);
	r = mm(R + 40 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("busy hint: mapped elsewhere", r != -1 && r != (long)(R + 40 * PAGE));
	if (r != -1)
		((unsigned char *)r)[0] = 0x77;
	YESNO("busy hint: new page writable, old data intact", r != -1 && p[200] == 0x5a);
	r = mm(KERNEL_ADDR, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("kernel-half hint: mapped in lower half", r != -1 && (unsigned long)r < 0x800000000000UL);

	/* length rounding: 5000 bytes take two pages */
	syscall(SYS_munmap, R + 48 * PAGE, 16 * PAGE);
	r = mm(R + 48 * PAGE, 5000, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	YESNO("5000-byte MAP_FIXED ok", r == (long)(R + 48 * PAGE));
	R[48 * PAGE + 8191] = 1;
	CHECK_RET("5000 bytes cover page 2", mm(R + 49 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
	r = mm(R + 50 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	YESNO("5000 bytes stop before page 3", r == (long)(R + 50 * PAGE));

	/* other flags */
	unsigned char *s = (void *)mm(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
	YESNO("MAP_SHARED anon ok and zeroed", s != MAP_FAILED && all_zero(s, 2 * PAGE));
	s[0] = 7;
	YESNO("MAP_SHARED anon writable", s[0] == 7);
	s = (void *)mm(NULL, 4 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);
	YESNO("MAP_POPULATE ok and zeroed", s != MAP_FAILED && all_zero(s, 4 * PAGE));
	s = (void *)mm(NULL, 4 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK);
	YESNO("MAP_NORESERVE|MAP_STACK ok", s != MAP_FAILED);
	s = (void *)mm(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("PROT_READ mapping reads zero", s != MAP_FAILED && all_zero(s, PAGE));
	s = (void *)mm(NULL, PAGE, RW | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("RWX mapping ok", s != MAP_FAILED);

	/* large ranges are reserved lazily */
	unsigned char *big = (void *)mm(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("1 GiB PROT_NONE reservation ok", big != MAP_FAILED);
	big = (void *)mm(NULL, 256UL << 20, RW, MAP_PRIVATE | MAP_ANONYMOUS);
	YESNO("256 MiB RW mapping ok", big != MAP_FAILED);
	if (big != MAP_FAILED) {
		big[0] = 1;
		big[(256UL << 20) - 1] = 2;
		YESNO("256 MiB first and last byte", big[0] == 1 && big[(256UL << 20) - 1] == 2);
		YESNO("256 MiB middle page zero", all_zero(big + (128UL << 20), PAGE));
	}
	return 0;
}
