/*
 * partial: user copies that fault partway through, as Linux answers them:
 * getrandom returns the bytes stored before the fault (EFAULT if none); a
 * pipe read gives EFAULT, leaves the bytes before the fault stored in the
 * buffer and consumes nothing; a pipe write gives EFAULT and writes nothing;
 * fixed-size structs are all or nothing. The runner feeds 64 bytes on stdin.
 */
#include "check.h"
#include <sys/uio.h>
#include <sys/utsname.h>

#define RW (PROT_READ | PROT_WRITE)

int main(void)
{
	/* [page A: rw][page B: unmapped] and [page C: rw][page D: read-only] */
	unsigned char *a = map_anon(NULL, 2 * PAGE, RW, 0);
	syscall(SYS_munmap, a + PAGE, PAGE);
	unsigned char *c = map_anon(NULL, 2 * PAGE, RW, 0);
	memset(c, 'c', 2 * PAGE);
	syscall(SYS_mprotect, c + PAGE, PAGE, PROT_READ);

	CHECK_RET("getrandom running off a mapping", syscall(SYS_getrandom, a + PAGE - 100, 200, 0));
	CHECK_RET("getrandom across rw->ro", syscall(SYS_getrandom, c + PAGE - 8, 16, 0));
	YESNO("read-only part unchanged", c[PAGE] == 'c');
	CHECK_RET("getrandom starting in the hole", syscall(SYS_getrandom, a + PAGE, 16, 0));

	/* pipe read: stdin holds 64 bytes */
	memset(a, 0, PAGE);
	CHECK_RET("read running off a mapping", read(0, a + PAGE - 10, 30));
	out("bytes landed: %.10s\n", (char *)a + PAGE - 10);
	CHECK_RET("read into read-only page after rw", read(0, c + PAGE - 6, 30));
	out("bytes landed: %.6s\n", (char *)c + PAGE - 6);
	unsigned char rest[128];
	CHECK_RET("read the rest", read(0, rest, sizeof rest));

	/* fixed-size struct: all or nothing */
	CHECK_RET("uname straddling a hole", syscall(SYS_uname, a + PAGE - 100));
	CHECK_RET("clock_gettime straddling a hole", syscall(SYS_clock_gettime, 0, a + PAGE - 8));

	/* writes to stderr from a buffer that runs off a mapping (stderr is not compared) */
	memset(a, 'w', PAGE);
	CHECK_RET("write running off a mapping", write(2, a + PAGE - 10, 30));
	struct iovec iov[2] = {{a, 5}, {a + PAGE, 5}};
	CHECK_RET("writev: good segment then unmapped", writev(2, iov, 2));
	return 0;
}
