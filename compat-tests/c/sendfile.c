/*
 * sendfile: sendfile (file to file, file to pipe; with and without an offset
 * pointer) and copy_file_range (offsets, short copies at EOF, overlap in one
 * file, flags), with their access-mode and file-type errors. In a scratch
 * directory.
 */
#include "fs.h"
#include <sys/sendfile.h>

static long cfr(int in, long *inoff, int outfd, long *outoff, size_t len, unsigned flags)
{
	return syscall(SYS_copy_file_range, in, inoff, outfd, outoff, len, flags);
}

static void contents(const char *name, const char *path)
{
	char buf[128];
	long n = get_file(path, buf, sizeof buf);
	for (long i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '.';
	out("%s: \"%s\"\n", name, n < 0 ? "<unreadable>" : buf);
}

int main(void)
{
	char buf[128];
	scratch_setup("sendfile");
	const char *src = P("src"), *dst = P("dst");
	put_file(src, "0123456789abcdefghij", 20);
	int in = open(src, O_RDONLY), out_fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	/* sendfile, NULL offset: uses and moves the input offset */
	CHECK_RET("sendfile 5, NULL offset", sendfile(out_fd, in, NULL, 5));
	CHECK_RET("input offset moved", lseek(in, 0, SEEK_CUR));
	CHECK_RET("output offset moved", lseek(out_fd, 0, SEEK_CUR));
	off_t off = 10;
	CHECK_RET("sendfile 4 from offset 10", sendfile(out_fd, in, &off, 4));
	CHECK_RET("offset updated", off);
	CHECK_RET("input offset unchanged", lseek(in, 0, SEEK_CUR));
	off = 15;
	CHECK_RET("sendfile 100 from 15 (short at EOF)", sendfile(out_fd, in, &off, 100));
	CHECK_RET("offset at EOF", off);
	CHECK_RET("sendfile at EOF", sendfile(out_fd, in, &off, 10));
	CHECK_RET("sendfile count 0", sendfile(out_fd, in, NULL, 0));
	contents("dst", dst);
	off = -1;
	CHECK_RET("sendfile negative offset", sendfile(out_fd, in, &off, 1));
	CHECK_RET("sendfile unmapped offset pointer", syscall(SYS_sendfile, out_fd, in, unmapped_page(), 1));
	CHECK_RET("sendfile bad in fd", sendfile(out_fd, 1000, NULL, 1));
	CHECK_RET("sendfile bad out fd", sendfile(1000, in, NULL, 1));
	CHECK_RET("sendfile in fd O_WRONLY", sendfile(out_fd, out_fd, NULL, 1));
	CHECK_RET("sendfile out fd O_RDONLY", sendfile(in, in, NULL, 1));
	int app = open(dst, O_WRONLY | O_APPEND);
	CHECK_RET("sendfile to an O_APPEND fd", sendfile(app, in, NULL, 1));
	close(app);
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("sendfile from a directory", sendfile(out_fd, dfd, NULL, 1));

	/* to a pipe */
	int p[2];
	pipe(p);
	off = 0;
	CHECK_RET("sendfile file -> pipe", sendfile(p[1], in, &off, 8));
	memset(buf, 0, sizeof buf);
	read(p[0], buf, sizeof buf);
	out("pipe got: \"%s\"\n", buf);
	write(p[1], "from a pipe", 11);
	CHECK_RET("sendfile pipe -> file", sendfile(out_fd, p[0], NULL, 11));
	contents("dst", dst);
	close(p[0]);
	close(p[1]);

	/* copy_file_range */
	const char *c = P("copy");
	int cfd = open(c, O_RDWR | O_CREAT | O_TRUNC, 0644);
	lseek(in, 2, SEEK_SET);
	CHECK_RET("copy_file_range 5, NULL offsets", cfr(in, NULL, cfd, NULL, 5, 0));
	CHECK_RET("input offset moved", lseek(in, 0, SEEK_CUR));
	CHECK_RET("output offset moved", lseek(cfd, 0, SEEK_CUR));
	long io = 15, oo = 20;
	CHECK_RET("copy_file_range 100 from 15 to 20 (short, leaves a gap)", cfr(in, &io, cfd, &oo, 100, 0));
	out("offsets now: in=%ld out=%ld\n", io, oo);
	CHECK_RET("input offset unchanged", lseek(in, 0, SEEK_CUR));
	contents("copy", c);
	CHECK_RET("copy_file_range at EOF", cfr(in, &io, cfd, &oo, 10, 0));
	CHECK_RET("copy_file_range len 0", cfr(in, NULL, cfd, NULL, 0, 0));
	CHECK_RET("copy_file_range flags 1", cfr(in, NULL, cfd, NULL, 1, 1));
	io = -1;
	CHECK_RET("copy_file_range negative offset", cfr(in, &io, cfd, NULL, 1, 0));
	io = 0;
	oo = 2;
	CHECK_RET("copy_file_range overlapping in one file", cfr(cfd, &io, cfd, &oo, 4, 0));
	io = 0;
	oo = 10;
	CHECK_RET("copy_file_range within one file, no overlap", cfr(cfd, &io, cfd, &oo, 4, 0));
	contents("copy", c);
	CHECK_RET("copy_file_range to an O_RDONLY fd", cfr(in, NULL, in, NULL, 1, 0));
	CHECK_RET("copy_file_range from an O_WRONLY fd", cfr(out_fd, NULL, cfd, NULL, 1, 0));
	app = open(c, O_WRONLY | O_APPEND);
	CHECK_RET("copy_file_range to an O_APPEND fd", cfr(in, NULL, app, NULL, 1, 0));
	close(app);
	CHECK_RET("copy_file_range from a directory", cfr(dfd, NULL, cfd, NULL, 1, 0));
	pipe(p);
	write(p[1], "x", 1);
	CHECK_RET("copy_file_range from a pipe", cfr(p[0], NULL, cfd, NULL, 1, 0));
	CHECK_RET("copy_file_range to a pipe", cfr(in, NULL, p[1], NULL, 1, 0));
	CHECK_RET("copy_file_range bad fd", cfr(1000, NULL, cfd, NULL, 1, 0));
	close(p[0]);
	close(p[1]);
	close(dfd);
	close(cfd);
	close(in);
	close(out_fd);
	scratch_cleanup();
	return 0;
}
