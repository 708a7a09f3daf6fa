/*
 * eventfd: the counter (writes add, a read returns and clears it),
 * EFD_SEMAPHORE, EFD_NONBLOCK (EAGAIN on zero and on overflow), the value
 * limits, buffer sizes, flags, poll readiness. Nothing here blocks.
 */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>

static void rd(const char *name, int fd)
{
	uint64_t v = 0xdeadbeef;
	errno = 0;
	long r = read(fd, &v, 8);
	if (r < 0)
		out("%s: ret=-1 errno=%s\n", name, errname(errno));
	else
		out("%s: ret=%ld value=%llu\n", name, r, (unsigned long long)v);
}

static long wr(int fd, uint64_t v)
{
	return write(fd, &v, 8);
}

static const char *ready(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	int r = poll(&p, 1, 0);
	if (r < 0)
		return "error";
	int in = !!(p.revents & POLLIN), outp = !!(p.revents & POLLOUT);
	return in && outp ? "IN|OUT" : in ? "IN" : outp ? "OUT" : (p.revents ? "other" : "0");
}

int main(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	YESNO("eventfd(0, EFD_NONBLOCK)", fd >= 0);
	int fl = fcntl(fd, F_GETFL);
	out("F_GETFL: accmode=%d nonblock=%d\n", fl & O_ACCMODE, !!(fl & O_NONBLOCK));
	out("FD_CLOEXEC: %d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	rd("read at 0", fd);
	out("poll at 0: %s\n", ready(fd));
	CHECK_RET("write 5", wr(fd, 5));
	CHECK_RET("write 3", wr(fd, 3));
	out("poll at 8: %s\n", ready(fd));
	rd("read gets the sum", fd);
	rd("read again", fd);
	CHECK_RET("write 0", wr(fd, 0));
	rd("read after writing 0", fd);
	CHECK_RET("write 0xffffffffffffffff", wr(fd, 0xffffffffffffffffULL));
	CHECK_RET("write 0xfffffffffffffffe (the maximum)", wr(fd, 0xfffffffffffffffeULL));
	out("poll at the maximum: %s\n", ready(fd));
	CHECK_RET("write 1 more (would overflow)", wr(fd, 1));
	CHECK_RET("write 0 at the maximum", wr(fd, 0));
	rd("read the maximum", fd);
	out("poll after the read: %s\n", ready(fd));

	/* buffer sizes */
	uint64_t v = 7;
	char small[16];
	wr(fd, 2);
	CHECK_RET("read with a 4-byte buffer", read(fd, small, 4));
	CHECK_RET("read with a 7-byte buffer", read(fd, small, 7));
	CHECK_RET("write with a 4-byte buffer", write(fd, &v, 4));
	CHECK_RET("read with a 16-byte buffer", read(fd, small, 16));
	wr(fd, 2);
	CHECK_RET("write with a 16-byte buffer", write(fd, small, 16));
	rd("read", fd);
	CHECK_RET("read into an unmapped buffer", (wr(fd, 1), read(fd, unmapped_page(), 8)));
	rd("read after the failed read (Linux consumed the value)", fd);
	CHECK_RET("write from an unmapped buffer", write(fd, unmapped_page(), 8));
	CHECK_RET("lseek", lseek(fd, 0, SEEK_SET));
	CHECK_RET("pread", pread(fd, &v, 8, 0));
	close(fd);

	/* initial value, semaphore mode */
	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	YESNO("eventfd(3, EFD_SEMAPHORE|EFD_NONBLOCK)", fd >= 0);
	rd("semaphore read 1", fd);
	rd("semaphore read 2", fd);
	rd("semaphore read 3", fd);
	rd("semaphore read 4", fd);
	wr(fd, 2);
	rd("after writing 2", fd);
	out("poll with 1 left: %s\n", ready(fd));
	close(fd);

	/* blocking fd, value ready: does not block */
	fd = eventfd(42, 0);
	rd("blocking fd with a value", fd);
	out("F_GETFL nonblock: %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	fd = eventfd(0, EFD_CLOEXEC);
	out("EFD_CLOEXEC: FD_CLOEXEC=%d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
	fd = eventfd(0xffffffffU, EFD_NONBLOCK);
	rd("initial value 2^32-1", fd);
	close(fd);
	CHECK_RET("eventfd bad flags", eventfd(0, 0x2));
	CHECK_RET("eventfd O_RDWR flag", eventfd(0, O_RDWR));
	CHECK_RET("eventfd2 raw bad flags", syscall(SYS_eventfd2, 0, O_APPEND));
	fd = syscall(SYS_eventfd, 9);
	YESNO("old eventfd(9)", fd >= 0);
	out("old eventfd flags: nonblock=%d cloexec=%d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	    !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	rd("read", fd);
	close(fd);

	/* dup shares the counter */
	fd = eventfd(0, EFD_NONBLOCK);
	int d = dup(fd);
	wr(d, 11);
	rd("written through a dup, read through the original", fd);
	close(d);
	close(fd);
	return 0;
}
