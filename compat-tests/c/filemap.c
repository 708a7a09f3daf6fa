/*
 * filemap: mmap of regular files in a scratch directory. MAP_PRIVATE reads
 * the file and keeps its stores private (MADV_DONTNEED drops them);
 * MAP_SHARED stores reach the file (read() after msync and after munmap);
 * offsets, the zero-filled tail of the last page, access-mode errors
 * (EACCES), directories, pipes and O_PATH fds, msync errors. Touching pages
 * beyond EOF (SIGBUS) is not tried. How a mapping and write() see each
 * other without msync is in filemap_coherence.
 */
#include "fs.h"

static char pattern(long i)
{
	return (char)('a' + (i * 7 + i / 4096) % 26);
}

static int matches(const char *m, long off, long len)
{
	for (long i = 0; i < len; i++)
		if (m[i] != pattern(off + i))
			return 0;
	return 1;
}

static void *map(size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static void mapres(const char *name, void *m)
{
	if (m == MAP_FAILED)
		out("%s: errno=%s\n", name, errname(errno));
	else
		out("%s: mapped\n", name);
}

int main(void)
{
	char buf[64];
	scratch_setup("filemap");
	const char *f = P("f");
	static char data[3 * 4096 + 100];
	for (long i = 0; i < (long)sizeof data; i++)
		data[i] = pattern(i);
	put_file(f, data, sizeof data);

	/* MAP_PRIVATE read-only */
	int fd = open(f, O_RDONLY);
	char *m = map(4 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	mapres("MAP_PRIVATE PROT_READ of an O_RDONLY fd", m);
	YESNO("contents match the file", matches(m, 0, sizeof data));
	int tail0 = 1;
	for (long i = (long)sizeof data; i < 4 * 4096; i++)
		tail0 &= m[i] == 0;
	YESNO("the rest of the last page reads as zeros", tail0);
	munmap(m, 4 * 4096);
	m = map(4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	YESNO("offset 4096 maps the second page", m != MAP_FAILED && matches(m, 4096, 4096));
	munmap(m, 4096);
	m = map(4096, PROT_READ, MAP_PRIVATE, fd, 3 * 4096);
	YESNO("offset of the last, partial page", m != MAP_FAILED && matches(m, 3 * 4096, 100) && m[100] == 0);
	munmap(m, 4096);
	mapres("offset beyond EOF (mapping is allowed)", m = map(4096, PROT_READ, MAP_PRIVATE, fd, 100 * 4096));
	if (m != MAP_FAILED)
		munmap(m, 4096);
	mapres("offset not page-aligned", map(4096, PROT_READ, MAP_PRIVATE, fd, 100));
	mapres("length 0", map(0, PROT_READ, MAP_PRIVATE, fd, 0));
	mapres("negative offset", map(4096, PROT_READ, MAP_PRIVATE, fd, -4096));

	/* MAP_PRIVATE writable: copy-on-write */
	m = map(2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	mapres("MAP_PRIVATE PROT_WRITE of an O_RDONLY fd", m);
	memcpy(m + 10, "PRIVATE", 7);
	YESNO("the mapping has the store", memcmp(m + 10, "PRIVATE", 7) == 0);
	pread(fd, buf, 7, 10);
	YESNO("the file does not", memcmp(buf, "PRIVATE", 7) != 0 && matches(buf, 10, 7));
	CHECK_RET("MADV_DONTNEED", madvise(m, 2 * 4096, MADV_DONTNEED));
	YESNO("after MADV_DONTNEED the file's data is back", matches(m, 0, 2 * 4096));
	munmap(m, 2 * 4096);
	m = map(4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_RET("mprotect PROT_WRITE on a private mapping of an O_RDONLY fd", mprotect(m, 4096, PROT_READ | PROT_WRITE));
	munmap(m, 4096);

	/* access modes */
	mapres("MAP_SHARED PROT_WRITE of an O_RDONLY fd", map(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	m = map(4096, PROT_READ, MAP_SHARED, fd, 0);
	mapres("MAP_SHARED PROT_READ of an O_RDONLY fd", m);
	CHECK_RET("mprotect it to PROT_WRITE", mprotect(m, 4096, PROT_READ | PROT_WRITE));
	munmap(m, 4096);
	close(fd);
	fd = open(f, O_WRONLY);
	mapres("MAP_SHARED PROT_READ of an O_WRONLY fd", map(4096, PROT_READ, MAP_SHARED, fd, 0));
	mapres("MAP_PRIVATE PROT_READ of an O_WRONLY fd", map(4096, PROT_READ, MAP_PRIVATE, fd, 0));
	mapres("MAP_SHARED PROT_WRITE of an O_WRONLY fd", map(4096, PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	fd = open(f, O_RDWR | O_APPEND);
	m = map(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mapres("MAP_SHARED PROT_WRITE of an O_RDWR|O_APPEND fd", m);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	close(fd);
	fd = open(f, O_PATH);
	mapres("an O_PATH fd", map(4096, PROT_READ, MAP_PRIVATE, fd, 0));
	close(fd);
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	mapres("a directory", map(4096, PROT_READ, MAP_PRIVATE, fd, 0));
	mapres("a directory, MAP_SHARED", map(4096, PROT_READ, MAP_SHARED, fd, 0));
	close(fd);
	int p[2];
	pipe(p);
	mapres("a pipe", map(4096, PROT_READ, MAP_PRIVATE, p[0], 0));
	close(p[0]);
	close(p[1]);
	mapres("a closed fd", map(4096, PROT_READ, MAP_PRIVATE, p[0], 0));
	mapres("fd -1 without MAP_ANONYMOUS", map(4096, PROT_READ, MAP_PRIVATE, -1, 0));

	/* MAP_SHARED writable */
	fd = open(f, O_RDWR);
	m = map(2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mapres("MAP_SHARED PROT_WRITE of an O_RDWR fd", m);
	memcpy(m + 100, "SHARED", 6);
	CHECK_RET("msync MS_SYNC", msync(m, 2 * 4096, MS_SYNC));
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 6, 100);
	out("read() after msync: \"%s\"\n", buf);
	memcpy(m + 4096 + 5, "SECOND", 6);
	CHECK_RET("msync MS_ASYNC", msync(m, 2 * 4096, MS_ASYNC));
	CHECK_RET("msync MS_INVALIDATE", msync(m, 4096, MS_INVALIDATE));
	CHECK_RET("msync MS_SYNC|MS_ASYNC", msync(m, 4096, MS_SYNC | MS_ASYNC));
	CHECK_RET("msync unaligned", msync(m + 1, 4096, MS_SYNC));
	CHECK_RET("msync bad flag", msync(m, 4096, 0x100));
	CHECK_RET("msync length 0", msync(m, 0, MS_SYNC));
	memcpy(m + 4096 + 50, "UNMAP", 5);
	CHECK_RET("munmap", munmap(m, 2 * 4096));
	CHECK_RET("msync an unmapped range", msync(m, 4096, MS_SYNC));
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 6, 4096 + 5);
	out("read() after MS_ASYNC and munmap: \"%s\"\n", buf);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 5, 4096 + 50);
	out("read() of a store made just before munmap: \"%s\"\n", buf);
	CHECK_RET("file size unchanged", size_of(f));

	/* the mapping outlives the fd and the name */
	m = map(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	unlink(f);
	memcpy(m, "AFTER", 5);
	YESNO("mapping still usable after close and unlink", memcmp(m, "AFTER", 5) == 0 && matches(m + 5, 5, 95));
	munmap(m, 4096);

	/* a new file extended with ftruncate, then written through a mapping */
	const char *g = P("g");
	fd = open(g, O_RDWR | O_CREAT, 0644);
	ftruncate(fd, 8192);
	m = map(8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	YESNO("new mapping of a hole reads as zeros", m[0] == 0 && m[8191] == 0);
	m[8191] = 'z';
	munmap(m, 8192);
	pread(fd, buf, 1, 8191);
	YESNO("store at the last byte reached the file", buf[0] == 'z');
	CHECK_RET("size", size_of(g));
	close(fd);

	/* MAP_FIXED over part of a file mapping */
	fd = open(P("g"), O_RDONLY);
	m = map(2 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	void *a = map_anon(m + 4096, 4096, PROT_READ | PROT_WRITE, MAP_FIXED);
	YESNO("MAP_FIXED anonymous over the second page", a == m + 4096 && ((char *)a)[4095] == 0);
	munmap(m, 2 * 4096);
	close(fd);
	scratch_cleanup();
	return 0;
}
