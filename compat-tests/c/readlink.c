/*
 * readlink: /proc/self/exe names the running binary (only its basename is
 * compared: the host path and Elfin's guest path may differ in their
 * prefix); truncation, no NUL terminator, error paths.
 */
#include "check.h"
#include <fcntl.h>

static long rl(const char *path, char *buf, long size)
{
	return syscall(SYS_readlink, path, buf, size);
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *want = base_name(argv[0]);
	char buf[4096];
	memset(buf, 'X', sizeof buf);
	long n = rl("/proc/self/exe", buf, sizeof buf);
	YESNO("readlink /proc/self/exe > 0", n > 0);
	if (n <= 0)
		return 1;
	YESNO("not NUL-terminated", buf[n] == 'X');
	buf[n] = 0;
	YESNO("absolute path", buf[0] == '/');
	YESNO("ends with the binary's basename", strcmp(base_name(buf), want) == 0);
	YESNO("no '//' or '/./' in it", strstr(buf, "//") == NULL && strstr(buf, "/./") == NULL);

	char small[8];
	memset(small, 'X', sizeof small);
	CHECK_RET("bufsiz 3 truncates", rl("/proc/self/exe", small, 3));
	YESNO("truncated bytes are the start", memcmp(small, buf, 3) == 0 && small[3] == 'X');
	CHECK_RET("bufsiz 1", rl("/proc/self/exe", small, 1));
	CHECK_RET("bufsiz 0", rl("/proc/self/exe", small, 0));
	CHECK_RET("bufsiz -1", rl("/proc/self/exe", small, -1));
	CHECK_RET("unmapped buffer", rl("/proc/self/exe", unmapped_page(), 64));
	CHECK_RET("unmapped path", rl(unmapped_page(), buf, 64));
	CHECK_RET("NULL path", rl(NULL, buf, 64));
	CHECK_RET("empty path", rl("", buf, 64));
	CHECK_RET("missing file", rl("/nonexistent-compat-test/x", buf, 64));

	char buf2[4096];
	long n2 = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf2, sizeof buf2);
	YESNO("readlinkat(AT_FDCWD) agrees", n2 == n && memcmp(buf, buf2, (size_t)n) == 0);
	long n3 = readlink("/proc/self/exe", buf2, sizeof buf2);
	YESNO("libc readlink agrees", n3 == n && memcmp(buf, buf2, (size_t)n) == 0);
	return 0;
}
