/*
 * memfd: memfd_create, then the fd as an ordinary regular file: write, read,
 * lseek, ftruncate, fstat, MAP_SHARED mappings; MFD_CLOEXEC; name and flag
 * errors. Seals are in memfd_seals.
 */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif

static long mfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

int main(void)
{
	struct stat st;
	char buf[256];
	int fd = mfd("compat", 0);
	YESNO("memfd_create(\"compat\", 0)", fd >= 0);
	fstat(fd, &st);
	out("fstat: reg=%s perm=%04o size=%ld nlink=%lu uid=%u\n", S_ISREG(st.st_mode) ? "yes" : "no",
	    (unsigned)(st.st_mode & 07777), (long)st.st_size, (unsigned long)st.st_nlink, (unsigned)st.st_uid);
	int fl = fcntl(fd, F_GETFL);
	out("F_GETFL: accmode=%d\n", fl & O_ACCMODE);
	out("FD_CLOEXEC: %d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	CHECK_RET("write 100", write(fd, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr", 100));
	CHECK_RET("offset", lseek(fd, 0, SEEK_CUR));
	fstat(fd, &st);
	out("size after write: %ld\n", (long)st.st_size);
	CHECK_RET("lseek 0", lseek(fd, 0, SEEK_SET));
	memset(buf, 0, sizeof buf);
	CHECK_RET("read 10", read(fd, buf, 10));
	out("data: \"%s\"\n", buf);
	CHECK_RET("pread 5 at 95", pread(fd, buf, 5, 95));
	CHECK_RET("pread at EOF", pread(fd, buf, 5, 100));
	CHECK_RET("SEEK_END", lseek(fd, 0, SEEK_END));
	CHECK_RET("ftruncate 8192", ftruncate(fd, 8192));
	fstat(fd, &st);
	out("size after ftruncate: %ld\n", (long)st.st_size);
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 100, 5000);
	int zero = 1;
	for (int i = 0; i < 100; i++)
		zero &= buf[i] == 0;
	YESNO("extension reads as zeros", zero);
	CHECK_RET("ftruncate 50", ftruncate(fd, 50));
	CHECK_RET("read past the new end", pread(fd, buf, 10, 60));

	/* MAP_SHARED: stores show up in read(), writes show up in the mapping */
	ftruncate(fd, 4096);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	YESNO("mmap MAP_SHARED", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		YESNO("mapping shows the data", memcmp(m, "0123456789", 10) == 0);
		memcpy(m + 200, "stored", 6);
		memset(buf, 0, sizeof buf);
		pread(fd, buf, 6, 200);
		out("read() sees the store: \"%s\"\n", buf);
		pwrite(fd, "WRITE", 5, 300);
		YESNO("the mapping sees the write", memcmp(m + 300, "WRITE", 5) == 0);
		char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		YESNO("a second mapping aliases the first", m2 != MAP_FAILED && memcmp(m2 + 200, "stored", 6) == 0);
		munmap(m2, 4096);
		char *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		pv[0] = 'P';
		pread(fd, buf, 1, 0);
		YESNO("MAP_PRIVATE store stays private", buf[0] == '0' && m[0] == '0');
		munmap(pv, 4096);
		munmap(m, 4096);
	}

	int d = dup(fd);
	lseek(fd, 0, SEEK_SET);
	read(fd, buf, 3);
	CHECK_RET("dup shares the offset", lseek(d, 0, SEEK_CUR));
	close(d);
	close(fd);

	/* flags */
	fd = mfd("cloexec", MFD_CLOEXEC);
	out("MFD_CLOEXEC: FD_CLOEXEC=%d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
	fd = mfd("", 0);
	YESNO("empty name is fine", fd >= 0);
	close(fd);
	char name[300];
	memset(name, 'n', sizeof name);
	name[249] = 0;
	fd = mfd(name, 0);
	YESNO("249-byte name", fd >= 0);
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	CHECK_RET("250-byte name", mfd(name, 0));
	CHECK_RET("bad flags 0x100", mfd("x", 0x100));
	CHECK_RET("bad flags 0x80000000", mfd("x", 0x80000000U));
	CHECK_RET("NULL name", mfd(NULL, 0));
	CHECK_RET("unmapped name", mfd(unmapped_page(), 0));
	fd = mfd("two", 0);
	int fd2 = mfd("two", 0);
	write(fd, "first", 5);
	struct stat a, b;
	fstat(fd, &a);
	fstat(fd2, &b);
	YESNO("same name, different files", a.st_ino != b.st_ino && b.st_size == 0);
	close(fd);
	close(fd2);
	return 0;
}
