/*
 * auxv: the auxiliary vector Linux gives a static program (also built as a
 * static PIE): page size, program headers, entry point, AT_RANDOM, AT_EXECFN,
 * credentials, AT_SECURE, AT_HWCAP, AT_PLATFORM, AT_CLKTCK, AT_MINSIGSTKSZ.
 * Values that differ per CPU or per load address are printed as relations.
 */
#include "check.h"
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern char _start[];
extern char **environ;

int main(int argc, char **argv)
{
	(void)argc;
	out("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
	out("AT_PHENT=%lu\n", getauxval(AT_PHENT));
	unsigned long phnum = getauxval(AT_PHNUM);
	YESNO("AT_PHNUM>0", phnum > 0);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	YESNO("AT_PHDR non-null", ph != NULL);
	int loads = 0, has_phdr_self = 0, tls = 0, stack = 0;
	unsigned long bias = 0;
	for (unsigned long i = 0; ph && i < phnum; i++) {
		loads += ph[i].p_type == PT_LOAD;
		tls += ph[i].p_type == PT_TLS;
		stack += ph[i].p_type == PT_GNU_STACK;
		if (ph[i].p_type == PT_PHDR) {
			has_phdr_self = 1;
			bias = (unsigned long)ph - ph[i].p_vaddr;
		}
	}
	YESNO("program headers readable, PT_LOAD present", loads > 0);
	YESNO("PT_GNU_STACK present", stack == 1);
	out("PT_TLS count=%d\n", tls);
	if (has_phdr_self)
		YESNO("PT_PHDR consistent with AT_PHDR (page-aligned bias)", (bias & (PAGE - 1)) == 0);
	else
		out("no PT_PHDR\n");
	YESNO("AT_ENTRY == _start", getauxval(AT_ENTRY) == (unsigned long)_start);
	out("AT_BASE=%lu\n", getauxval(AT_BASE));
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	YESNO("AT_RANDOM non-null", rnd != NULL);
	int nz = 0;
	for (int i = 0; rnd && i < 16; i++)
		nz |= rnd[i];
	YESNO("AT_RANDOM bytes not all zero", nz != 0);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	YESNO("AT_EXECFN non-null", execfn != NULL);
	YESNO("AT_EXECFN ends with the binary's basename", execfn && strcmp(base_name(execfn), base_name(argv[0])) == 0);
	out("AT_SECURE=%lu\n", getauxval(AT_SECURE));
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	out("AT_PLATFORM=%s\n", plat ? plat : "(none)");
	out("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
	YESNO("AT_UID==getuid", getauxval(AT_UID) == getuid());
	YESNO("AT_EUID==geteuid", getauxval(AT_EUID) == geteuid());
	YESNO("AT_GID==getgid", getauxval(AT_GID) == getgid());
	YESNO("AT_EGID==getegid", getauxval(AT_EGID) == getegid());
	YESNO("AT_MINSIGSTKSZ >= 1024", getauxval(AT_MINSIGSTKSZ) >= 1024);
	errno = 0;
	unsigned long none = getauxval(12345);
	out("getauxval(unknown)=%lu errno=%s\n", none, errname(errno));

	/* the vector itself: after envp's NULL, pairs ending in AT_NULL */
	char **e = environ;
	while (*e)
		e++;
	const unsigned long *av = (const unsigned long *)(e + 1);
	int count = 0, pagesz_seen = 0, dup = 0;
	unsigned long seen[64] = {0}, val[64] = {0};
	for (; av[0] != AT_NULL && count < 100; av += 2, count++) {
		if (av[0] == AT_PAGESZ)
			pagesz_seen = 1;
		if (av[0] < 64) {
			dup |= seen[av[0]];
			seen[av[0]] = 1;
			val[av[0]] = av[1];
		}
	}
	YESNO("auxv terminated by AT_NULL", count < 100);
	YESNO("auxv holds AT_PAGESZ", pagesz_seen);
	YESNO("no duplicate auxv keys", !dup);
	static const int wanted[] = {AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_ENTRY,
				     AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK,
				     AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ};
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
		out("auxv has key %d: %s\n", wanted[i], seen[wanted[i]] ? "yes" : "no");
	/* the raw value: glibc's getauxval(AT_HWCAP) reports its own bits */
	YESNO("raw AT_HWCAP nonzero", val[AT_HWCAP] != 0);
	YESNO("raw AT_HWCAP has SSE2 (CPUID.1:EDX bit 26)", (val[AT_HWCAP] >> 26) & 1);
	YESNO("raw AT_PAGESZ == getauxval", val[AT_PAGESZ] == getauxval(AT_PAGESZ));
	YESNO("AT_RANDOM above the auxv", (const void *)rnd > (const void *)av);
	YESNO("AT_EXECFN above the auxv", (const void *)execfn > (const void *)av);
	return 0;
}
