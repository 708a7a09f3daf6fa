/*
 * errno: error paths shared by every syscall: bad fds, bad user pointers
 * (unmapped, kernel half, non-canonical), unknown syscall numbers, zero
 * lengths, wrong fd direction. (writev's own validation: writev.c.)
 * The runner feeds "0123456789abcdef\n" on stdin.
 */
#include "check.h"
#include <limits.h>
#include <sys/uio.h>

int main(void)
{
	char *bad = unmapped_page();
	char buf[64];

	/* unknown syscalls: -1/ENOSYS and the program keeps running */
	CHECK_RET("syscall(1000)", syscall(1000));
	CHECK_RET("syscall(511) unassigned", syscall(511));
	CHECK_RET("syscall(0xffff)", syscall(0xffff));
	CHECK_RET("syscall(-1)", syscall(-1L));
	out("still running after ENOSYS: yes\n");

	/* bad file descriptors */
	CHECK_RET("write fd -1", write(-1, "x", 1));
	CHECK_RET("write fd 1000", write(1000, "x", 1));
	CHECK_RET("write fd INT_MAX", write(INT_MAX, "x", 1));
	CHECK_RET("write fd -1 len 0", write(-1, "x", 0));
	CHECK_RET("read fd 1000", read(1000, buf, 1));
	CHECK_RET("writev fd 1000", writev(1000, &(struct iovec){"x", 1}, 1));
	/* stdin is the read end of a pipe, stdout the write end */
	CHECK_RET("write to stdin", write(0, "x", 1));
	CHECK_RET("read from stdout", read(1, buf, 1));

	/* bad buffers (probes write to stderr so a wrong success cannot
	 * corrupt stdout) */
	CHECK_RET("write unmapped buf", write(2, bad, 16));
	CHECK_RET("write buf at 0x1", syscall(SYS_write, 2, (void *)1, 1));
	CHECK_RET("write kernel-half buf", write(2, KERNEL_ADDR, 16));
	CHECK_RET("write non-canonical buf", write(2, NONCANON_ADDR, 16));
	CHECK_RET("write len SIZE_MAX", syscall(SYS_write, 2, buf, SIZE_MAX));
	CHECK_RET("write unmapped len 0", write(2, bad, 0));
	CHECK_RET("read kernel-half buf", read(0, KERNEL_ADDR, 4));
	CHECK_RET("read non-canonical buf", read(0, NONCANON_ADDR, 4));
	/* stdin holds data: the copy faults, nothing is consumed */
	CHECK_RET("read unmapped buf", read(0, bad, 4));
	memset(buf, 0, sizeof buf);
	CHECK_RET("read after EFAULT", read(0, buf, 4));
	out("read after EFAULT got: %s\n", buf);

	/* errno is left alone by successful calls */
	errno = EBADF;
	ssize_t w = write(1, "errno kept\n", 11);
	out("success leaves errno: ret=%zd errno=%s\n", w, errname(errno));
	return 0;
}
