/*
 * fstat: fstat and newfstatat(AT_EMPTY_PATH) on fds 0-2, which the runner
 * connects to pipes (S_IFIFO) for both the host and Elfin; error paths.
 */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *type(mode_t m)
{
	if (S_ISFIFO(m)) return "fifo";
	if (S_ISCHR(m)) return "chr";
	if (S_ISREG(m)) return "reg";
	if (S_ISDIR(m)) return "dir";
	if (S_ISSOCK(m)) return "sock";
	if (S_ISLNK(m)) return "lnk";
	if (S_ISBLK(m)) return "blk";
	return "unknown";
}

int main(void)
{
	char name[64];
	struct stat st, st2;
	for (int fd = 0; fd <= 2; fd++) {
		memset(&st, 0xff, sizeof st);
		snprintf(name, sizeof name, "fstat fd %d", fd);
		CHECK_RET(name, syscall(SYS_fstat, fd, &st));
		out("fd %d: type=%s perm=%04o nlink=%lu size=%ld uid==getuid:%s\n", fd, type(st.st_mode),
		    (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink, (long)st.st_size,
		    st.st_uid == getuid() ? "yes" : "no");
		snprintf(name, sizeof name, "fd %d: blksize>0", fd);
		YESNO(name, st.st_blksize > 0);
		snprintf(name, sizeof name, "fd %d: ino>0", fd);
		YESNO(name, st.st_ino > 0);
		memset(&st2, 0, sizeof st2);
		snprintf(name, sizeof name, "newfstatat fd %d AT_EMPTY_PATH", fd);
		CHECK_RET(name, syscall(SYS_newfstatat, fd, "", &st2, AT_EMPTY_PATH));
		snprintf(name, sizeof name, "fd %d: newfstatat == fstat", fd);
		YESNO(name, st.st_mode == st2.st_mode && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	}
	struct stat a, b;
	syscall(SYS_fstat, 0, &a);
	syscall(SYS_fstat, 1, &b);
	YESNO("stdin and stdout are different files", a.st_ino != b.st_ino || a.st_dev != b.st_dev);

	CHECK_RET("libc fstat(1)", fstat(1, &st));
	YESNO("libc fstat S_ISFIFO", S_ISFIFO(st.st_mode));

	CHECK_RET("fstat fd -1", syscall(SYS_fstat, -1, &st));
	CHECK_RET("fstat fd 1000", syscall(SYS_fstat, 1000, &st));
	CHECK_RET("fstat unmapped buf", syscall(SYS_fstat, 1, unmapped_page()));
	CHECK_RET("fstat kernel-half buf", syscall(SYS_fstat, 1, KERNEL_ADDR));
	CHECK_RET("fstat NULL buf", syscall(SYS_fstat, 1, NULL));
	CHECK_RET("newfstatat fd 1000 AT_EMPTY_PATH", syscall(SYS_newfstatat, 1000, "", &st, AT_EMPTY_PATH));
	CHECK_RET("newfstatat empty path without flag", syscall(SYS_newfstatat, 1, "", &st, 0));
	CHECK_RET("newfstatat bad flags", syscall(SYS_newfstatat, 1, "", &st, 0x40000000));
	CHECK_RET("newfstatat unmapped path", syscall(SYS_newfstatat, 1, unmapped_page(), &st, AT_EMPTY_PATH));
	CHECK_RET("newfstatat unmapped buf", syscall(SYS_newfstatat, 1, "", unmapped_page(), AT_EMPTY_PATH));
	return 0;
}
