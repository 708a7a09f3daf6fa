/*
 * uname: the fields programs parse (sysname, machine, release format);
 * release/version/nodename values are host-specific and not printed.
 */
#include "check.h"
#include <ctype.h>
#include <sys/utsname.h>

static int terminated(const char *f)
{
	return memchr(f, 0, 65) != NULL;
}

int main(void)
{
	struct utsname u;
	memset(&u, 0x7f, sizeof u);
	CHECK_RET("uname", syscall(SYS_uname, &u));
	out("sysname=%s\n", u.sysname);
	out("machine=%s\n", u.machine);
	YESNO("all fields NUL-terminated", terminated(u.sysname) && terminated(u.nodename) &&
		  terminated(u.release) && terminated(u.version) && terminated(u.machine) &&
		  terminated(u.domainname));
	YESNO("nodename nonempty", u.nodename[0] != 0);
	YESNO("version nonempty", u.version[0] != 0);
	int maj = 0, min = 0;
	int n = sscanf(u.release, "%d.%d", &maj, &min);
	YESNO("release starts with <major>.<minor>", n == 2 && isdigit((unsigned char)u.release[0]));
	YESNO("release major>=4", maj >= 4);
	YESNO("release >= 5.10 (modern ABI)", maj > 5 || (maj == 5 && min >= 10));

	struct utsname v;
	CHECK_RET("libc uname", uname(&v));
	YESNO("libc uname == raw", memcmp(&u, &v, sizeof u) == 0);
	CHECK_RET("uname NULL", syscall(SYS_uname, NULL));
	CHECK_RET("uname unmapped", syscall(SYS_uname, unmapped_page()));
	CHECK_RET("uname kernel half", syscall(SYS_uname, KERNEL_ADDR));
	unsigned char *ro = (void *)syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_RET("uname into read-only page", syscall(SYS_uname, ro));
	/* a struct straddling the end of a mapping */
	unsigned char *two = map_anon(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0);
	syscall(SYS_munmap, two + PAGE, PAGE);
	CHECK_RET("uname straddling a mapping end", syscall(SYS_uname, two + PAGE - 100));
	return 0;
}
