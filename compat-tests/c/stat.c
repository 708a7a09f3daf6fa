/*
 * stat: stat/lstat/fstat/newfstatat/statx on files, directories and symlinks
 * in a scratch directory. Only what every Linux file system answers alike is
 * printed (type, permission bits, size, link counts, owner); inode numbers,
 * devices, block counts and times only as relations.
 */
#include "fs.h"

#define SX_TYPE 0x0001U
#define SX_MODE 0x0002U
#define SX_NLINK 0x0004U
#define SX_UID 0x0008U
#define SX_GID 0x0010U
#define SX_ATIME 0x0020U
#define SX_MTIME 0x0040U
#define SX_CTIME 0x0080U
#define SX_INO 0x0100U
#define SX_SIZE 0x0200U
#define SX_BLOCKS 0x0400U
#define SX_BASIC 0x07ffU
#define SX_RESERVED 0x80000000U
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC 0x4000
#endif

struct sx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct sx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct sx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

static long sys_stat(const char *p, struct stat *st) { return syscall(SYS_stat, p, st); }
static long sys_lstat(const char *p, struct stat *st) { return syscall(SYS_lstat, p, st); }
static long sys_fstat(int fd, struct stat *st) { return syscall(SYS_fstat, fd, st); }
static long sys_fstatat(int dfd, const char *p, struct stat *st, int fl)
{
	return syscall(SYS_newfstatat, dfd, p, st, fl);
}
static long sys_statx(int dfd, const char *p, int fl, unsigned mask, struct sx *b)
{
	return syscall(SYS_statx, dfd, p, fl, mask, b);
}

/* one line of the deterministic fields */
static void show(const char *name, long r, const struct stat *st)
{
	int e = errno;
	if (r != 0) {
		out("%s: ret=-1 errno=%s\n", name, errname(e));
		return;
	}
	/* a directory's size differs between file systems */
	char size[32] = "-";
	if (!S_ISDIR(st->st_mode))
		snprintf(size, sizeof size, "%ld", (long)st->st_size);
	out("%s: %s perm=%04o size=%s nlink=%lu uid=%u gid=%u rdev0=%s\n", name, ftype(st->st_mode),
	    (unsigned)(st->st_mode & 07777), size, (unsigned long)st->st_nlink, (unsigned)st->st_uid,
	    (unsigned)st->st_gid, st->st_rdev == 0 ? "yes" : "no");
}

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_mode == b->st_mode &&
	       a->st_nlink == b->st_nlink && a->st_size == b->st_size;
}

static int ts_after(const struct timespec *a, long sec, long nsec)
{
	return a->tv_sec > sec || (a->tv_sec == sec && a->tv_nsec > nsec);
}

int main(void)
{
	struct stat st, st2;
	struct sx x;
	char buf[8192];
	scratch_setup("stat");
	const char *f = P("f"), *d = P("d"), *l = P("l"), *h = P("h");

	/* empty regular file */
	int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0640);
	show("stat new file", sys_stat(f, &st), &st);
	YESNO("new file: blocks==0", st.st_blocks == 0);
	YESNO("new file: blksize>0", st.st_blksize > 0);
	YESNO("new file: uid==getuid, gid==getgid", st.st_uid == getuid() && st.st_gid == getgid());
	YESNO("new file: ino>0", st.st_ino > 0);
	show("fstat new file", sys_fstat(fd, &st2), &st2);
	YESNO("fstat == stat", same(&st, &st2));

	/* writes change size, blocks, mtime */
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	CHECK_RET("utimensat to 2001", utimensat(AT_FDCWD, f, old, 0));
	memset(buf, 'a', sizeof buf);
	CHECK_RET("write 5000", write(fd, buf, 5000));
	show("fstat after write", sys_fstat(fd, &st), &st);
	YESNO("blocks*512 >= size", st.st_blocks * 512 >= 5000);
	YESNO("mtime changed after write", ts_after(&st.st_mtim, 1000000000, 0));
	YESNO("ctime >= mtime", st.st_ctim.tv_sec > st.st_mtim.tv_sec ||
				     (st.st_ctim.tv_sec == st.st_mtim.tv_sec && st.st_ctim.tv_nsec >= st.st_mtim.tv_nsec));
	YESNO("atime not changed by write", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 0);
	CHECK_RET("utimensat to 2001 again", utimensat(AT_FDCWD, f, old, 0));
	CHECK_RET("ftruncate 10", ftruncate(fd, 10));
	show("stat after ftruncate", sys_stat(f, &st), &st);
	YESNO("mtime changed after ftruncate", ts_after(&st.st_mtim, 1000000000, 0));
	CHECK_RET("utimensat to 2001 again", utimensat(AT_FDCWD, f, old, 0));
	pread(fd, buf, 10, 0);
	sys_stat(f, &st);
	YESNO("mtime unchanged by read", st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 0);
	CHECK_RET("write 0 bytes", write(fd, buf, 0));
	sys_stat(f, &st);
	YESNO("mtime unchanged by an empty write", st.st_mtim.tv_sec == 1000000000);
	close(fd);

	/* hard links */
	CHECK_RET("link", link(f, h));
	show("stat original after link", sys_stat(f, &st), &st);
	show("stat link", sys_stat(h, &st2), &st2);
	YESNO("ino equal after link", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	CHECK_RET("unlink original", unlink(f));
	show("stat link after unlink", sys_stat(h, &st2), &st2);
	fd = open(h, O_RDONLY);
	unlink(h);
	show("fstat of an open, fully unlinked file", sys_fstat(fd, &st), &st);
	close(fd);
	put_file(f, "0123456789", 10);

	/* directories */
	CHECK_RET("mkdir", mkdir(d, 0750));
	show("stat empty dir", sys_stat(d, &st), &st);
	mkdir(P("d/sub"), 0755);
	show("stat dir with a subdir", sys_stat(d, &st), &st);
	put_file(P("d/file"), "x", 1);
	show("stat dir with a subdir and a file", sys_stat(d, &st), &st);
	rmdir(P("d/sub"));
	show("stat dir after rmdir of the subdir", sys_stat(d, &st), &st);
	sys_stat("/", &st);
	out("stat /: %s\n", ftype(st.st_mode));
	sys_stat("/tmp", &st);
	out("stat /tmp: %s\n", ftype(st.st_mode));
	sys_stat(scratch, &st);
	sys_stat(f, &st2);
	YESNO("file and its dir on the same device", st.st_dev == st2.st_dev);
	sys_stat("/..", &st);
	sys_stat("/", &st2);
	YESNO("/.. is /", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);

	/* symlinks */
	CHECK_RET("symlink", symlink("f", l));
	show("lstat symlink", sys_lstat(l, &st), &st);
	show("stat symlink (follows)", sys_stat(l, &st2), &st2);
	sys_stat(f, &st);
	YESNO("stat through the link == stat of the target", same(&st, &st2));
	symlink("a-rather-long-target-name/that/does/not/exist", P("dangling"));
	show("lstat dangling symlink", sys_lstat(P("dangling"), &st), &st);
	show("stat dangling symlink", sys_stat(P("dangling"), &st), &st);
	symlink("d", P("ld"));
	show("stat symlink to dir", sys_stat(P("ld"), &st), &st);
	show("lstat symlink to dir with a trailing slash", sys_lstat(P("ld/"), &st), &st);

	/* permissions */
	chmod(f, 0);
	show("stat mode 0", sys_stat(f, &st), &st);
	chmod(f, 07777);
	show("stat mode 07777", sys_stat(f, &st), &st);
	chmod(f, 0644);

	/* newfstatat */
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	show("newfstatat(dirfd, \"f\")", sys_fstatat(dfd, "f", &st, 0), &st);
	show("newfstatat(dirfd, \"l\", AT_SYMLINK_NOFOLLOW)", sys_fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW), &st);
	show("newfstatat(dirfd, \"l\", 0)", sys_fstatat(dfd, "l", &st, 0), &st);
	show("newfstatat(dirfd, \"\", AT_EMPTY_PATH)", sys_fstatat(dfd, "", &st, AT_EMPTY_PATH), &st);
	sys_fstat(dfd, &st2);
	YESNO("AT_EMPTY_PATH on dirfd == fstat", same(&st, &st2));
	show("newfstatat(AT_FDCWD, relative)", sys_fstatat(AT_FDCWD, R("f"), &st, 0), &st);
	show("newfstatat(dirfd, \".\")", sys_fstatat(dfd, ".", &st, 0), &st);
	show("newfstatat missing", sys_fstatat(dfd, "missing", &st, 0), &st);
	show("newfstatat empty path, no flag", sys_fstatat(dfd, "", &st, 0), &st);
	show("newfstatat bad flags", sys_fstatat(dfd, "f", &st, 0x1), &st);
	show("newfstatat bad fd", sys_fstatat(1000, "f", &st, 0), &st);
	int ffd = open(f, O_RDONLY);
	show("newfstatat(file fd, \"x\")", sys_fstatat(ffd, "x", &st, 0), &st);
	show("newfstatat(file fd, \"\", AT_EMPTY_PATH)", sys_fstatat(ffd, "", &st, AT_EMPTY_PATH), &st);
	int pfd = open(l, O_PATH | O_NOFOLLOW);
	show("fstat O_PATH|O_NOFOLLOW fd of a symlink", sys_fstat(pfd, &st), &st);
	close(pfd);

	/* error paths */
	show("stat missing", sys_stat(P("missing"), &st), &st);
	show("stat through a file", sys_stat(P("f/x"), &st), &st);
	show("stat file with a trailing slash", sys_stat(P("f/"), &st), &st);
	show("stat empty path", sys_stat("", &st), &st);
	show("stat NULL path", sys_stat(NULL, &st), &st);
	show("stat NULL buf", sys_stat(f, NULL), &st);
	show("stat unmapped buf", sys_stat(f, unmapped_page()), &st);
	show("lstat NULL buf", sys_lstat(l, NULL), &st);
	show("fstat bad fd", sys_fstat(1000, &st), &st);
	memset(buf, 'n', 300);
	buf[300] = 0;
	show("stat 300-byte name", sys_stat(buf, &st), &st);
	show("libc stat", stat(f, &st), &st);
	show("libc lstat", lstat(l, &st), &st);
	show("libc fstatat", fstatat(dfd, "f", &st, 0), &st);

	/* statx */
	memset(&x, 0xee, sizeof x);
	CHECK_RET("statx f STATX_BASIC_STATS", sys_statx(dfd, "f", 0, SX_BASIC, &x));
	sys_stat(f, &st);
	YESNO("statx mask has the basic stats", (x.mask & SX_BASIC) == SX_BASIC);
	out("statx f: %s perm=%04o size=%llu nlink=%u uid=%u gid=%u\n", ftype(x.mode), x.mode & 07777,
	    (unsigned long long)x.size, x.nlink, x.uid, x.gid);
	YESNO("statx agrees with stat (ino, size, mode, nlink, blocks)",
	      x.ino == st.st_ino && x.size == (uint64_t)st.st_size && x.mode == st.st_mode &&
		      x.nlink == st.st_nlink && x.blocks == (uint64_t)st.st_blocks);
	YESNO("statx mtime agrees with stat",
	      x.mtime.tv_sec == st.st_mtim.tv_sec && x.mtime.tv_nsec == (uint32_t)st.st_mtim.tv_nsec);
	YESNO("statx blksize>0", x.blksize > 0);
	YESNO("statx rdev 0:0", x.rdev_major == 0 && x.rdev_minor == 0);
	CHECK_RET("statx mask 0", sys_statx(dfd, "f", 0, 0, &x));
	CHECK_RET("statx symlink AT_SYMLINK_NOFOLLOW", sys_statx(dfd, "l", AT_SYMLINK_NOFOLLOW, SX_BASIC, &x));
	out("statx symlink: %s size=%llu\n", ftype(x.mode), (unsigned long long)x.size);
	CHECK_RET("statx symlink, follow", sys_statx(dfd, "l", 0, SX_BASIC, &x));
	out("statx through symlink: %s size=%llu\n", ftype(x.mode), (unsigned long long)x.size);
	CHECK_RET("statx AT_EMPTY_PATH on a file fd", sys_statx(ffd, "", AT_EMPTY_PATH, SX_BASIC, &x));
	out("statx fd: %s size=%llu\n", ftype(x.mode), (unsigned long long)x.size);
	CHECK_RET("statx directory", sys_statx(AT_FDCWD, d, 0, SX_BASIC, &x));
	out("statx dir: %s perm=%04o nlink=%u\n", ftype(x.mode), x.mode & 07777, x.nlink);
	CHECK_RET("statx AT_STATX_FORCE_SYNC", sys_statx(dfd, "f", AT_STATX_FORCE_SYNC, SX_BASIC, &x));
	CHECK_RET("statx AT_STATX_DONT_SYNC", sys_statx(dfd, "f", AT_STATX_DONT_SYNC, SX_BASIC, &x));
	CHECK_RET("statx both sync flags", sys_statx(dfd, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, SX_BASIC, &x));
	CHECK_RET("statx STATX__RESERVED", sys_statx(dfd, "f", 0, SX_RESERVED, &x));
	CHECK_RET("statx bad flags", sys_statx(dfd, "f", 0x1, SX_BASIC, &x));
	CHECK_RET("statx missing", sys_statx(dfd, "missing", 0, SX_BASIC, &x));
	CHECK_RET("statx empty path, no flag", sys_statx(dfd, "", 0, SX_BASIC, &x));
	CHECK_RET("statx NULL buf", sys_statx(dfd, "f", 0, SX_BASIC, NULL));
	CHECK_RET("statx bad fd", sys_statx(1000, "f", 0, SX_BASIC, &x));
	close(ffd);
	close(dfd);
	scratch_cleanup();
	return 0;
}
