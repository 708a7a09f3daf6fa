/*
 * perms: access/faccessat/faccessat2 (as root: DAC is bypassed except for
 * execute), chmod/fchmod/fchmodat/fchmodat2, chown/fchown/lchown/fchownat,
 * utimensat/futimens (UTIME_NOW, UTIME_OMIT; times set explicitly are read
 * back, "now" only as a relation), statfs/fstatfs relations. The runner
 * runs as root on the host, and Elfin reports root.
 */
#include "fs.h"
#include <sys/statfs.h>
#include <time.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

static long acc2(int dfd, const char *p, int mode, int flags)
{
	return syscall(SYS_faccessat2, dfd, p, mode, flags);
}

static void show_owner(const char *name, const char *path, int follow)
{
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);
	if (r != 0)
		out("%s: errno=%s\n", name, errname(errno));
	else
		out("%s: uid=%u gid=%u mode=%04o\n", name, (unsigned)st.st_uid, (unsigned)st.st_gid,
		    (unsigned)(st.st_mode & 07777));
}

static void show_times(const char *name, const char *path, int follow)
{
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);
	if (r != 0)
		out("%s: errno=%s\n", name, errname(errno));
	else
		out("%s: atime=%ld.%09ld mtime=%ld.%09ld\n", name, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		    (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void access_checks(void)
{
	const char *f = P("f");
	put_file(f, "data", 4);
	chmod(f, 0);
	CHECK_RET("access F_OK", access(f, F_OK));
	CHECK_RET("access R_OK|W_OK on mode 0000 (root)", access(f, R_OK | W_OK));
	CHECK_RET("access X_OK on mode 0000 (root)", access(f, X_OK));
	chmod(f, 0100);
	CHECK_RET("access X_OK on mode 0100 (root)", access(f, X_OK));
	chmod(f, 0001);
	CHECK_RET("access X_OK on mode 0001 (root)", access(f, X_OK));
	chmod(f, 0644);
	CHECK_RET("access X_OK on mode 0644 (root)", access(f, X_OK));
	CHECK_RET("access X_OK on a 0700 dir (root)", (mkdir(P("d"), 0700), access(P("d"), X_OK)));
	chmod(P("d"), 0);
	CHECK_RET("access X_OK on a 0000 dir (root)", access(P("d"), X_OK));
	CHECK_RET("access R_OK|W_OK on a 0000 dir (root)", access(P("d"), R_OK | W_OK));
	chmod(P("d"), 0755);
	CHECK_RET("access missing", access(P("missing"), F_OK));
	CHECK_RET("access through a file", access(P("f/x"), F_OK));
	CHECK_RET("access bad mode 8", access(f, 8));
	CHECK_RET("access empty path", access("", F_OK));
	CHECK_RET("access NULL path", syscall(SYS_access, NULL, F_OK));
	symlink("missing", P("dangling"));
	CHECK_RET("access a dangling symlink", access(P("dangling"), F_OK));
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("faccessat(dirfd, \"f\", R_OK)", syscall(SYS_faccessat, dfd, "f", R_OK));
	CHECK_RET("faccessat bad fd", syscall(SYS_faccessat, 1000, "f", R_OK));
	CHECK_RET("faccessat(file fd, \"x\")", syscall(SYS_faccessat, open(f, O_RDONLY), "x", R_OK));
	CHECK_RET("faccessat2 flags 0", acc2(dfd, "f", R_OK, 0));
	CHECK_RET("faccessat2 AT_EACCESS", acc2(dfd, "f", R_OK, AT_EACCESS));
	CHECK_RET("faccessat2 AT_SYMLINK_NOFOLLOW on a dangling link", acc2(dfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	CHECK_RET("faccessat2 follow a dangling link", acc2(dfd, "dangling", F_OK, 0));
	CHECK_RET("faccessat2 AT_EMPTY_PATH on a dir fd", acc2(dfd, "", X_OK, AT_EMPTY_PATH));
	CHECK_RET("faccessat2 empty path without flag", acc2(dfd, "", F_OK, 0));
	CHECK_RET("faccessat2 bad flags", acc2(dfd, "f", F_OK, 0x1));
	CHECK_RET("faccessat2 bad mode", acc2(dfd, "f", 0x10, 0));
	CHECK_RET("libc faccessat AT_EACCESS", faccessat(dfd, "f", W_OK, AT_EACCESS));
	close(dfd);
}

static void chmod_checks(void)
{
	const char *f = P("f");
	struct stat st;
	CHECK_RET("chmod 0640", chmod(f, 0640));
	show_mode("after chmod", f, 0);
	CHECK_RET("chmod 07777", chmod(f, 07777));
	show_mode("after chmod 07777", f, 0);
	CHECK_RET("chmod with file-type bits", chmod(f, S_IFDIR | 0600));
	show_mode("type bits ignored", f, 0);
	CHECK_RET("chmod 0xffff", chmod(f, 0xffff));
	show_mode("after chmod 0xffff", f, 0);
	CHECK_RET("chmod missing", chmod(P("missing"), 0644));
	CHECK_RET("chmod empty path", chmod("", 0644));
	symlink("f", P("s"));
	CHECK_RET("chmod through a symlink", chmod(P("s"), 0600));
	show_mode("the target", f, 0);
	show_mode("the link itself", P("s"), 0);
	int fd = open(f, O_RDONLY);
	CHECK_RET("fchmod on an O_RDONLY fd", fchmod(fd, 0444));
	fstat(fd, &st);
	out("fstat after fchmod: %04o\n", (unsigned)(st.st_mode & 07777));
	close(fd);
	CHECK_RET("fchmod bad fd", fchmod(1000, 0644));
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("fchmod a directory", fchmod(fd, 0711));
	show_mode("scratch dir", scratch, 0);
	fchmod(fd, 0755);
	CHECK_RET("fchmodat(dirfd, \"f\")", syscall(SYS_fchmodat, fd, "f", 0604));
	show_mode("after fchmodat", f, 0);
	CHECK_RET("fchmodat2 AT_SYMLINK_NOFOLLOW on a symlink", syscall(SYS_fchmodat2, fd, "s", 0600, AT_SYMLINK_NOFOLLOW));
	CHECK_RET("fchmodat2 AT_SYMLINK_NOFOLLOW on a file", syscall(SYS_fchmodat2, fd, "f", 0600, AT_SYMLINK_NOFOLLOW));
	show_mode("after fchmodat2", f, 0);
	CHECK_RET("fchmodat2 bad flags", syscall(SYS_fchmodat2, fd, "f", 0600, 0x1));
	CHECK_RET("fchmodat2 AT_EMPTY_PATH on a file fd", syscall(SYS_fchmodat2, open(f, O_RDONLY), "", 0640, AT_EMPTY_PATH));
	show_mode("after AT_EMPTY_PATH", f, 0);
	CHECK_RET("fchmodat bad fd", syscall(SYS_fchmodat, 1000, "f", 0644));
	close(fd);
	chmod(f, 0644);
}

static void chown_checks(void)
{
	const char *f = P("f");
	CHECK_RET("chown 1000:1000", chown(f, 1000, 1000));
	show_owner("after chown", f, 0);
	CHECK_RET("chown -1:-1 (no change)", chown(f, -1, -1));
	show_owner("unchanged", f, 0);
	CHECK_RET("chown -1:2000 (group only)", chown(f, -1, 2000));
	show_owner("group only", f, 0);
	chmod(f, 06755);
	show_owner("setuid+setgid set", f, 0);
	CHECK_RET("chown 0:0 of a setuid file", chown(f, 0, 0));
	show_owner("setuid and setgid cleared", f, 0);
	chmod(f, 02745);
	CHECK_RET("chown of a setgid, group-non-exec file", chown(f, 0, 0));
	show_owner("setgid kept without group exec", f, 0);
	chmod(f, 0644);
	mkdir(P("sd"), 0755);
	chmod(P("sd"), 02755);
	show_owner("mkdir then chmod 02755", P("sd"), 0);
	CHECK_RET("chown a setgid directory", chown(P("sd"), 0, 0));
	show_owner("chown keeps setgid on a directory", P("sd"), 0);
	CHECK_RET("chown through a symlink", chown(P("s"), 3000, 3000));
	show_owner("target", f, 0);
	show_owner("link", P("s"), 0);
	CHECK_RET("lchown on the symlink", lchown(P("s"), 4000, 4000));
	show_owner("target", f, 0);
	show_owner("link", P("s"), 0);
	int fd = open(f, O_RDONLY);
	CHECK_RET("fchown", fchown(fd, 5, 6));
	show_owner("after fchown", f, 0);
	CHECK_RET("fchown bad fd", fchown(1000, 0, 0));
	close(fd);
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("fchownat AT_SYMLINK_NOFOLLOW", fchownat(dfd, "s", 7, 7, AT_SYMLINK_NOFOLLOW));
	show_owner("link", P("s"), 0);
	show_owner("target", f, 0);
	CHECK_RET("fchownat follow", fchownat(dfd, "s", 8, 8, 0));
	show_owner("target", f, 0);
	CHECK_RET("fchownat bad flags", fchownat(dfd, "f", 0, 0, 0x1));
	fd = open(f, O_RDONLY);
	CHECK_RET("fchownat AT_EMPTY_PATH", fchownat(fd, "", 9, 9, AT_EMPTY_PATH));
	show_owner("after AT_EMPTY_PATH", f, 0);
	close(fd);
	CHECK_RET("chown missing", chown(P("missing"), 0, 0));
	CHECK_RET("chown uid 2^32-2", chown(f, 0xfffffffe, 0xfffffffe));
	show_owner("large ids", f, 0);
	chown(f, 0, 0);
	close(dfd);
}

static void time_checks(void)
{
	const char *f = P("f");
	struct stat st;
	struct timespec ts[2] = {{1000000001, 500000000}, {1000000002, 250000000}};
	CHECK_RET("utimensat explicit times", utimensat(AT_FDCWD, f, ts, 0));
	show_times("read back", f, 1);
	struct timespec omit_m[2] = {{1100000000, 1}, {0, UTIME_OMIT}};
	CHECK_RET("utimensat atime only (mtime UTIME_OMIT)", utimensat(AT_FDCWD, f, omit_m, 0));
	show_times("mtime kept", f, 1);
	struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	CHECK_RET("utimensat both UTIME_OMIT", utimensat(AT_FDCWD, f, both_omit, 0));
	show_times("unchanged", f, 1);
	struct timespec now_a[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	time_t before = time(NULL);
	CHECK_RET("utimensat atime UTIME_NOW", utimensat(AT_FDCWD, f, now_a, 0));
	stat(f, &st);
	YESNO("atime is now", st.st_atim.tv_sec >= before - 1 && st.st_atim.tv_sec <= time(NULL) + 1);
	YESNO("mtime still the old one", st.st_mtim.tv_sec == 1000000002 && st.st_mtim.tv_nsec == 250000000);
	utimensat(AT_FDCWD, f, ts, 0);
	before = time(NULL);
	CHECK_RET("utimensat NULL times", utimensat(AT_FDCWD, f, NULL, 0));
	stat(f, &st);
	YESNO("both now", st.st_atim.tv_sec >= before - 1 && st.st_mtim.tv_sec >= before - 1 &&
				 st.st_mtim.tv_sec <= time(NULL) + 1);
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	CHECK_RET("utimensat tv_nsec 1e9", utimensat(AT_FDCWD, f, bad, 0));
	struct timespec neg[2] = {{0, -2}, {0, 0}};
	CHECK_RET("utimensat tv_nsec -2", utimensat(AT_FDCWD, f, neg, 0));
	CHECK_RET("utimensat bad flags", utimensat(AT_FDCWD, f, ts, 0x1));
	CHECK_RET("utimensat missing", utimensat(AT_FDCWD, P("missing"), ts, 0));
	CHECK_RET("utimensat unmapped times", syscall(SYS_utimensat, AT_FDCWD, f, unmapped_page(), 0));
	struct timespec t2[2] = {{1200000000, 0}, {1200000000, 0}};
	CHECK_RET("utimensat AT_SYMLINK_NOFOLLOW on a symlink", utimensat(AT_FDCWD, P("s"), t2, AT_SYMLINK_NOFOLLOW));
	lstat(P("s"), &st);
	YESNO("link's mtime set", st.st_mtim.tv_sec == 1200000000);
	stat(f, &st);
	YESNO("target's mtime not set", st.st_mtim.tv_sec != 1200000000);
	CHECK_RET("utimensat through the symlink", utimensat(AT_FDCWD, P("s"), ts, 0));
	show_times("target", f, 1);
	int fd = open(f, O_RDONLY);
	struct timespec t3[2] = {{1300000000, 3}, {1300000000, 4}};
	CHECK_RET("futimens on an O_RDONLY fd (owner)", futimens(fd, t3));
	show_times("after futimens", f, 1);
	struct timespec t4[2] = {{1400000000, 0}, {1400000000, 0}};
	CHECK_RET("raw utimensat(fd, NULL path)", syscall(SYS_utimensat, fd, NULL, t4, 0));
	show_times("after utimensat(fd, NULL)", f, 1);
	CHECK_RET("raw utimensat(fd, NULL path, AT_SYMLINK_NOFOLLOW)", syscall(SYS_utimensat, fd, NULL, t4, AT_SYMLINK_NOFOLLOW));
	CHECK_RET("utimensat(fd, \"\", AT_EMPTY_PATH)", utimensat(fd, "", ts, AT_EMPTY_PATH));
	show_times("after AT_EMPTY_PATH", f, 1);
	CHECK_RET("futimens bad fd", futimens(1000, ts));
	close(fd);
	struct timespec zero[2] = {{0, 0}, {0, 0}};
	CHECK_RET("utimensat epoch", utimensat(AT_FDCWD, f, zero, 0));
	show_times("epoch", f, 1);
	CHECK_RET("utime (old syscall)", syscall(SYS_utime, f, NULL));
	stat(f, &st);
	YESNO("utime NULL sets now", st.st_mtim.tv_sec >= before - 1);
	struct {
		long actime, modtime;
	} ub = {1500000000, 1500000001};
	CHECK_RET("utime explicit", syscall(SYS_utime, f, &ub));
	show_times("after utime", f, 1);
	struct timeval tv[2] = {{1600000000, 5}, {1600000001, 6}};
	CHECK_RET("utimes", syscall(SYS_utimes, f, tv));
	show_times("after utimes (usec)", f, 1);
	struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
	CHECK_RET("utimes tv_usec 1e6", syscall(SYS_utimes, f, badtv));
}

static void statfs_checks(void)
{
	struct statfs a, b;
	CHECK_RET("statfs scratch", statfs(scratch, &a));
	YESNO("bsize>0", a.f_bsize > 0);
	YESNO("blocks>=bfree>=bavail", a.f_blocks >= a.f_bfree && a.f_bfree >= a.f_bavail);
	YESNO("files>=ffree", a.f_files >= a.f_ffree);
	out("namelen: %ld\n", (long)a.f_namelen);
	YESNO("frsize>0", a.f_frsize > 0);
	int fd = open(P("f"), O_RDONLY);
	CHECK_RET("fstatfs", fstatfs(fd, &b));
	YESNO("fstatfs agrees with statfs (type, bsize)", a.f_type == b.f_type && a.f_bsize == b.f_bsize);
	close(fd);
	fd = open(P("f"), O_PATH);
	CHECK_RET("fstatfs on an O_PATH fd", fstatfs(fd, &b));
	close(fd);
	CHECK_RET("statfs missing", statfs(P("missing"), &a));
	CHECK_RET("statfs NULL buf", syscall(SYS_statfs, scratch, NULL));
	CHECK_RET("statfs through a file", statfs(P("f/x"), &a));
	CHECK_RET("fstatfs bad fd", fstatfs(1000, &a));
	CHECK_RET("statfs /", statfs("/", &a));
	CHECK_RET("statfs a symlink follows", statfs(P("s"), &a));
}

int main(void)
{
	scratch_setup("perms");
	access_checks();
	chmod_checks();
	chown_checks();
	time_checks();
	statfs_checks();
	scratch_cleanup();
	return 0;
}
