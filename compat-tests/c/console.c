/*
 * console: write/writev to stdout and stderr, read of stdin to end of file.
 * The runner feeds a fixed input on stdin and compares stderr as well.
 */
#include "check.h"
#include <sys/uio.h>

static uint32_t fnv1a(uint32_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static char big[70000];

int main(void)
{
	/* stdout */
	CHECK_RET("write stdout", write(1, "raw write line\n", 15));
	CHECK_RET("write len 0", write(1, "xyz", 0));
	CHECK_RET("write NULL len 0", write(1, NULL, 0));
	struct iovec iov[4] = {
		{"one ", 4}, {"", 0}, {"two ", 4}, {"three\n", 6},
	};
	CHECK_RET("writev 4 iovs (one empty)", writev(1, iov, 4));
	CHECK_RET("writev iovcnt 0", writev(1, iov, 0));
	struct iovec empty[2] = {{NULL, 0}, {NULL, 0}};
	CHECK_RET("writev only empty iovs", writev(1, empty, 2));

	/* one write larger than a pipe buffer, as a single line */
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = 'a' + (char)(i % 26);
	big[sizeof big - 1] = '\n';
	CHECK_RET("write 70000 bytes", write(1, big, sizeof big));

	/* stdio on top of write/writev */
	printf("stdio printf %d %s\n", 42, "text");
	fflush(stdout);
	out("stdio flushed\n");

	/* stderr */
	CHECK_RET("write stderr", write(2, "to stderr\n", 10));
	struct iovec eiov[2] = {{"stderr ", 7}, {"writev\n", 7}};
	CHECK_RET("writev stderr", writev(2, eiov, 2));
	fprintf(stderr, "stdio stderr %d\n", 7);

	/* stdin, to end of file, in odd-sized chunks */
	unsigned char buf[7];
	size_t total = 0, lines = 0, reads = 0;
	uint32_t h = 2166136261u;
	ssize_t r;
	while ((r = read(0, buf, sizeof buf)) > 0) {
		reads++;
		total += (size_t)r;
		for (ssize_t i = 0; i < r; i++)
			lines += buf[i] == '\n';
		h = fnv1a(h, buf, (size_t)r);
	}
	report("read at eof", r, errno);
	out("stdin bytes=%zu lines=%zu fnv=%08x\n", total, lines, h);
	YESNO("stdin read in more than one call", reads > 1);
	CHECK_RET("read again at eof", read(0, buf, sizeof buf));
	CHECK_RET("read len 0", read(0, buf, 0));
	CHECK_RET("read NULL len 0", read(0, NULL, 0));
	return 0;
}
