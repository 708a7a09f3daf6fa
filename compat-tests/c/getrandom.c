/*
 * getrandom: lengths, flags, bad flags, bad and partially bad buffers.
 * Prints counts and relations, never the bytes.
 */
#include "check.h"

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

static long gr(void *buf, size_t len, unsigned flags)
{
	return syscall(SYS_getrandom, buf, len, flags);
}

static int nonzero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 1;
	return 0;
}

static unsigned char big[1 << 20];

int main(void)
{
	unsigned char a[256], b[256];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	CHECK_RET("len 0", gr(a, 0, 0));
	CHECK_RET("len 0 NULL buffer", gr(NULL, 0, 0));
	CHECK_RET("len 1", gr(a, 1, 0));
	CHECK_RET("len 16", gr(a, 16, 0));
	CHECK_RET("len 16 again", gr(b, 16, 0));
	YESNO("two draws differ", memcmp(a, b, 16) != 0);
	YESNO("draw not all zero", nonzero(a, 16));
	memset(a, 0, sizeof a);
	CHECK_RET("len 256", gr(a, 256, 0));
	YESNO("last byte written (some of 4 draws nonzero)", nonzero(a + 252, 4) || gr(a + 252, 4, 0) == 4);
	CHECK_RET("len 1 MiB", gr(big, sizeof big, 0));
	YESNO("1 MiB tail written", nonzero(big + sizeof big - 64, 64));

	CHECK_RET("GRND_NONBLOCK", gr(a, 32, GRND_NONBLOCK));
	CHECK_RET("GRND_RANDOM", gr(a, 32, GRND_RANDOM));
	CHECK_RET("GRND_RANDOM|GRND_NONBLOCK", gr(a, 32, GRND_RANDOM | GRND_NONBLOCK));
	CHECK_RET("GRND_INSECURE", gr(a, 32, GRND_INSECURE));
	CHECK_RET("GRND_INSECURE|GRND_RANDOM", gr(a, 32, GRND_INSECURE | GRND_RANDOM));
	CHECK_RET("flags 0x8", gr(a, 32, 0x8));
	CHECK_RET("flags 0x80000000", gr(a, 32, 0x80000000u));
	CHECK_RET("bad flags, len 0", gr(a, 0, 0x100));

	unsigned char *bad = unmapped_page();
	CHECK_RET("NULL buffer", gr(NULL, 16, 0));
	CHECK_RET("unmapped buffer", gr(bad, 16, 0));
	CHECK_RET("kernel-half buffer", gr(KERNEL_ADDR, 16, 0));
	CHECK_RET("non-canonical buffer", gr(NONCANON_ADDR, 16, 0));
	/* (a buffer running off the end of a mapping: partial.c) */
	return 0;
}
