/*
 * mremap: growing in place, shrinking, moving (MREMAP_MAYMOVE), data
 * surviving a move, the old range freed, argument errors (MREMAP_FIXED moves
 * themselves: mremap_fixed.c).
 */
#include "check.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define MREMAP_MAYMOVE_ 1
#define MREMAP_FIXED_ 2

#define RW (PROT_READ | PROT_WRITE)

static long mr(void *old, size_t olen, size_t nlen, int flags, void *new_addr)
{
	return syscall(SYS_mremap, old, olen, nlen, flags, new_addr);
}

static int is_free(unsigned char *a, size_t len)
{
	long r = syscall(SYS_mmap, a, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == -1)
		return 0;
	syscall(SYS_munmap, a, len);
	return r == (long)a;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static int check(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 31 + seed))
			return 0;
	return 1;
}

static void munmap_or_die(void *p, size_t len)
{
	if (syscall(SYS_munmap, p, len) != 0) {
		out("munmap failed: %s\n", errname(errno));
		_exit(97);
	}
}

int main(void)
{
	long r;
	/* room to grow: a 16-page hole, one page mapped at its start */
	unsigned char *R = map_anon(NULL, 16 * PAGE, PROT_NONE, 0);
	syscall(SYS_munmap, R, 16 * PAGE);
	unsigned char *p = (void *)syscall(SYS_mmap, R, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	YESNO("map 1 page at hole start", p == R);
	fill(p, PAGE, 1);

	r = mr(p, PAGE, 4 * PAGE, 0, NULL);
	YESNO("grow in place into free space", r == (long)p);
	YESNO("data kept after growing", check(p, PAGE, 1));
	YESNO("grown part zeroed", p[PAGE] == 0 && p[4 * PAGE - 1] == 0);
	fill(p, 4 * PAGE, 2);

	r = mr(p, 4 * PAGE, 2 * PAGE, 0, NULL);
	YESNO("shrink in place", r == (long)p);
	YESNO("data kept after shrinking", check(p, 2 * PAGE, 2));
	YESNO("shrunk tail freed", is_free(p + 2 * PAGE, 2 * PAGE));

	/* block growth with a neighbour */
	unsigned char *n = (void *)syscall(SYS_mmap, p + 2 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	YESNO("neighbour mapped", n == p + 2 * PAGE);
	n[0] = 0x99;
	CHECK_RET("grow blocked without MAYMOVE", mr(p, 2 * PAGE, 8 * PAGE, 0, NULL));
	YESNO("failed grow kept data", check(p, 2 * PAGE, 2));

	r = mr(p, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE_, NULL);
	YESNO("grow with MAYMOVE moved", r != -1 && r != (long)p);
	unsigned char *m = (void *)r;
	YESNO("data survives the move", r != -1 && check(m, 2 * PAGE, 2));
	YESNO("moved mapping's new part zeroed", r != -1 && m[2 * PAGE] == 0 && m[64 * PAGE - 1] == 0);
	YESNO("old range freed by the move", is_free(p, 2 * PAGE));
	YESNO("neighbour untouched", n[0] == 0x99);

	unsigned char *dst = map_anon(NULL, 8 * PAGE, RW, 0);
	fill(dst, 8 * PAGE, 3);
	munmap_or_die(m, 64 * PAGE);

	/* errors */
	CHECK_RET("FIXED without MAYMOVE", mr(dst, PAGE, PAGE, MREMAP_FIXED_, dst + 6 * PAGE));
	CHECK_RET("FIXED unaligned target", mr(dst, PAGE, PAGE, MREMAP_MAYMOVE_ | MREMAP_FIXED_, dst + 6 * PAGE + 1));
	CHECK_RET("FIXED overlapping source", mr(dst, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE_ | MREMAP_FIXED_, dst + PAGE));
	CHECK_RET("unaligned old address", mr(dst + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE_, NULL));
	CHECK_RET("new size 0", mr(dst, PAGE, 0, MREMAP_MAYMOVE_, NULL));
	CHECK_RET("bad flags", mr(dst, PAGE, PAGE, 0x80, NULL));
	CHECK_RET("old range not mapped", mr(unmapped_page(), PAGE, 2 * PAGE, MREMAP_MAYMOVE_, NULL));
	CHECK_RET("old range larger than mapping", mr(n, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE_, NULL));
	CHECK_RET("huge new size", mr(dst, PAGE, 1UL << 47, MREMAP_MAYMOVE_, NULL));
	YESNO("errors left data alone", check(dst, 8 * PAGE, 3));

	/* same size: a no-op */
	r = mr(dst, 8 * PAGE, 8 * PAGE, 0, NULL);
	YESNO("same size returns same address", r == (long)dst);
	/* unaligned lengths round up */
	r = mr(dst, 8 * PAGE - 100, 4 * PAGE + 1, 0, NULL);
	YESNO("rounded shrink to 5 pages", r == (long)dst && is_free(dst + 5 * PAGE, 3 * PAGE) && !is_free(dst + 4 * PAGE, PAGE));
	return 0;
}
