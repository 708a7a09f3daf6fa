/*
 * memfd_seals: F_ADD_SEALS/F_GET_SEALS on memfds: MFD_ALLOW_SEALING,
 * F_SEAL_SEAL/SHRINK/GROW/WRITE and what each forbids, writable shared
 * mappings vs F_SEAL_WRITE.
 */
#include "check.h"
#include <fcntl.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

static long mfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

int main(void)
{
	int fd = mfd("unsealable", 0);
	CHECK_RET("F_GET_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_GET_SEALS));
	CHECK_RET("F_ADD_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	close(fd);

	fd = mfd("sealable", MFD_ALLOW_SEALING);
	CHECK_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	write(fd, "0123456789", 10);
	CHECK_RET("F_ADD_SEALS SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	CHECK_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	CHECK_RET("ftruncate smaller", ftruncate(fd, 5));
	CHECK_RET("ftruncate larger", ftruncate(fd, 20));
	CHECK_RET("ftruncate same", ftruncate(fd, 20));
	CHECK_RET("F_ADD_SEALS GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	CHECK_RET("ftruncate larger", ftruncate(fd, 30));
	CHECK_RET("write inside", pwrite(fd, "ab", 2, 0));
	CHECK_RET("write past the end", pwrite(fd, "ab", 2, 19));
	CHECK_RET("write at the end", pwrite(fd, "ab", 2, 20));
	CHECK_RET("fallocate past the end", fallocate(fd, 0, 0, 100));
	CHECK_RET("F_ADD_SEALS bad bit", fcntl(fd, F_ADD_SEALS, 0x1000));
	CHECK_RET("F_ADD_SEALS WRITE", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	CHECK_RET("write", pwrite(fd, "x", 1, 0));
	CHECK_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	out("writable MAP_SHARED after F_SEAL_WRITE: %s\n", m == MAP_FAILED ? errname(errno) : "mapped");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	out("read-only MAP_SHARED: %s\n", m == MAP_FAILED ? errname(errno) : "mapped");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	out("writable MAP_PRIVATE: %s\n", m == MAP_FAILED ? errname(errno) : "mapped");
	CHECK_RET("F_ADD_SEALS SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	CHECK_RET("F_ADD_SEALS after SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	CHECK_RET("F_ADD_SEALS 0 after SEAL", fcntl(fd, F_ADD_SEALS, 0));
	CHECK_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	close(fd);

	/* a writable shared mapping blocks F_SEAL_WRITE */
	fd = mfd("mapped", MFD_ALLOW_SEALING);
	ftruncate(fd, 4096);
	char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_RET("F_SEAL_WRITE with a writable mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(w, 4096);
	CHECK_RET("F_SEAL_WRITE after munmap", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	close(fd);

	/* seals on an O_RDONLY reopen need write access: use a pipe for the error path */
	int p[2];
	pipe(p);
	CHECK_RET("F_GET_SEALS on a pipe", fcntl(p[0], F_GET_SEALS));
	CHECK_RET("F_ADD_SEALS on a pipe", fcntl(p[1], F_ADD_SEALS, F_SEAL_WRITE));
	return 0;
}
