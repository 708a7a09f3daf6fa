/*
 * mremap_fixed: MREMAP_FIXED moves to a chosen address: onto a free range
 * and over an existing mapping (which is replaced), data moved, neighbours
 * and the source range handled as Linux does.
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

int main(void)
{
	long r;
	unsigned char *m = map_anon(NULL, 4 * PAGE, RW, 0);
	fill(m, 4 * PAGE, 2);

	/* over an existing mapping: the target's pages are replaced */
	unsigned char *dst = map_anon(NULL, 8 * PAGE, RW, 0);
	memset(dst, 0xee, 8 * PAGE);
	r = mr(m, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE_ | MREMAP_FIXED_, dst + 2 * PAGE);
	YESNO("MREMAP_FIXED returns the target", r == (long)(dst + 2 * PAGE));
	YESNO("data moved to the target", check(dst + 2 * PAGE, 2 * PAGE, 2));
	YESNO("target's neighbours kept", dst[2 * PAGE - 1] == 0xee && dst[4 * PAGE] == 0xee);
	YESNO("source freed", is_free(m, 2 * PAGE));
	YESNO("rest of the source kept", !is_free(m + 2 * PAGE, 2 * PAGE) && m[2 * PAGE] == (unsigned char)(2 * PAGE * 31 + 2));

	/* onto a free range, growing on the way */
	unsigned char *hole = map_anon(NULL, 16 * PAGE, PROT_NONE, 0);
	syscall(SYS_munmap, hole, 16 * PAGE);
	r = mr(dst + 2 * PAGE, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE_ | MREMAP_FIXED_, hole + 4 * PAGE);
	YESNO("FIXED onto free range, growing", r == (long)(hole + 4 * PAGE));
	YESNO("data moved again", check(hole + 4 * PAGE, 2 * PAGE, 2));
	YESNO("grown part zeroed", hole[6 * PAGE] == 0 && hole[8 * PAGE - 1] == 0);
	YESNO("old place free", is_free(dst + 2 * PAGE, 2 * PAGE));

	/* shrinking while moving */
	r = mr(hole + 4 * PAGE, 4 * PAGE, PAGE, MREMAP_MAYMOVE_ | MREMAP_FIXED_, hole + 12 * PAGE);
	YESNO("FIXED shrinking move", r == (long)(hole + 12 * PAGE) && check(hole + 12 * PAGE, PAGE, 2));
	YESNO("whole old range freed", is_free(hole + 4 * PAGE, 4 * PAGE));
	return 0;
}
