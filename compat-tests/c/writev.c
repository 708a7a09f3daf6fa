/*
 * writev: argument validation of the iovec array (count limits, bad array,
 * bad bases, lengths that cannot be valid), zero-length segments.
 */
#include "check.h"
#include <limits.h>
#include <sys/uio.h>

int main(void)
{
	char *bad = unmapped_page();
	char buf[64];
	memset(buf, 0, sizeof buf);

	struct iovec iov[2] = {{"ab", 2}, {"cd\n", 3}};
	CHECK_RET("writev iovcnt -1", syscall(SYS_writev, 1, iov, -1));
	CHECK_RET("writev iovcnt IOV_MAX+1", syscall(SYS_writev, 1, iov, IOV_MAX + 1));
	CHECK_RET("writev iovcnt IOV_MAX (bad ptr)", syscall(SYS_writev, 2, bad, IOV_MAX));
	CHECK_RET("writev iov unmapped", writev(2, (struct iovec *)bad, 1));
	/* Linux checks each segment's range (access_ok) before adding lengths up */
	struct iovec huge[2] = {{buf, SSIZE_MAX}, {buf, 2}};
	CHECK_RET("writev iov_len SSIZE_MAX", writev(2, huge, 2));
	struct iovec badbase[1] = {{bad, 4}};
	CHECK_RET("writev unmapped base", writev(2, badbase, 1));
	struct iovec zero[2] = {{bad, 0}, {NULL, 0}};
	CHECK_RET("writev zero-length bad bases", writev(2, zero, 2));
	CHECK_RET("writev iovcnt 0 NULL iov", writev(1, NULL, 0));
	CHECK_RET("writev to good fd", writev(1, iov, 2));

	struct iovec many[IOV_MAX];
	for (int i = 0; i < IOV_MAX; i++) {
		many[i].iov_base = (void *)"";
		many[i].iov_len = 0;
	}
	many[IOV_MAX - 1].iov_base = (void *)"last of IOV_MAX iovs\n";
	many[IOV_MAX - 1].iov_len = 21;
	CHECK_RET("writev IOV_MAX iovs", writev(1, many, IOV_MAX));
	return 0;
}
