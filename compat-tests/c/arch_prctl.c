/*
 * arch_prctl: FS and GS base registers. FS holds the libc's thread pointer,
 * so every change of FS happens inside one asm block that touches no TLS and
 * restores the old value before returning to C. The checks read %fs:0 and
 * %gs:0 to prove the CPU really uses the new base, not only that the kernel
 * stored a number.
 */
#include "check.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static long raw2(long nr, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

/* the block: set FS=new, read back with GET_FS, read %fs:0, restore FS=old */
struct fs_probe {
	long set_ret, get_ret, restore_ret;
	unsigned long got;
	unsigned long word0;
};

static void probe_fs(unsigned long old, unsigned long new, int read, struct fs_probe *pr)
{
	long set_ret, get_ret, restore_ret;
	unsigned long word0 = 0;
	__asm__ volatile(
		/* arch_prctl(ARCH_SET_FS, new) */
		"mov $158, %%eax\n\t"
		"mov $0x1002, %%edi\n\t"
		"mov %[new], %%rsi\n\t"
		"syscall\n\t"
		"mov %%rax, %[set_ret]\n\t"
		/* arch_prctl(ARCH_GET_FS, &pr->got) */
		"mov $158, %%eax\n\t"
		"mov $0x1003, %%edi\n\t"
		"lea %[got], %%rsi\n\t"
		"syscall\n\t"
		"mov %%rax, %[get_ret]\n\t"
		/* the first word at the new FS base, unless setting failed */
		"test %[rd], %[rd]\n\t"
		"jz 1f\n\t"
		"cmpq $0, %[set_ret]\n\t"
		"jne 1f\n\t"
		"mov %%fs:0, %%rax\n\t"
		"mov %%rax, %[word0]\n"
		"1:\n\t"
		/* arch_prctl(ARCH_SET_FS, old) */
		"mov $158, %%eax\n\t"
		"mov $0x1002, %%edi\n\t"
		"mov %[old], %%rsi\n\t"
		"syscall\n\t"
		"mov %%rax, %[restore_ret]\n\t"
		: [set_ret] "=m"(set_ret), [get_ret] "=m"(get_ret), [restore_ret] "=m"(restore_ret),
		  [word0] "+m"(word0), [got] "=m"(pr->got)
		: [new] "r"(new), [old] "r"(old), [rd] "r"(read)
		: "rax", "rdi", "rsi", "rcx", "r11", "memory");
	pr->set_ret = set_ret;
	pr->get_ret = get_ret;
	pr->restore_ret = restore_ret;
	pr->word0 = word0;
}

static unsigned long read_gs0(void)
{
	unsigned long v;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return v;
}

static unsigned long read_gs8(void)
{
	unsigned long v;
	__asm__ volatile("mov %%gs:8, %0" : "=r"(v));
	return v;
}

static unsigned long tls_block[4] = {0x1122334455667788UL, 0x99aabbccddeeff00UL, 0, 0};
static unsigned long gs_block[4] = {0xfeedfacecafebeefUL, 0x0123456789abcdefUL, 0, 0};

int main(void)
{
	unsigned long fs = 0, gs = 0, tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));

	CHECK_RAW("ARCH_GET_FS", raw2(SYS_arch_prctl, ARCH_GET_FS, (long)&fs));
	YESNO("FS base nonzero", fs != 0);
	YESNO("FS base is the thread pointer (%fs:0 == FS base)", tp == fs);
	YESNO("FS base is in the lower half", fs < 0x800000000000UL);

	struct fs_probe pr;
	probe_fs(fs, (unsigned long)tls_block, 1, &pr);
	out("set FS to another block: %s\n", raw_str(pr.set_ret));
	out("GET_FS after set: %s\n", raw_str(pr.get_ret));
	YESNO("GET_FS returns the new base", pr.got == (unsigned long)tls_block);
	YESNO("%fs:0 reads the new block", pr.word0 == tls_block[0]);
	out("restore FS: %s\n", raw_str(pr.restore_ret));
	unsigned long fs2 = 0;
	raw2(SYS_arch_prctl, ARCH_GET_FS, (long)&fs2);
	YESNO("FS restored", fs2 == fs);
	errno = 0;
	YESNO("TLS (errno) works after restore", errno == 0);

	probe_fs(fs, 0, 0, &pr);
	out("set FS to 0: %s, restore %s\n", raw_str(pr.set_ret), raw_str(pr.restore_ret));
	YESNO("GET_FS returned 0", pr.got == 0);
	probe_fs(fs, 0xffff800000000000UL, 0, &pr);
	out("set FS to kernel half: %s, restore %s\n", raw_str(pr.set_ret), raw_str(pr.restore_ret));
	probe_fs(fs, 0x8000000000000000UL, 0, &pr);
	out("set FS non-canonical: %s, restore %s\n", raw_str(pr.set_ret), raw_str(pr.restore_ret));
	probe_fs(fs, 0x7ffffffff000UL, 0, &pr);
	out("set FS to last user page: %s, restore %s\n", raw_str(pr.set_ret), raw_str(pr.restore_ret));

	/* GS is not used by the libc: set it freely */
	CHECK_RAW("ARCH_GET_GS", raw2(SYS_arch_prctl, ARCH_GET_GS, (long)&gs));
	out("initial GS base: %lu\n", gs);
	CHECK_RAW("ARCH_SET_GS block", raw2(SYS_arch_prctl, ARCH_SET_GS, (long)gs_block));
	gs = 0;
	CHECK_RAW("ARCH_GET_GS after set", raw2(SYS_arch_prctl, ARCH_GET_GS, (long)&gs));
	YESNO("GET_GS returns the new base", gs == (unsigned long)gs_block);
	YESNO("%gs:0 reads the block", read_gs0() == gs_block[0]);
	YESNO("%gs:8 reads the block", read_gs8() == gs_block[1]);
	gs_block[0] = 42;
	YESNO("%gs:0 sees a store to the block", read_gs0() == 42);
	/* survives a few syscalls */
	getpid();
	syscall(SYS_getppid);
	YESNO("GS base survives syscalls", read_gs0() == 42);
	CHECK_RAW("ARCH_SET_GS non-canonical", raw2(SYS_arch_prctl, ARCH_SET_GS, (long)0x8000000000000000UL));
	CHECK_RAW("ARCH_SET_GS 0", raw2(SYS_arch_prctl, ARCH_SET_GS, 0));
	gs = 1;
	raw2(SYS_arch_prctl, ARCH_GET_GS, (long)&gs);
	YESNO("GS base back to 0", gs == 0);

	/* errors (raw: negative errno in rax) */
	CHECK_RAW("bad code 0x9999", raw2(SYS_arch_prctl, 0x9999, 0));
	CHECK_RAW("code 0", raw2(SYS_arch_prctl, 0, 0));
	CHECK_RAW("GET_FS to unmapped", raw2(SYS_arch_prctl, ARCH_GET_FS, (long)unmapped_page()));
	CHECK_RAW("GET_GS to kernel half", raw2(SYS_arch_prctl, ARCH_GET_GS, (long)KERNEL_ADDR));
	CHECK_RAW("GET_FS to read-only page", raw2(SYS_arch_prctl, ARCH_GET_FS,
		(long)syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
	/* the libc wrapper path: errno set */
	CHECK_RET("syscall() bad code", syscall(SYS_arch_prctl, 0x9999, 0));
	return 0;
}
