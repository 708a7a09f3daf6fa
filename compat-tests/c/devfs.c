/*
 * devfs: the standard character devices (/dev/null, zero, full, random,
 * urandom: types, device numbers, permissions, read/write/lseek/mmap
 * behaviour) and the /dev/std{in,out,err} and /dev/fd links. /dev/tty is
 * left out: whether the host run has a controlling terminal varies.
 */
#include "fs.h"
#include <poll.h>
#include <sys/sysmacros.h>

static void dev(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		out("%s: stat errno=%s\n", path, errname(errno));
		return;
	}
	out("%s: %s %u:%u perm=%04o size=%ld\n", path, ftype(st.st_mode), major(st.st_rdev), minor(st.st_rdev),
	    (unsigned)(st.st_mode & 07777), (long)st.st_size);
}

static int all(const char *b, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return 0;
	return 1;
}

int main(void)
{
	char buf[4096];
	static char big[1 << 20];
	umask(022);
	const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
		dev(devs[i]);
	struct stat st;
	stat("/dev", &st);
	out("/dev: %s\n", ftype(st.st_mode));

	/* /dev/null */
	int fd = open("/dev/null", O_RDWR);
	YESNO("open /dev/null O_RDWR", fd >= 0);
	CHECK_RET("read /dev/null", read(fd, buf, sizeof buf));
	CHECK_RET("write 5 to /dev/null", write(fd, "hello", 5));
	CHECK_RET("write 1 MiB to /dev/null", write(fd, big, sizeof big));
	CHECK_RET("write from an unmapped buffer to /dev/null", write(fd, unmapped_page(), 5));
	CHECK_RET("read into an unmapped buffer from /dev/null", read(fd, unmapped_page(), 5));
	CHECK_RET("lseek /dev/null 100", lseek(fd, 100, SEEK_SET));
	CHECK_RET("lseek /dev/null SEEK_END", lseek(fd, 0, SEEK_END));
	CHECK_RET("pread /dev/null", pread(fd, buf, 10, 0));
	CHECK_RET("pwrite /dev/null", pwrite(fd, "x", 1, 1000));
	CHECK_RET("ftruncate /dev/null", ftruncate(fd, 0));
	CHECK_RET("fsync /dev/null", fsync(fd));
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	CHECK_RET("poll /dev/null", poll(&p, 1, 0));
	out("revents: in=%d out=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
	close(fd);
	CHECK_RET("O_DIRECTORY on /dev/null", open("/dev/null", O_RDONLY | O_DIRECTORY));
	fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	YESNO("O_CREAT|O_TRUNC on /dev/null works", fd >= 0);
	close(fd);
	dev("/dev/null");
	CHECK_RET("O_CREAT|O_EXCL on /dev/null", open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0644));

	/* /dev/zero */
	fd = open("/dev/zero", O_RDWR);
	memset(buf, 'x', sizeof buf);
	CHECK_RET("read 4096 from /dev/zero", read(fd, buf, sizeof buf));
	YESNO("all zeros", all(buf, sizeof buf, 0));
	CHECK_RET("read 1 MiB from /dev/zero", read(fd, big, sizeof big));
	CHECK_RET("write to /dev/zero", write(fd, "abc", 3));
	CHECK_RET("read 0 bytes", read(fd, buf, 0));
	CHECK_RET("read into an unmapped buffer", read(fd, unmapped_page(), 10));
	CHECK_RET("lseek /dev/zero", lseek(fd, 12345, SEEK_SET));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	YESNO("mmap /dev/zero MAP_PRIVATE", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		YESNO("mapping reads zeros", all(m, 8192, 0));
		m[100] = 'w';
		YESNO("and is writable", m[100] == 'w');
		munmap(m, 8192);
	}
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	YESNO("mmap /dev/zero MAP_SHARED", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		m[0] = 1;
		munmap(m, 8192);
	}
	close(fd);

	/* /dev/full */
	fd = open("/dev/full", O_RDWR);
	CHECK_RET("write to /dev/full", write(fd, "x", 1));
	CHECK_RET("write 0 bytes to /dev/full", write(fd, "x", 0));
	memset(buf, 'x', 100);
	CHECK_RET("read /dev/full", read(fd, buf, 100));
	YESNO("zeros", all(buf, 100, 0));
	CHECK_RET("lseek /dev/full", lseek(fd, 10, SEEK_SET));
	close(fd);

	/* random */
	fd = open("/dev/urandom", O_RDONLY);
	char r1[64], r2[64];
	CHECK_RET("read 64 from /dev/urandom", read(fd, r1, 64));
	CHECK_RET("read 64 more", read(fd, r2, 64));
	YESNO("different bytes", memcmp(r1, r2, 64) != 0);
	CHECK_RET("read 1 MiB from /dev/urandom", read(fd, big, sizeof big));
	CHECK_RET("read 0", read(fd, r1, 0));
	CHECK_RET("read into an unmapped buffer", read(fd, unmapped_page(), 16));
	close(fd);
	fd = open("/dev/random", O_RDONLY | O_NONBLOCK);
	CHECK_RET("read 16 from /dev/random (O_NONBLOCK, initialized pool)", read(fd, r1, 16));
	p = (struct pollfd){fd, POLLIN, 0};
	CHECK_RET("poll /dev/random", poll(&p, 1, 0));
	close(fd);
	fd = open("/dev/urandom", O_WRONLY);
	CHECK_RET("write to /dev/urandom (mixes in, as root)", write(fd, "entropy?", 8));
	close(fd);

	/* the standard links */
	const char *links[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd"};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		char t[256];
		long n = readlink(links[i], t, sizeof t - 1);
		if (n < 0)
			out("readlink %s: errno=%s\n", links[i], errname(errno));
		else {
			t[n] = 0;
			out("readlink %s: \"%s\"\n", links[i], t);
		}
	}
	stat("/dev/stdin", &st);
	out("stat /dev/stdin (follows to the runner's pipe): %s\n", ftype(st.st_mode));
	fd = open("/dev/stdout", O_WRONLY);
	YESNO("open /dev/stdout", fd >= 0);
	const char *line = "written through /dev/stdout\n";
	CHECK_RET("write", write(fd, line, strlen(line)));
	close(fd);
	fd = open("/dev/fd/1", O_WRONLY);
	line = "written through /dev/fd/1\n";
	CHECK_RET("write", write(fd, line, strlen(line)));
	close(fd);
	CHECK_RET("open /dev/fd/99 (not open)", open("/dev/fd/99", O_RDONLY));
	CHECK_RET("open /dev/nonexistent", open("/dev/nonexistent-compat", O_RDONLY));

	/* listing */
	DIR *d = opendir("/dev");
	int null = 0, zero = 0, full = 0, urandom = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		null |= strcmp(e->d_name, "null") == 0 && e->d_type == DT_CHR;
		zero |= strcmp(e->d_name, "zero") == 0 && e->d_type == DT_CHR;
		full |= strcmp(e->d_name, "full") == 0 && e->d_type == DT_CHR;
		urandom |= strcmp(e->d_name, "urandom") == 0 && e->d_type == DT_CHR;
	}
	if (d)
		closedir(d);
	YESNO("/dev lists null, zero, full, urandom as DT_CHR", null && zero && full && urandom);
	return 0;
}
