/*
 * files: regular files in a scratch directory under /tmp. open/openat/creat
 * flags, read/write and their positioned and vectored forms, lseek (holes,
 * SEEK_DATA/SEEK_HOLE), truncate, fallocate, the sync family, close_range,
 * the dup family on shared offsets, umask. Fd numbers are never printed (the
 * host runner may inherit extra fds), only relations between them.
 */
#include "fs.h"
#include <sys/resource.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x1
#define RWF_DSYNC 0x2
#define RWF_SYNC 0x4
#define RWF_NOWAIT 0x8
#define RWF_APPEND 0x10
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

static long cur(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

/* the contents of a file as a quoted string (small files) */
static void show_contents(const char *name, const char *path)
{
	char buf[256];
	long n = get_file(path, buf, sizeof buf);
	if (n < 0) {
		out("%s: unreadable errno=%s\n", name, errname(errno));
		return;
	}
	for (long i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = '0';
	out("%s: \"%s\" (%ld bytes)\n", name, buf, n);
}

static int all_zero(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void open_flags(void)
{
	char buf[64];
	struct stat st;
	const char *a = P("a");

	CHECK_RET("open missing O_RDONLY", open(a, O_RDONLY));
	CHECK_RET("open missing O_WRONLY (no O_CREAT)", open(a, O_WRONLY));
	int fd = okfd("open O_WRONLY|O_CREAT 0644", open(a, O_WRONLY | O_CREAT, 0644));
	fstat(fd, &st);
	out("created: %s %04o size=%ld nlink=%lu\n", ftype(st.st_mode), (unsigned)(st.st_mode & 07777),
	    (long)st.st_size, (unsigned long)st.st_nlink);
	CHECK_RET("write 12", write(fd, "hello world\n", 12));
	CHECK_RET("read on O_WRONLY fd", read(fd, buf, 4));
	CHECK_RET("close", close(fd));
	CHECK_RET("close again", close(fd));
	CHECK_RET("O_CREAT|O_EXCL on existing", open(a, O_WRONLY | O_CREAT | O_EXCL, 0644));
	fd = okfd("O_EXCL without O_CREAT on existing", open(a, O_RDONLY | O_EXCL));
	close(fd);
	fd = okfd("O_CREAT on existing (no O_EXCL)", open(a, O_RDWR | O_CREAT, 0600));
	fstat(fd, &st);
	out("mode kept: %04o size=%ld\n", (unsigned)(st.st_mode & 07777), (long)st.st_size);
	close(fd);

	fd = okfd("open O_RDONLY", open(a, O_RDONLY));
	CHECK_RET("write on O_RDONLY fd", write(fd, "x", 1));
	memset(buf, 0, sizeof buf);
	CHECK_RET("read 5", read(fd, buf, 5));
	out("read data: \"%s\"\n", buf);
	CHECK_RET("offset after read", cur(fd));
	CHECK_RET("read 0 bytes", read(fd, buf, 0));
	CHECK_RET("read rest", read(fd, buf, sizeof buf));
	CHECK_RET("read at EOF", read(fd, buf, sizeof buf));
	CHECK_RET("read into unmapped buffer at EOF", read(fd, unmapped_page(), 10));
	lseek(fd, 0, SEEK_SET);
	CHECK_RET("read into unmapped buffer", read(fd, unmapped_page(), 10));
	CHECK_RET("read into NULL", syscall(SYS_read, fd, NULL, 10));
	CHECK_RET("offset after failed reads", cur(fd));
	int flags = fcntl(fd, F_GETFL);
	out("F_GETFL O_RDONLY: accmode=%d append=%d nonblock=%d\n", flags & O_ACCMODE, !!(flags & O_APPEND),
	    !!(flags & O_NONBLOCK));
	YESNO("F_GETFL has O_LARGEFILE (64-bit kernel)", (flags & 0100000) != 0);
	close(fd);

	fd = okfd("open O_RDWR", open(a, O_RDWR));
	CHECK_RET("write from unmapped buffer", write(fd, unmapped_page(), 10));
	CHECK_RET("write from NULL", syscall(SYS_write, fd, NULL, 10));
	CHECK_RET("write 0 bytes", write(fd, "", 0));
	CHECK_RET("size after failed writes", size_of(a));
	CHECK_RET("overwrite 5 at 0", write(fd, "HELLO", 5));
	close(fd);
	show_contents("after overwrite", a);

	/* O_TRUNC */
	fd = okfd("O_WRONLY|O_TRUNC", open(a, O_WRONLY | O_TRUNC));
	fstat(fd, &st);
	CHECK_RET("size after O_TRUNC", st.st_size);
	write(fd, "0123456789", 10);
	close(fd);
	fd = okfd("O_RDONLY|O_TRUNC", open(a, O_RDONLY | O_TRUNC));
	CHECK_RET("size after O_RDONLY|O_TRUNC (Linux truncates)", size_of(a));
	close(fd);

	/* O_APPEND */
	fd = okfd("O_WRONLY|O_APPEND", open(a, O_WRONLY | O_APPEND));
	CHECK_RET("append write abc", write(fd, "abc", 3));
	CHECK_RET("lseek 0 on O_APPEND fd", lseek(fd, 0, SEEK_SET));
	CHECK_RET("append write def", write(fd, "def", 3));
	CHECK_RET("offset after append write", cur(fd));
	CHECK_RET("pwrite at 0 on O_APPEND fd", pwrite(fd, "X", 1, 0));
	show_contents("O_APPEND result (pwrite appends too)", a);
	flags = fcntl(fd, F_GETFL);
	out("F_GETFL O_WRONLY|O_APPEND: accmode=%d append=%d\n", flags & O_ACCMODE, !!(flags & O_APPEND));
	CHECK_RET("F_SETFL clear O_APPEND", fcntl(fd, F_SETFL, flags & ~O_APPEND));
	lseek(fd, 0, SEEK_SET);
	CHECK_RET("write after clearing O_APPEND", write(fd, "Z", 1));
	show_contents("writes at the offset again", a);
	CHECK_RET("F_SETFL O_RDWR does not change the access mode", fcntl(fd, F_SETFL, O_RDWR));
	out("accmode still: %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);

	/* O_DIRECTORY and directories */
	CHECK_RET("O_DIRECTORY on a regular file", open(a, O_RDONLY | O_DIRECTORY));
	fd = okfd("O_DIRECTORY on the scratch dir", open(scratch, O_RDONLY | O_DIRECTORY));
	CHECK_RET("read on a directory fd", read(fd, buf, sizeof buf));
	CHECK_RET("pread on a directory fd", pread(fd, buf, sizeof buf, 0));
	CHECK_RET("write on a directory fd", write(fd, "x", 1));
	close(fd);
	CHECK_RET("open a directory O_WRONLY", open(scratch, O_WRONLY));
	CHECK_RET("open a directory O_RDWR", open(scratch, O_RDWR));
	CHECK_RET("open a directory O_CREAT", open(scratch, O_RDONLY | O_CREAT, 0644));
	CHECK_RET("O_CREAT|O_DIRECTORY on a new name", open(P("newdir"), O_RDONLY | O_CREAT | O_DIRECTORY, 0755));
	YESNO("O_CREAT|O_DIRECTORY left nothing behind", !exists(P("newdir")));
	fd = okfd("O_NOFOLLOW on a regular file", open(a, O_RDONLY | O_NOFOLLOW));
	close(fd);

	/* bad paths */
	CHECK_RET("open empty path", open("", O_RDONLY));
	CHECK_RET("open NULL path", syscall(SYS_open, NULL, O_RDONLY));
	CHECK_RET("open unmapped path", syscall(SYS_open, unmapped_page(), O_RDONLY));
	CHECK_RET("open O_CREAT in a missing dir", open(P("missing/x"), O_WRONLY | O_CREAT, 0644));
	CHECK_RET("open through a file", open(P("a/x"), O_RDONLY));
	CHECK_RET("open a file with a trailing slash", open(P("a/"), O_RDONLY));
	CHECK_RET("O_CREAT with a trailing slash", open(P("new/"), O_WRONLY | O_CREAT, 0644));

	/* O_PATH */
	fd = okfd("O_PATH", open(a, O_PATH));
	CHECK_RET("read on O_PATH fd", read(fd, buf, 1));
	CHECK_RET("write on O_PATH fd", write(fd, "x", 1));
	CHECK_RET("lseek on O_PATH fd", lseek(fd, 0, SEEK_SET));
	CHECK_RET("fchmod on O_PATH fd", syscall(SYS_fchmod, fd, 0600));
	CHECK_RET("fsync on O_PATH fd", fsync(fd));
	CHECK_RET("ftruncate on O_PATH fd", ftruncate(fd, 0));
	CHECK_RET("fstat on O_PATH fd", fstat(fd, &st));
	YESNO("O_PATH fstat size matches", st.st_size == size_of(a));
	YESNO("F_GETFL has O_PATH", (fcntl(fd, F_GETFL) & O_PATH) != 0);
	int d = okfd("dup of O_PATH fd", dup(fd));
	close(d);
	close(fd);
	CHECK_RET("O_PATH on a missing file", open(P("missing"), O_PATH));
	int dfd = okfd("O_PATH|O_DIRECTORY on the scratch dir", open(scratch, O_PATH | O_DIRECTORY));
	fd = okfd("openat relative to an O_PATH dir fd", openat(dfd, "a", O_RDONLY));
	close(fd);
	close(dfd);

	/* O_CLOEXEC */
	fd = open(a, O_RDONLY);
	out("FD_CLOEXEC without O_CLOEXEC: %d\n", cloexec_of(fd));
	close(fd);
	fd = open(a, O_RDONLY | O_CLOEXEC);
	out("FD_CLOEXEC with O_CLOEXEC: %d\n", cloexec_of(fd));
	CHECK_RET("F_SETFD 0", fcntl(fd, F_SETFD, 0));
	out("FD_CLOEXEC after F_SETFD 0: %d\n", cloexec_of(fd));
	YESNO("O_CLOEXEC is not an F_GETFL flag", (fcntl(fd, F_GETFL) & O_CLOEXEC) == 0);
	close(fd);

	/* creat */
	fd = okfd("creat new", syscall(SYS_creat, P("c"), 0640));
	out("creat: accmode=%d perm=%04o\n", fcntl(fd, F_GETFL) & O_ACCMODE,
	    (fstat(fd, &st), (unsigned)(st.st_mode & 07777)));
	CHECK_RET("read on creat fd", read(fd, buf, 1));
	CHECK_RET("write on creat fd", write(fd, "data", 4));
	close(fd);
	fd = okfd("creat existing", syscall(SYS_creat, P("c"), 0600));
	CHECK_RET("creat truncated it", size_of(P("c")));
	out("creat keeps the mode: %04o\n", (fstat(fd, &st), (unsigned)(st.st_mode & 07777)));
	close(fd);
	CHECK_RET("creat on a directory", syscall(SYS_creat, scratch, 0644));

	/* openat */
	dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	fd = okfd("openat(dirfd, \"a\")", openat(dfd, "a", O_RDONLY));
	close(fd);
	fd = okfd("openat(dirfd, absolute path)", openat(dfd, a, O_RDONLY));
	close(fd);
	int ffd = open(a, O_RDONLY);
	CHECK_RET("openat(file fd, \"x\")", openat(ffd, "x", O_RDONLY));
	fd = okfd("openat(file fd, absolute path)", openat(ffd, a, O_RDONLY));
	close(fd);
	close(ffd);
	CHECK_RET("openat(bad fd, \"a\")", openat(1000, "a", O_RDONLY));
	CHECK_RET("openat(-5, \"a\")", openat(-5, "a", O_RDONLY));
	fd = okfd("openat(AT_FDCWD, relative to /)", openat(AT_FDCWD, R("a"), O_RDONLY));
	close(fd);
	fd = okfd("openat(dirfd, \"..\")", openat(dfd, "..", O_RDONLY | O_DIRECTORY));
	struct stat tmp;
	fstat(fd, &st);
	stat("/tmp", &tmp);
	YESNO("\"..\" of the scratch dir is /tmp", st.st_ino == tmp.st_ino && st.st_dev == tmp.st_dev);
	close(fd);
	fd = okfd("openat O_CREAT", openat(dfd, "o", O_WRONLY | O_CREAT | O_EXCL, 0600));
	close(fd);
	YESNO("openat created it in the dir", exists(P("o")));
	close(dfd);
}

static void umask_checks(void)
{
	struct stat st;
	out("umask(027) returns %04o\n", (unsigned)umask(027));
	int fd = open(P("m1"), O_WRONLY | O_CREAT, 0777);
	fstat(fd, &st);
	out("file 0777 under umask 027: %04o\n", (unsigned)(st.st_mode & 07777));
	close(fd);
	mkdir(P("md1"), 0777);
	show_mode("dir 0777 under umask 027", P("md1"), 0);
	out("umask(0) returns %04o\n", (unsigned)umask(0));
	fd = open(P("m2"), O_WRONLY | O_CREAT, 0666);
	fstat(fd, &st);
	out("file 0666 under umask 0: %04o\n", (unsigned)(st.st_mode & 07777));
	close(fd);
	out("umask(01777) returns %04o\n", (unsigned)umask(01777));
	out("umask keeps only 0777: %04o\n", (unsigned)umask(022));
	fd = open(P("m3"), O_WRONLY | O_CREAT, 0777);
	fstat(fd, &st);
	out("file 0777 under umask 022: %04o\n", (unsigned)(st.st_mode & 07777));
	CHECK_RET("chmod ignores the umask", chmod(P("m3"), 0777));
	show_mode("after chmod 0777", P("m3"), 0);
	close(fd);
}

static void positioned_and_vectored(void)
{
	const char *b = P("b");
	char buf[128];
	put_file(b, "0123456789", 10);
	int fd = open(b, O_RDWR);

	memset(buf, 0, sizeof buf);
	CHECK_RET("pread 4 at 3", pread(fd, buf, 4, 3));
	out("pread data: \"%s\"\n", buf);
	CHECK_RET("offset unchanged by pread", cur(fd));
	CHECK_RET("pread at EOF", pread(fd, buf, 4, 10));
	CHECK_RET("pread beyond EOF", pread(fd, buf, 4, 1000));
	CHECK_RET("pread across EOF", pread(fd, buf, 100, 8));
	CHECK_RET("pread negative offset", syscall(SYS_pread64, fd, buf, 4, -1L));
	CHECK_RET("pwrite 2 at 4", pwrite(fd, "ab", 2, 4));
	CHECK_RET("offset unchanged by pwrite", cur(fd));
	CHECK_RET("pwrite negative offset", syscall(SYS_pwrite64, fd, "x", 1, -1L));
	CHECK_RET("pwrite at 20 (leaves a gap)", pwrite(fd, "END", 3, 20));
	CHECK_RET("size after pwrite at 20", size_of(b));
	memset(buf, 'x', sizeof buf);
	CHECK_RET("pread over the gap", pread(fd, buf, 23, 0));
	YESNO("gap reads as zeros", all_zero(buf + 10, 10));
	YESNO("data around the gap", memcmp(buf, "0123ab6789", 10) == 0 && memcmp(buf + 20, "END", 3) == 0);
	CHECK_RET("pread bad fd", pread(1000, buf, 1, 0));

	/* readv / writev */
	char x[4] = {0}, y[3] = {0}, z[8] = {0};
	struct iovec riov[3] = {{x, 3}, {y, 2}, {z, 7}};
	lseek(fd, 0, SEEK_SET);
	CHECK_RET("readv 3 iovecs (3+2+7)", readv(fd, riov, 3));
	out("readv pieces: \"%s\" \"%s\" \"%s\"\n", x, y, z);
	CHECK_RET("offset after readv", cur(fd));
	struct iovec wiov[3] = {{(void *)"AA", 2}, {(void *)"", 0}, {(void *)"BBB", 3}};
	lseek(fd, 0, SEEK_SET);
	CHECK_RET("writev 2+0+3", writev(fd, wiov, 3));
	CHECK_RET("offset after writev", cur(fd));
	CHECK_RET("readv iovcnt 0", readv(fd, riov, 0));
	CHECK_RET("readv iovcnt -1", syscall(SYS_readv, fd, riov, -1));
	CHECK_RET("readv iovcnt 1025", syscall(SYS_readv, fd, riov, 1025));
	CHECK_RET("writev iovcnt 1025", syscall(SYS_writev, fd, wiov, 1025));
	struct iovec huge[2] = {{buf, (size_t)1 << 62}, {buf, (size_t)1 << 62}};
	CHECK_RET("readv two iovecs of 1<<62", readv(fd, huge, 2));
	struct iovec neg[1] = {{buf, (size_t)1 << 63}};
	CHECK_RET("readv negative iov_len", readv(fd, neg, 1));
	CHECK_RET("readv unmapped iovec array", syscall(SYS_readv, fd, unmapped_page(), 1));
	struct iovec bad[2] = {{buf, 2}, {unmapped_page(), 4}};
	lseek(fd, 0, SEEK_SET);
	CHECK_RET("readv second iovec unmapped (partial)", readv(fd, bad, 2));

	/* preadv / pwritev (raw: offset split in two longs) */
	memset(x, 0, sizeof x);
	memset(y, 0, sizeof y);
	struct iovec piov[2] = {{x, 3}, {y, 2}};
	lseek(fd, 1, SEEK_SET);
	CHECK_RET("preadv at 5", syscall(SYS_preadv, fd, piov, 2, 5L, 0L));
	out("preadv pieces: \"%s\" \"%s\"\n", x, y);
	CHECK_RET("offset unchanged by preadv", cur(fd));
	CHECK_RET("preadv negative offset", syscall(SYS_preadv, fd, piov, 2, -2L, 0L));
	struct iovec pw[2] = {{(void *)"pq", 2}, {(void *)"r", 1}};
	CHECK_RET("pwritev at 7", syscall(SYS_pwritev, fd, pw, 2, 7L, 0L));
	CHECK_RET("offset unchanged by pwritev", cur(fd));
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 10, 0);
	out("after pwritev: \"%s\"\n", buf);

	/* preadv2 / pwritev2 */
	memset(x, 0, sizeof x);
	memset(y, 0, sizeof y);
	lseek(fd, 2, SEEK_SET);
	CHECK_RET("preadv2 offset -1 uses the file offset", syscall(SYS_preadv2, fd, piov, 2, -1L, 0L, 0));
	out("preadv2 pieces: \"%s\" \"%s\"\n", x, y);
	CHECK_RET("offset advanced by preadv2(-1)", cur(fd));
	CHECK_RET("preadv2 at 0 flags 0", syscall(SYS_preadv2, fd, piov, 2, 0L, 0L, 0));
	CHECK_RET("offset unchanged by preadv2(0)", cur(fd));
	CHECK_RET("preadv2 unknown flag", syscall(SYS_preadv2, fd, piov, 2, 0L, 0L, 0x40000000));
	CHECK_RET("preadv2 offset -2", syscall(SYS_preadv2, fd, piov, 2, -2L, 0L, 0));
	struct iovec one = {(void *)"W", 1};
	CHECK_RET("pwritev2 RWF_DSYNC at 0", syscall(SYS_pwritev2, fd, &one, 1, 0L, 0L, RWF_DSYNC));
	CHECK_RET("pwritev2 RWF_SYNC at 1", syscall(SYS_pwritev2, fd, &one, 1, 1L, 0L, RWF_SYNC));
	long before = size_of(b);
	CHECK_RET("pwritev2 RWF_APPEND at 0", syscall(SYS_pwritev2, fd, &one, 1, 0L, 0L, RWF_APPEND));
	YESNO("RWF_APPEND appended", size_of(b) == before + 1);
	CHECK_RET("pwritev2 offset -1 uses the file offset", syscall(SYS_pwritev2, fd, &one, 1, -1L, 0L, 0));
	CHECK_RET("offset advanced by pwritev2(-1)", cur(fd));
	CHECK_RET("pwritev2 unknown flag", syscall(SYS_pwritev2, fd, &one, 1, 0L, 0L, 0x40000000));
	memset(buf, 0, sizeof buf);
	long n = pread(fd, buf, sizeof buf - 1, 0);
	for (long i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '.';
	out("final contents: \"%s\"\n", buf);
	close(fd);
}

static void seeking(void)
{
	const char *s = P("s");
	char buf[64];
	put_file(s, "0123456789", 10);
	int fd = open(s, O_RDWR);
	CHECK_RET("SEEK_SET 5", lseek(fd, 5, SEEK_SET));
	CHECK_RET("SEEK_CUR +2", lseek(fd, 2, SEEK_CUR));
	CHECK_RET("SEEK_CUR -3", lseek(fd, -3, SEEK_CUR));
	CHECK_RET("SEEK_END 0", lseek(fd, 0, SEEK_END));
	CHECK_RET("SEEK_END -1", lseek(fd, -1, SEEK_END));
	CHECK_RET("SEEK_SET -1", lseek(fd, -1, SEEK_SET));
	CHECK_RET("SEEK_CUR to negative", lseek(fd, -100, SEEK_CUR));
	CHECK_RET("SEEK_END to negative", lseek(fd, -11, SEEK_END));
	CHECK_RET("offset kept after failed seeks", cur(fd));
	CHECK_RET("whence 5", lseek(fd, 0, 5));
	CHECK_RET("whence -1", lseek(fd, 0, -1));
	CHECK_RET("lseek bad fd", lseek(1000, 0, SEEK_SET));
	YESNO("SEEK_SET 1<<40 allowed", lseek(fd, 1L << 40, SEEK_SET) == (1L << 40));
	CHECK_RET("size unchanged by a far seek", size_of(s));
	CHECK_RET("SEEK_SET 10000", lseek(fd, 10000, SEEK_SET));
	CHECK_RET("read beyond EOF", read(fd, buf, 10));
	CHECK_RET("write beyond EOF", write(fd, "Z", 1));
	CHECK_RET("size after writing at 10000", size_of(s));
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 50, 100);
	YESNO("the hole reads as zeros", all_zero(buf, 50));
	pread(fd, buf, 10, 0);
	YESNO("data before the hole kept", memcmp(buf, "0123456789", 10) == 0);
	CHECK_RET("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
	long h = lseek(fd, 0, SEEK_HOLE);
	YESNO("SEEK_HOLE from 0 in (0, size]", h > 0 && h <= 10001);
	YESNO("SEEK_HOLE from 0 at a page boundary or EOF", h == 10001 || h % 4096 == 0);
	long dd = lseek(fd, 5000, SEEK_DATA);
	YESNO("SEEK_DATA from 5000 in [5000, 10000]", dd >= 5000 && dd <= 10000);
	CHECK_RET("SEEK_DATA at EOF", lseek(fd, 10001, SEEK_DATA));
	CHECK_RET("SEEK_HOLE at EOF", lseek(fd, 10001, SEEK_HOLE));
	CHECK_RET("SEEK_DATA beyond EOF", lseek(fd, 20000, SEEK_DATA));
	CHECK_RET("SEEK_HOLE 10000 (last byte)", lseek(fd, 10000, SEEK_HOLE));
	CHECK_RET("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
	close(fd);
	fd = open(P("empty"), O_RDWR | O_CREAT, 0644);
	CHECK_RET("SEEK_DATA in an empty file", lseek(fd, 0, SEEK_DATA));
	CHECK_RET("SEEK_HOLE in an empty file", lseek(fd, 0, SEEK_HOLE));
	CHECK_RET("SEEK_END in an empty file", lseek(fd, 0, SEEK_END));
	close(fd);
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("SEEK_SET 0 on a directory", lseek(dfd, 0, SEEK_SET));
	close(dfd);
}

static void truncating(void)
{
	const char *t = P("t");
	char buf[128];
	put_file(t, "hello world", 11);
	int fd = open(t, O_RDWR);
	lseek(fd, 3, SEEK_SET);
	CHECK_RET("ftruncate 100", ftruncate(fd, 100));
	CHECK_RET("size", size_of(t));
	CHECK_RET("offset unchanged by ftruncate", cur(fd));
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 100, 0);
	YESNO("extension reads as zeros", all_zero(buf + 11, 89));
	CHECK_RET("ftruncate 5", ftruncate(fd, 5));
	show_contents("after ftruncate 5", t);
	CHECK_RET("ftruncate 20 again", ftruncate(fd, 20));
	pread(fd, buf, 20, 0);
	YESNO("old bytes 5..10 do not come back", all_zero(buf + 5, 15));
	CHECK_RET("ftruncate -1", ftruncate(fd, -1));
	CHECK_RET("ftruncate 0", ftruncate(fd, 0));
	CHECK_RET("size", size_of(t));
	lseek(fd, 0, SEEK_SET);
	write(fd, "abcdef", 6);
	close(fd);
	fd = open(t, O_RDONLY);
	CHECK_RET("ftruncate on an O_RDONLY fd", ftruncate(fd, 1));
	close(fd);
	CHECK_RET("ftruncate bad fd", ftruncate(1000, 1));
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("ftruncate on a directory fd", ftruncate(dfd, 0));
	close(dfd);
	CHECK_RET("truncate path 3", truncate(t, 3));
	show_contents("after truncate 3", t);
	CHECK_RET("truncate -1", truncate(t, -1));
	CHECK_RET("truncate missing", truncate(P("missing"), 0));
	CHECK_RET("truncate a directory", truncate(scratch, 0));
	CHECK_RET("truncate through a file", truncate(P("t/x"), 0));
	CHECK_RET("truncate empty path", truncate("", 0));
}

static void allocating(void)
{
	const char *f = P("fa");
	char buf[4096];
	put_file(f, "data", 4);
	int fd = open(f, O_RDWR);
	CHECK_RET("fallocate 0..8192", fallocate(fd, 0, 0, 8192));
	CHECK_RET("size", size_of(f));
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 4096, 4096);
	YESNO("allocated range reads as zeros", all_zero(buf, 4096));
	pread(fd, buf, 4, 0);
	YESNO("data kept", memcmp(buf, "data", 4) == 0);
	CHECK_RET("fallocate KEEP_SIZE beyond EOF", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
	CHECK_RET("size unchanged", size_of(f));
	CHECK_RET("fallocate inside the file", fallocate(fd, 0, 100, 100));
	CHECK_RET("size unchanged", size_of(f));
	CHECK_RET("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	pwrite(fd, "punchme", 7, 4096);
	CHECK_RET("PUNCH_HOLE|KEEP_SIZE 4096..8192",
		  fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 4096, 4096);
	YESNO("punched range reads as zeros", all_zero(buf, 4096));
	CHECK_RET("size after punch", size_of(f));
	CHECK_RET("fallocate len 0", fallocate(fd, 0, 0, 0));
	CHECK_RET("fallocate len -1", fallocate(fd, 0, 0, -1));
	CHECK_RET("fallocate offset -1", fallocate(fd, 0, -1, 10));
	CHECK_RET("fallocate unknown mode bit", fallocate(fd, 0x1000, 0, 10));
	CHECK_RET("fallocate bad fd", fallocate(1000, 0, 0, 10));
	close(fd);
	fd = open(f, O_RDONLY);
	CHECK_RET("fallocate on an O_RDONLY fd", fallocate(fd, 0, 0, 10));
	close(fd);
}

static void syncing(void)
{
	int fd = open(P("a"), O_RDWR);
	CHECK_RET("fsync", fsync(fd));
	CHECK_RET("fdatasync", fdatasync(fd));
	CHECK_RET("syncfs", syscall(SYS_syncfs, fd));
	sync();
	out("sync: returned\n");
	CHECK_RET("fsync bad fd", fsync(1000));
	CHECK_RET("fdatasync bad fd", fdatasync(-1));
	CHECK_RET("syncfs bad fd", syscall(SYS_syncfs, -1));
	close(fd);
	fd = open(P("a"), O_RDONLY);
	CHECK_RET("fsync on an O_RDONLY fd", fsync(fd));
	close(fd);
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("fsync on a directory fd", fsync(fd));
	close(fd);
}

static void dups_and_ranges(void)
{
	const char *f = P("dup");
	char buf[16];
	put_file(f, "abcdefghij", 10);
	int fd = open(f, O_RDWR);
	int d = okfd("dup", dup(fd));
	YESNO("dup returns a different fd", d != fd);
	read(fd, buf, 3);
	CHECK_RET("dup shares the offset", cur(d));
	read(d, buf, 2);
	CHECK_RET("and back", cur(fd));
	int other = open(f, O_RDWR);
	CHECK_RET("a second open has its own offset", cur(other));
	CHECK_RET("F_SETFL O_APPEND on the dup", fcntl(d, F_SETFL, O_APPEND));
	YESNO("status flags shared with the original", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
	YESNO("not with a second open", (fcntl(other, F_GETFL) & O_APPEND) == 0);
	fcntl(d, F_SETFL, 0);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	int d2 = dup(fd);
	out("dup of a close-on-exec fd: FD_CLOEXEC=%d\n", cloexec_of(d2));
	close(d2);
	CHECK_RET("dup bad fd", dup(1000));

	YESNO("dup2(fd, fd) returns fd", dup2(fd, fd) == fd);
	CHECK_RET("dup2 to 100", dup2(fd, 100));
	CHECK_RET("offset through fd 100", cur(100));
	out("dup2 clears FD_CLOEXEC on the new fd: %d\n", cloexec_of(100));
	CHECK_RET("dup2 over an open fd 100", dup2(other, 100));
	CHECK_RET("fd 100 now has the second open's offset", cur(100));
	CHECK_RET("dup2 bad oldfd", dup2(1000, 101));
	CHECK_RET("dup2(bad, bad)", dup2(1000, 1000));
	CHECK_RET("dup2 newfd -1", dup2(fd, -1));
	CHECK_RET("dup2 newfd == RLIMIT_NOFILE", dup2(fd, 1024));
	CHECK_RET("dup3(fd, fd, 0)", dup3(fd, fd, 0));
	CHECK_RET("dup3 O_CLOEXEC to 101", dup3(fd, 101, O_CLOEXEC));
	out("dup3 O_CLOEXEC: FD_CLOEXEC=%d\n", cloexec_of(101));
	CHECK_RET("dup3 bad flags", syscall(SYS_dup3, fd, 102, O_NONBLOCK));
	CHECK_RET("F_DUPFD 50", fcntl(fd, F_DUPFD, 50));
	CHECK_RET("F_DUPFD 50 again gives the next free", fcntl(fd, F_DUPFD, 50));
	CHECK_RET("F_DUPFD_CLOEXEC 60", fcntl(fd, F_DUPFD_CLOEXEC, 60));
	out("F_DUPFD_CLOEXEC: FD_CLOEXEC=%d\n", cloexec_of(60));
	CHECK_RET("F_DUPFD -1", fcntl(fd, F_DUPFD, -1));
	CHECK_RET("F_DUPFD RLIMIT_NOFILE", fcntl(fd, F_DUPFD, 1024));
	CHECK_RET("F_DUPFD RLIMIT_NOFILE-1", fcntl(fd, F_DUPFD, 1023));
	close(1023);

	/* lowest free fd */
	int a1 = open(f, O_RDONLY), a2 = open(f, O_RDONLY), a3 = open(f, O_RDONLY);
	close(a2);
	int a4 = open(f, O_RDONLY);
	YESNO("open reuses the lowest free fd", a4 == a2 && a1 < a2 && a2 < a3);
	close(a1);
	close(a3);
	close(a4);

	/* close_range */
	CHECK_RET("close_range 100..102", syscall(SYS_close_range, 100, 102, 0));
	YESNO("fd 100 closed", fcntl(100, F_GETFD) == -1 && errno == EBADF);
	YESNO("fd 101 closed", fcntl(101, F_GETFD) == -1 && errno == EBADF);
	CHECK_RET("close_range first > last", syscall(SYS_close_range, 60, 50, 0));
	CHECK_RET("close_range bad flags", syscall(SYS_close_range, 50, 60, 0x80));
	fcntl(fd, F_DUPFD, 70);
	fcntl(fd, F_DUPFD, 75);
	CHECK_RET("close_range CLOEXEC 70..~0", syscall(SYS_close_range, 70, ~0U, CLOSE_RANGE_CLOEXEC));
	out("fd 70 open with FD_CLOEXEC=%d, fd 75 FD_CLOEXEC=%d\n", cloexec_of(70), cloexec_of(75));
	CHECK_RET("close_range 50..~0", syscall(SYS_close_range, 50, ~0U, 0));
	YESNO("fds 50, 51, 60, 70, 75 closed", cloexec_of(50) == -1 && cloexec_of(51) == -1 && cloexec_of(60) == -1 &&
						     cloexec_of(70) == -1 && cloexec_of(75) == -1);
	YESNO("fd below the range still open", cloexec_of(fd) >= 0);
	CHECK_RET("close_range on nothing open", syscall(SYS_close_range, 500, 600, 0));
	close(d);
	close(other);
	close(fd);
}

int main(void)
{
	scratch_setup("files");
	/* the host's own limit varies; the fd-range checks assume 1024 */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		out("setrlimit NOFILE 1024 failed\n");
	open_flags();
	umask_checks();
	positioned_and_vectored();
	seeking();
	truncating();
	allocating();
	syncing();
	dups_and_ranges();
	scratch_cleanup();
	return 0;
}
