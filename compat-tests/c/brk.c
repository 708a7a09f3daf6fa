/*
 * brk: the program break: query, grow (zero-filled, writable), unaligned
 * values, shrink, regrow (zeroed again), and refusals (below the start,
 * huge, into another mapping) which return the current break.
 * Raw syscalls only: no malloc in this program.
 */
#include "check.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

extern char end[]; /* end of bss, from the linker */

static unsigned long sbrk_raw(unsigned long v)
{
	return (unsigned long)syscall(SYS_brk, v);
}

int main(void)
{
	unsigned long b0 = sbrk_raw(0);
	YESNO("brk(0) nonzero", b0 != 0);
	YESNO("brk(0) at or above end of bss", b0 >= (unsigned long)end);
	/* Linux randomizes the start by up to 1 GiB (32 MiB before 6.9) */
	YESNO("brk(0) within 4 GiB above bss", b0 - (unsigned long)end < (4UL << 30));
	YESNO("brk(0) is stable", sbrk_raw(0) == b0);

	unsigned long b1 = sbrk_raw(b0 + (1UL << 20));
	YESNO("grow by 1 MiB returns new break", b1 == b0 + (1UL << 20));
	unsigned char *p = (unsigned char *)b0;
	int zero = 1;
	for (unsigned long i = 0; i < (1UL << 20); i += 512)
		zero &= p[i] == 0;
	YESNO("new heap zero-filled", zero);
	memset(p, 0xab, 1UL << 20);
	YESNO("new heap writable", p[0] == 0xab && p[(1UL << 20) - 1] == 0xab);
	YESNO("brk(0) reports new break", sbrk_raw(0) == b1);

	unsigned long b2 = sbrk_raw(b1 + 123);
	YESNO("unaligned break returned exactly", b2 == b1 + 123);
	p[(1UL << 20) + 122] = 1;
	YESNO("byte below unaligned break usable", p[(1UL << 20) + 122] == 1);

	unsigned long b3 = sbrk_raw(b0 + 4096);
	YESNO("shrink returns new break", b3 == b0 + 4096);
	YESNO("memory below shrunk break kept", p[0] == 0xab && p[4095] == 0xab);
	unsigned long b4 = sbrk_raw(b0 + (1UL << 20));
	YESNO("regrow returns new break", b4 == b0 + (1UL << 20));
	YESNO("regrown memory zeroed", p[8192] == 0 && p[(1UL << 20) - 1] == 0);
	YESNO("page kept across shrink/regrow", p[100] == 0xab);

	YESNO("brk below start refused (returns current)", sbrk_raw(b0 - (16UL << 20)) == b4);
	YESNO("brk(1) refused", sbrk_raw(1) == b4);
	YESNO("brk to top of user space refused", sbrk_raw(0x7ffffffff000UL) == b4);
	YESNO("brk into kernel half refused", sbrk_raw((unsigned long)KERNEL_ADDR) == b4);
	YESNO("brk(-1) refused", sbrk_raw(~0UL) == b4);

	/* a mapping just above the break blocks growth into it */
	unsigned long top = (b4 + 4095) & ~4095UL;
	long m = syscall(SYS_mmap, top + (2UL << 20), 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	YESNO("map a page 2 MiB above break", m == (long)(top + (2UL << 20)));
	YESNO("grow into that mapping refused", sbrk_raw(top + (4UL << 20)) == b4);
	YESNO("grow up to near it ok", sbrk_raw(top + (1UL << 20)) == top + (1UL << 20));

	YESNO("back to the start", sbrk_raw(b0) == b0);
	YESNO("brk(0) after all", sbrk_raw(0) == b0);
	return 0;
}
