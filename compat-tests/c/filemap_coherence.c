/*
 * filemap_coherence: Linux's unified page cache, as programs see it without
 * msync: a MAP_SHARED store is visible to read() at once, write() is
 * visible in an existing MAP_SHARED mapping, two shared mappings alias, a
 * MAP_PRIVATE page sees later write()s until the process stores to it
 * (copy-on-write), and ftruncate is seen by the mappings (shrinking even
 * drops private copies of the pages beyond the new end).
 */
#include "fs.h"

int main(void)
{
	char buf[64];
	scratch_setup("filemap_coherence");
	const char *f = P("f");
	static char data[2 * 4096];
	memset(data, '.', sizeof data);
	put_file(f, data, sizeof data);
	int fd = open(f, O_RDWR);

	char *s = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *s2 = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *pv = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	YESNO("three mappings", s != MAP_FAILED && s2 != MAP_FAILED && pv != MAP_FAILED);
	if (s == MAP_FAILED || s2 == MAP_FAILED || pv == MAP_FAILED)
		return 1;
	YESNO("private mapping reads the file", pv[0] == '.' && pv[4096] == '.');

	memcpy(s, "STORE", 5);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 5, 0);
	out("read() right after a shared store: \"%s\"\n", buf);
	YESNO("the other shared mapping sees it", memcmp(s2, "STORE", 5) == 0);
	YESNO("the private mapping sees it too (page not copied yet)", memcmp(pv, "STORE", 5) == 0);

	pwrite(fd, "WRITE", 5, 100);
	YESNO("a shared mapping sees write()", memcmp(s + 100, "WRITE", 5) == 0);
	YESNO("an untouched private page sees write()", memcmp(pv + 100, "WRITE", 5) == 0);

	pv[4096] = 'p';
	pwrite(fd, "LATER", 5, 4096 + 10);
	YESNO("a copied private page does not see later write()s", memcmp(pv + 4096 + 10, "LATER", 5) != 0);
	YESNO("and keeps its own store", pv[4096] == 'p');
	YESNO("the shared mappings do see it", memcmp(s + 4096 + 10, "LATER", 5) == 0 && memcmp(s2 + 4096 + 10, "LATER", 5) == 0);
	pread(fd, buf, 1, 4096);
	YESNO("the private store never reached the file", buf[0] == '.');

	s2[200] = 'x';
	YESNO("stores through one shared mapping appear in the other", s[200] == 'x');

	/* ftruncate is seen: the first page keeps its data, shrinking zeroes the tail of a page */
	CHECK_RET("ftruncate to 50", ftruncate(fd, 50));
	YESNO("bytes before the new EOF kept", memcmp(s, "STORE", 5) == 0);
	YESNO("bytes after the new EOF in the same page read as zeros", s[100] == 0 && s[200] == 0);
	CHECK_RET("ftruncate back to 8192", ftruncate(fd, 8192));
	YESNO("the second page is a fresh hole", s[4096] == 0 && s[4096 + 10] == 0);
	YESNO("truncation dropped the private copy beyond EOF too", pv[4096] == 0);

	munmap(s, 2 * 4096);
	munmap(s2, 2 * 4096);
	munmap(pv, 2 * 4096);
	close(fd);
	scratch_cleanup();
	return 0;
}
