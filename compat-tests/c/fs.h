/*
 * fs.h: helpers for the file-system programs (files, dirs, links, ...) on top
 * of check.h.
 *
 * Every such program works in its own scratch directory,
 * /tmp/compat-<program>-<pid>: the musl and glibc builds of a program run on
 * the host at the same time, so the name must differ between processes. The
 * path is never printed (it holds the pid); checks print relations instead.
 * scratch_setup() also sets the umask to 022, since the host runner inherits
 * whatever umask its caller had.
 */
#ifndef COMPAT_FS_H
#define COMPAT_FS_H

#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

static char scratch[256];

/* Remove a tree (best effort, no output): used for the scratch directory. */
static inline void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			size_t a = strlen(path), b = strlen(e->d_name);
			char *sub = malloc(a + b + 2);
			if (!sub)
				continue;
			memcpy(sub, path, a);
			sub[a] = '/';
			memcpy(sub + a + 1, e->d_name, b + 1);
			rm_rf(sub);
			free(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Creates the scratch directory or exits with status 97 (after one line). */
static inline void scratch_setup(const char *program)
{
	umask(022);
	snprintf(scratch, sizeof scratch, "/tmp/compat-%s-%ld", program, (long)getpid());
	rm_rf(scratch);
	if (mkdir(scratch, 0755) != 0) {
		out("scratch directory: mkdir failed errno=%s\n", errname(errno));
		_exit(97);
	}
}

static inline void scratch_cleanup(void)
{
	if (chdir("/") != 0)
		out("cleanup: chdir / failed\n");
	rm_rf(scratch);
	struct stat st;
	if (lstat(scratch, &st) == 0)
		out("cleanup: scratch directory still there\n");
}

/* "<scratch>/<rel>", a new string each time (never freed: these are short programs). */
static inline const char *P(const char *rel)
{
	size_t a = strlen(scratch), b = strlen(rel);
	char *p = malloc(a + b + 2);
	if (!p)
		_exit(96);
	memcpy(p, scratch, a);
	p[a] = '/';
	memcpy(p + a + 1, rel, b + 1);
	return p;
}

/* The scratch path relative to the working directory "/" (no leading '/'). */
static inline const char *R(const char *rel)
{
	return P(rel) + 1;
}

/* `name: ok` (the value is an fd or otherwise not printed) or the errno.
 * Returns the result, so `int fd = okfd("open", open(...));`. */
static inline long okfd(const char *name, long r)
{
	int e = errno;
	if (r < 0)
		out("%s: ret=-1 errno=%s\n", name, errname(e));
	else
		out("%s: ok\n", name);
	return r;
}

/* `name: ret=<r>` or the errno; returns the result. */
static inline long val(const char *name, long r)
{
	int e = errno;
	if (r == -1)
		out("%s: ret=-1 errno=%s\n", name, errname(e));
	else if (r > 0xffffffffL || r < -1)
		out("%s: ret=<large>\n", name);
	else
		out("%s: ret=%ld\n", name, r);
	return r;
}

static inline const char *ftype(mode_t m)
{
	if (S_ISREG(m)) return "reg";
	if (S_ISDIR(m)) return "dir";
	if (S_ISLNK(m)) return "lnk";
	if (S_ISFIFO(m)) return "fifo";
	if (S_ISCHR(m)) return "chr";
	if (S_ISBLK(m)) return "blk";
	if (S_ISSOCK(m)) return "sock";
	return "none";
}

/* Create (or truncate) a file with the given contents; -1 on any failure. */
static inline int put_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

/* Read a whole (small) file into buf, NUL-terminated; the length or -1. */
static inline long get_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return (long)n;
}

/* `name: <type> <perm>` of lstat (follow=0) or stat (follow=1), or the errno. */
static inline void show_mode(const char *name, const char *path, int follow)
{
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);
	int e = errno;
	if (r != 0)
		out("%s: ret=-1 errno=%s\n", name, errname(e));
	else
		out("%s: %s %04o\n", name, ftype(st.st_mode), (unsigned)(st.st_mode & 07777));
}

/* Size of a file by path, or -1. */
static inline long size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Do two paths name the same inode (stat, following links)? */
static inline int same_file(const char *a, const char *b)
{
	struct stat x, y;
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static inline int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* FD_CLOEXEC of an fd: 0/1, or -1 for a bad fd. */
static inline int cloexec_of(int fd)
{
	int f = fcntl(fd, F_GETFD);
	return f < 0 ? -1 : (f & FD_CLOEXEC) ? 1 : 0;
}

#endif
