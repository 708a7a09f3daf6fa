/*
 * locks: POSIX record locks (F_SETLK/F_SETLKW/F_GETLK) and open file
 * description locks (F_OFD_*) in one process, and flock. A process never
 * conflicts with its own POSIX locks, so conflicts are shown with OFD locks
 * (owned by the open file description) and with flock on two separate
 * opens. Pids are never printed (F_GETLK's l_pid is -1 for OFD locks).
 */
#include "fs.h"
#include <sys/file.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static int lk(int fd, int cmd, short type, short whence, long start, long len)
{
	struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len, .l_pid = 0};
	return fcntl(fd, cmd, &fl);
}

static const char *tname(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

/* F_GETLK/F_OFD_GETLK for [start, start+len) as a write lock; print the answer */
static void get(const char *name, int fd, int cmd, short type, long start, long len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0};
	if (fcntl(fd, cmd, &fl) != 0) {
		out("%s: ret=-1 errno=%s\n", name, errname(errno));
		return;
	}
	if (fl.l_type == F_UNLCK)
		out("%s: F_UNLCK\n", name);
	else
		out("%s: %s start=%ld len=%ld pid=%s\n", name, tname(fl.l_type), (long)fl.l_start, (long)fl.l_len,
		    fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "self" : "other");
}

int main(void)
{
	scratch_setup("locks");
	const char *f = P("f");
	put_file(f, "0123456789", 10);
	int a = open(f, O_RDWR), b = open(f, O_RDWR);

	/* POSIX locks, one process */
	CHECK_RET("F_SETLK write lock 0..100", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
	get("F_GETLK from the same process", a, F_GETLK, F_WRLCK, 0, 100);
	get("F_GETLK through another open, same process", b, F_GETLK, F_WRLCK, 0, 100);
	CHECK_RET("F_SETLK again through another open", lk(b, F_SETLK, F_WRLCK, SEEK_SET, 50, 10));
	get("F_OFD_GETLK sees the process lock", b, F_OFD_GETLK, F_WRLCK, 0, 10);
	get("F_OFD_GETLK read lock over 0..10", b, F_OFD_GETLK, F_RDLCK, 0, 10);
	CHECK_RET("F_SETLK unlock 40..60 (splits)", lk(a, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
	get("F_OFD_GETLK 0..10", b, F_OFD_GETLK, F_WRLCK, 0, 10);
	get("F_OFD_GETLK 45..50 (the gap)", b, F_OFD_GETLK, F_WRLCK, 45, 5);
	get("F_OFD_GETLK 50..100", b, F_OFD_GETLK, F_WRLCK, 50, 50);
	get("F_OFD_GETLK 200.. (past the locks)", b, F_OFD_GETLK, F_WRLCK, 200, 0);
	CHECK_RET("F_SETLK read lock 0..10 (downgrade)", lk(a, F_SETLK, F_RDLCK, SEEK_SET, 0, 10));
	get("F_OFD_GETLK read lock 0..10", b, F_OFD_GETLK, F_RDLCK, 0, 10);
	get("F_OFD_GETLK write lock 0..10", b, F_OFD_GETLK, F_WRLCK, 0, 10);
	CHECK_RET("F_SETLK unlock everything (len 0)", lk(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	get("F_OFD_GETLK after", b, F_OFD_GETLK, F_WRLCK, 0, 0);
	CHECK_RET("F_SETLKW (no conflict)", lk(a, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
	lseek(a, 5, SEEK_SET);
	CHECK_RET("F_SETLK SEEK_CUR 0 len 5", lk(a, F_SETLK, F_WRLCK, SEEK_CUR, 0, 5));
	get("F_OFD_GETLK 12.. (nothing there)", b, F_OFD_GETLK, F_WRLCK, 12, 0);
	CHECK_RET("F_SETLK SEEK_END -2 len 2", lk(a, F_SETLK, F_WRLCK, SEEK_END, -2, 2));
	get("F_OFD_GETLK 8..9 (merged into 0..10)", b, F_OFD_GETLK, F_WRLCK, 8, 1);
	CHECK_RET("F_SETLK negative length", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 30, -10));
	get("F_OFD_GETLK 15.. finds 20..30", b, F_OFD_GETLK, F_WRLCK, 15, 0);
	lk(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	/* closing any fd of the file drops the process's POSIX locks */
	lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	int c = open(f, O_RDONLY);
	close(c);
	get("after closing another fd of the file", b, F_OFD_GETLK, F_WRLCK, 0, 0);

	/* errors */
	int ro = open(f, O_RDONLY), wo = open(f, O_WRONLY);
	CHECK_RET("F_SETLK write lock on an O_RDONLY fd", lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	CHECK_RET("F_SETLK read lock on an O_WRONLY fd", lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	CHECK_RET("F_SETLK read lock on an O_RDONLY fd", lk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	CHECK_RET("F_SETLK bad l_type", lk(a, F_SETLK, 99, SEEK_SET, 0, 1));
	CHECK_RET("F_SETLK bad l_whence", lk(a, F_SETLK, F_WRLCK, 7, 0, 1));
	CHECK_RET("F_SETLK negative start", lk(a, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
	CHECK_RET("F_SETLK length reaching below 0", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 5, -10));
	CHECK_RET("F_GETLK with F_UNLCK", lk(a, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
	CHECK_RET("F_SETLK bad fd", lk(1000, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	CHECK_RET("F_SETLK NULL flock", fcntl(a, F_SETLK, NULL));
	CHECK_RET("F_GETLK unmapped flock", fcntl(a, F_GETLK, unmapped_page()));
	int p[2];
	pipe(p);
	CHECK_RET("F_SETLK on a pipe", lk(p[1], F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	lk(p[1], F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	close(p[0]);
	close(p[1]);
	int pfd = open(f, O_PATH);
	CHECK_RET("F_SETLK on an O_PATH fd", lk(pfd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	close(pfd);

	/* OFD locks: owned by the open file description */
	CHECK_RET("F_OFD_SETLK write lock through a", lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	CHECK_RET("F_OFD_SETLK write lock through b (conflict)", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 10));
	CHECK_RET("F_OFD_SETLK read lock through b (conflict)", lk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	CHECK_RET("F_OFD_SETLK through b, no overlap", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 10, 10));
	get("F_OFD_GETLK through b", b, F_OFD_GETLK, F_WRLCK, 0, 0);
	get("F_OFD_GETLK through a", a, F_OFD_GETLK, F_WRLCK, 0, 0);
	get("F_GETLK (process) sees the OFD lock", a, F_GETLK, F_WRLCK, 0, 0);
	CHECK_RET("F_SETLK (process) conflicting with an OFD lock", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	int adup = dup(a);
	CHECK_RET("F_OFD_SETLK through a dup of a (same description)", lk(adup, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5));
	close(adup);
	get("closing the dup keeps the OFD lock", b, F_OFD_GETLK, F_WRLCK, 0, 1);
	CHECK_RET("F_OFD_SETLK with l_pid != 0", ({
			  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
			  fcntl(b, F_OFD_SETLK, &fl);
		  }));
	CHECK_RET("F_OFD_SETLKW through b (would block: use a free range)", lk(b, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 50, 1));
	CHECK_RET("F_OFD_SETLK unlock a", lk(a, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	get("F_OFD_GETLK through b after", b, F_OFD_GETLK, F_WRLCK, 0, 10);
	CHECK_RET("F_OFD_SETLK write lock on an O_RDONLY fd", lk(ro, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	lk(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	close(b);
	b = open(f, O_RDWR);
	lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	close(a);
	get("closing the only fd of a description drops its OFD lock", b, F_OFD_GETLK, F_WRLCK, 0, 0);
	a = open(f, O_RDWR);

	/* flock */
	CHECK_RET("flock LOCK_EX", flock(a, LOCK_EX));
	CHECK_RET("flock LOCK_EX again (same description)", flock(a, LOCK_EX));
	CHECK_RET("flock LOCK_EX|LOCK_NB through another open", flock(b, LOCK_EX | LOCK_NB));
	CHECK_RET("flock LOCK_SH|LOCK_NB through another open", flock(b, LOCK_SH | LOCK_NB));
	int d = dup(a);
	CHECK_RET("flock LOCK_EX|LOCK_NB through a dup", flock(d, LOCK_EX | LOCK_NB));
	CHECK_RET("F_OFD_SETLK while flocked (independent)", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	lk(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	CHECK_RET("flock LOCK_SH (convert)", flock(a, LOCK_SH));
	CHECK_RET("flock LOCK_SH|LOCK_NB through another open", flock(b, LOCK_SH | LOCK_NB));
	CHECK_RET("flock LOCK_EX|LOCK_NB while another holds LOCK_SH", flock(a, LOCK_EX | LOCK_NB));
	CHECK_RET("flock LOCK_UN b", flock(b, LOCK_UN));
	CHECK_RET("flock LOCK_EX|LOCK_NB now", flock(a, LOCK_EX | LOCK_NB));
	close(a);
	CHECK_RET("flock through b while the dup still holds it", flock(b, LOCK_EX | LOCK_NB));
	close(d);
	CHECK_RET("flock through b after the last fd closed", flock(b, LOCK_EX | LOCK_NB));
	CHECK_RET("flock LOCK_UN", flock(b, LOCK_UN));
	CHECK_RET("flock LOCK_UN when not locked", flock(b, LOCK_UN));
	CHECK_RET("flock LOCK_EX on an O_RDONLY fd", flock(ro, LOCK_EX));
	flock(ro, LOCK_UN);
	CHECK_RET("flock op 0", flock(b, 0));
	CHECK_RET("flock LOCK_SH|LOCK_EX", flock(b, LOCK_SH | LOCK_EX));
	CHECK_RET("flock op 16", flock(b, 16));
	CHECK_RET("flock LOCK_NB alone", flock(b, LOCK_NB));
	CHECK_RET("flock bad fd", flock(1000, LOCK_EX));
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("flock a directory", flock(dfd, LOCK_EX | LOCK_NB));
	flock(dfd, LOCK_UN);
	close(dfd);
	pfd = open(f, O_PATH);
	CHECK_RET("flock an O_PATH fd", flock(pfd, LOCK_EX));
	close(pfd);
	close(b);
	close(ro);
	close(wo);
	scratch_cleanup();
	return 0;
}
