/*
 * check.h: shared helpers for the compat-tests C programs.
 *
 * Every program prints one deterministic line per check: return values, errno
 * names, booleans and relations, never raw addresses, pids or times. The runner
 * (compat-tests/src) runs each program natively on the host and inside Elfin
 * and diffs the two outputs, so a line must print the same thing on every host
 * run of the same binary.
 *
 * Output goes straight to fd 1 with write(2), one write per line, so lines are
 * never reordered against raw writes and nothing is lost if the program dies.
 *
 * Kernel constants and structs are defined here by hand where the libc headers
 * differ (musl-gcc sees no <linux/...> headers).
 */
#ifndef COMPAT_CHECK_H
#define COMPAT_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL

/* Addresses no user program may touch: the first half of the kernel's
 * address space, and a non-canonical address (a #GP, not a #PF, on x86). */
#define KERNEL_ADDR ((void *)0xffff888000000000UL)
#define NONCANON_ADDR ((void *)0x8000000000000000UL)

static inline const char *errname(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
	E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
	E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR)
	E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(EFBIG)
	E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE)
	E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW)
	E(EOPNOTSUPP) E(ETIMEDOUT)
#undef E
	case 0: return "0";
	default: {
		static char buf[16];
		snprintf(buf, sizeof buf, "E%d", e);
		return buf;
	}
	}
}

/* Print one formatted line (the caller supplies the '\n') with a single write. */
__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	size_t off = 0;
	while (off < (size_t)n) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0)
			_exit(99);
		off += (size_t)w;
	}
}

/* `name: ret=<value>` or `name: ret=-1 errno=<NAME>`. For small integer results;
 * a result above 2^32 (an address where an error was expected) is not printed,
 * so that even a failing run prints the same thing every time. */
#define CHECK_RET(name, expr)                                                   \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(expr);                                         \
		int _e = errno;                                                 \
		if (_r == -1)                                                   \
			out("%s: ret=-1 errno=%s\n", (name), errname(_e));      \
		else if (_r > 0xffffffffL)                                      \
			out("%s: ret=<large, e.g. an address>\n", (name));      \
		else                                                            \
			out("%s: ret=%ld\n", (name), _r);                       \
	} while (0)

/* `name: ok` or `name: ret=-1 errno=<NAME>`. For results that are addresses
 * or otherwise vary between runs. */
#define CHECK_OK(name, expr)                                                    \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(expr);                                         \
		int _e = errno;                                                 \
		if (_r == -1)                                                   \
			out("%s: ret=-1 errno=%s\n", (name), errname(_e));      \
		else                                                            \
			out("%s: ok\n", (name));                                \
	} while (0)

/* `name: yes` / `name: no`. */
#define YESNO(name, cond) out("%s: %s\n", (name), (cond) ? "yes" : "no")

/* Errno as a name after a call whose result was already stored. */
static inline void report(const char *name, long r, int e)
{
	if (r == -1)
		out("%s: ret=-1 errno=%s\n", name, errname(e));
	else
		out("%s: ret=%ld\n", name, r);
}

/* For a raw `syscall` instruction's result: -4095..-1 is an errno. */
static inline const char *raw_str(long r)
{
	static char buf[2][64];
	static int k;
	char *b = buf[k++ & 1];
	if (r < 0 && r > -4096)
		snprintf(b, sizeof buf[0], "ret=-1 errno=%s", errname((int)-r));
	else
		snprintf(b, sizeof buf[0], "ret=%ld", r);
	return b;
}
#define CHECK_RAW(name, expr) out("%s: %s\n", (name), raw_str((long)(expr)))

/* Raw anonymous mapping helpers (raw syscalls: identical on musl and glibc). */
static inline void *map_anon(void *hint, size_t len, int prot, int flags)
{
	return (void *)syscall(SYS_mmap, hint, len, prot,
			       flags | MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
}

/* A page-aligned address with nothing mapped there: mapped, then unmapped.
 * Nothing maps it again as long as the program does not allocate. */
static inline void *unmapped_page(void)
{
	void *p = map_anon(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
	if (p == MAP_FAILED) {
		out("unmapped_page: mmap failed errno=%s\n", errname(errno));
		_exit(98);
	}
	syscall(SYS_munmap, p, PAGE);
	return p;
}

/* Basename of a path (pointer into it). */
static inline const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Does `s` end with `suffix`? */
static inline int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

#endif
