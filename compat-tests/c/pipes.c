/*
 * pipes: pipe/pipe2 (O_CLOEXEC, O_NONBLOCK, O_DIRECT packets), data through
 * a pipe, partial reads, FIONREAD, EOF once every writer is closed, EPIPE
 * (SIGPIPE ignored, and SIGPIPE left pending when blocked), capacity
 * (F_GETPIPE_SZ/F_SETPIPE_SZ, a full non-blocking pipe), error paths. One
 * thread: nothing here ever blocks.
 */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif
#ifndef O_DIRECT
#define O_DIRECT 040000
#endif

static int nread(int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) != 0)
		return -1;
	return n;
}

static void flags_line(const char *name, int fd)
{
	int fl = fcntl(fd, F_GETFL), fd_fl = fcntl(fd, F_GETFD);
	out("%s: accmode=%d nonblock=%d direct=%d cloexec=%d\n", name, fl & O_ACCMODE, !!(fl & O_NONBLOCK),
	    !!(fl & O_DIRECT), !!(fd_fl & FD_CLOEXEC));
}

int main(void)
{
	int p[2] = {-1, -1};
	char buf[256];
	struct stat st;

	CHECK_RET("pipe", pipe(p));
	if (p[0] < 0)
		return 1;
	YESNO("two different fds", p[0] != p[1] && p[0] >= 0 && p[1] >= 0);
	fstat(p[0], &st);
	out("read end: %s perm=%04o size=%ld\n", S_ISFIFO(st.st_mode) ? "fifo" : "other",
	    (unsigned)(st.st_mode & 07777), (long)st.st_size);
	struct stat st2;
	fstat(p[1], &st2);
	YESNO("both ends are the same inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	flags_line("read end", p[0]);
	flags_line("write end", p[1]);
	out("FIONREAD empty: %d\n", nread(p[0]));

	CHECK_RET("write 5", write(p[1], "hello", 5));
	out("FIONREAD: %d\n", nread(p[0]));
	fstat(p[0], &st);
	out("fstat size with data: %ld\n", (long)st.st_size);
	memset(buf, 0, sizeof buf);
	CHECK_RET("read 3", read(p[0], buf, 3));
	out("data: \"%s\"\n", buf);
	out("FIONREAD: %d\n", nread(p[0]));
	memset(buf, 0, sizeof buf);
	CHECK_RET("read 100 gets the 2 left (partial)", read(p[0], buf, 100));
	out("data: \"%s\"\n", buf);
	CHECK_RET("write 0 bytes", write(p[1], buf, 0));
	CHECK_RET("read 0 bytes", read(p[0], buf, 0));
	CHECK_RET("read on the write end", read(p[1], buf, 1));
	CHECK_RET("write on the read end", write(p[0], "x", 1));
	CHECK_RET("lseek on a pipe", lseek(p[0], 0, SEEK_SET));
	CHECK_RET("lseek SEEK_CUR 0 on a pipe", lseek(p[1], 0, SEEK_CUR));
	CHECK_RET("pread on a pipe", pread(p[0], buf, 1, 0));
	CHECK_RET("pwrite on a pipe", pwrite(p[1], "x", 1, 0));
	CHECK_RET("ftruncate on a pipe", ftruncate(p[1], 0));
	CHECK_RET("write from an unmapped buffer", write(p[1], unmapped_page(), 4));
	CHECK_RET("write from NULL", syscall(SYS_write, p[1], NULL, 4));
	write(p[1], "abcdef", 6);
	CHECK_RET("read into an unmapped buffer", read(p[0], unmapped_page(), 4));
	out("FIONREAD after the failed read: %d\n", nread(p[0]));
	CHECK_RET("read the 6", read(p[0], buf, sizeof buf));

	/* vectored */
	struct iovec w[3] = {{(void *)"ab", 2}, {(void *)"", 0}, {(void *)"cde", 3}};
	CHECK_RET("writev 2+0+3", writev(p[1], w, 3));
	char x[3] = {0}, y[8] = {0};
	struct iovec r[2] = {{x, 2}, {y, 7}};
	CHECK_RET("readv 2+7 (partial)", readv(p[0], r, 2));
	out("pieces: \"%s\" \"%s\"\n", x, y);

	/* FIONBIO and F_SETFL */
	int on = 1;
	CHECK_RET("FIONBIO on", ioctl(p[0], FIONBIO, &on));
	flags_line("after FIONBIO", p[0]);
	CHECK_RET("read an empty non-blocking pipe", read(p[0], buf, 1));
	on = 0;
	ioctl(p[0], FIONBIO, &on);
	flags_line("after FIONBIO off", p[0]);

	/* EOF: only once every write end is closed */
	int wdup = dup(p[1]);
	write(p[1], "last", 4);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK_RET("read with a dup of the writer still open", read(p[0], buf, sizeof buf));
	CHECK_RET("read empty, writer dup open", read(p[0], buf, sizeof buf));
	close(wdup);
	CHECK_RET("read after every writer closed (EOF)", read(p[0], buf, sizeof buf));
	fcntl(p[0], F_SETFL, 0);
	CHECK_RET("blocking read at EOF returns 0", read(p[0], buf, sizeof buf));
	close(p[0]);

	/* EPIPE */
	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	CHECK_RET("write with no reader (SIGPIPE ignored)", write(p[1], "x", 1));
	CHECK_RET("writev with no reader", writev(p[1], w, 3));
	CHECK_RET("write 0 bytes with no reader", write(p[1], "x", 0));
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pipe(p);
	close(p[0]);
	CHECK_RET("write with no reader (SIGPIPE blocked)", write(p[1], "x", 1));
	sigpending(&pend);
	YESNO("SIGPIPE pending", sigismember(&pend, SIGPIPE));
	signal(SIGPIPE, SIG_IGN);
	sigpending(&pend);
	YESNO("SIGPIPE pending after SIG_IGN", sigismember(&pend, SIGPIPE));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(p[1]);

	/* pipe2 flags */
	CHECK_RET("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
	flags_line("read end", p[0]);
	flags_line("write end", p[1]);
	close(p[0]);
	close(p[1]);
	CHECK_RET("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
	flags_line("read end", p[0]);
	flags_line("write end", p[1]);
	CHECK_RET("read an empty O_NONBLOCK pipe", read(p[0], buf, 1));
	close(p[0]);
	close(p[1]);
	CHECK_RET("pipe2 bad flags", pipe2(p, O_APPEND));
	CHECK_RET("pipe2 O_RDWR", pipe2(p, O_RDWR));
	CHECK_RET("pipe2 unknown bit", syscall(SYS_pipe2, p, 0x40000000));
	CHECK_RET("pipe NULL", syscall(SYS_pipe, NULL));
	CHECK_RET("pipe unmapped", syscall(SYS_pipe, unmapped_page()));
	CHECK_RET("pipe2 NULL", syscall(SYS_pipe2, NULL, 0));

	/* O_DIRECT: packet mode */
	CHECK_RET("pipe2 O_DIRECT", pipe2(p, O_DIRECT | O_NONBLOCK));
	flags_line("packet read end", p[0]);
	write(p[1], "one", 3);
	write(p[1], "four", 4);
	out("FIONREAD packets: %d\n", nread(p[0]));
	CHECK_RET("read 100 gets one packet", read(p[0], buf, 100));
	CHECK_RET("read 2 of a 4-byte packet", read(p[0], buf, 2));
	CHECK_RET("the rest of that packet is gone", read(p[0], buf, 100));
	close(p[0]);
	close(p[1]);

	/* capacity */
	pipe2(p, O_NONBLOCK);
	CHECK_RET("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
	CHECK_RET("F_GETPIPE_SZ on the write end", fcntl(p[1], F_GETPIPE_SZ));
	static char big[200000];
	memset(big, 'p', sizeof big);
	CHECK_RET("write 100000 to a non-blocking pipe", write(p[1], big, 100000));
	out("FIONREAD full: %d\n", nread(p[0]));
	CHECK_RET("write 1 to a full pipe", write(p[1], "x", 1));
	CHECK_RET("F_SETPIPE_SZ below the data in it", fcntl(p[0], F_SETPIPE_SZ, 4096));
	long total = 0, n;
	while ((n = read(p[0], big, 7000)) > 0)
		total += n;
	out("drained: %ld, then read: %s\n", total, n == -1 ? errname(errno) : "0");
	CHECK_RET("write 4096 again", write(p[1], big, 4096));
	read(p[0], big, sizeof big);
	CHECK_RET("F_SETPIPE_SZ 4096", fcntl(p[0], F_SETPIPE_SZ, 4096));
	CHECK_RET("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
	CHECK_RET("write 10000 into 4096", write(p[1], big, 10000));
	read(p[0], big, sizeof big);
	CHECK_RET("F_SETPIPE_SZ 5000 rounds up", fcntl(p[0], F_SETPIPE_SZ, 5000));
	CHECK_RET("F_SETPIPE_SZ 0 gives one page", fcntl(p[0], F_SETPIPE_SZ, 0));
	CHECK_RET("F_SETPIPE_SZ 1<<20", fcntl(p[0], F_SETPIPE_SZ, 1 << 20));
	CHECK_RET("F_SETPIPE_SZ 2^31+1", fcntl(p[0], F_SETPIPE_SZ, 0x80000001U));
	CHECK_RET("F_SETPIPE_SZ 65536", fcntl(p[0], F_SETPIPE_SZ, 65536));
	close(p[0]);
	close(p[1]);

	/* many small writes keep their order */
	pipe(p);
	for (int i = 0; i < 100; i++) {
		char c = (char)('A' + i % 26);
		write(p[1], &c, 1);
	}
	out("FIONREAD after 100 one-byte writes: %d\n", nread(p[0]));
	n = read(p[0], buf, sizeof buf);
	int ordered = n == 100;
	for (int i = 0; i < n; i++)
		ordered &= buf[i] == (char)('A' + i % 26);
	YESNO("one read gets all 100 in order", ordered);
	close(p[0]);
	close(p[1]);
	CHECK_RET("close a closed pipe fd", close(p[0]));

	/* a pipe of pipes: the fd table */
	int fds[64];
	int okp = 1;
	for (int i = 0; i < 32; i++)
		okp &= pipe(fds + 2 * i) == 0;
	YESNO("32 pipes at once", okp);
	for (int i = 0; i < 32; i++) {
		char c = (char)i;
		write(fds[2 * i + 1], &c, 1);
	}
	int good = 1;
	for (int i = 31; i >= 0; i--) {
		char c = -1;
		good &= read(fds[2 * i], &c, 1) == 1 && c == (char)i;
		close(fds[2 * i]);
		close(fds[2 * i + 1]);
	}
	YESNO("each pipe kept its own byte", good);
	return 0;
}
