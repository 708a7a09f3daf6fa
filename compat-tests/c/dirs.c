/*
 * dirs: mkdir/mkdirat/rmdir, getdents64 (names printed sorted: the order
 * differs between file systems), rename/renameat/renameat2, chdir/fchdir/
 * getcwd, unlink/unlinkat, in a scratch directory.
 */
#include "fs.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

struct lde {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static const char *dtype(unsigned char t)
{
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_FIFO: return "fifo";
	case DT_CHR: return "chr";
	case DT_UNKNOWN: return "unknown";
	default: return "other";
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* All entries of an open directory through getdents64 with a buffer of
 * `bufsize`, sorted, "name:type" joined by spaces. Returns the count, or -1
 * (and prints the errno) on error. `calls` gets the number of non-empty calls. */
static long list_dir(int fd, size_t bufsize, char *outbuf, size_t outsize, int *calls)
{
	char *names[512];
	long n = 0;
	char *buf = malloc(bufsize);
	*calls = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsize);
		if (r < 0) {
			int e = errno;
			free(buf);
			out("getdents64 failed: errno=%s\n", errname(e));
			return -1;
		}
		if (r == 0)
			break;
		(*calls)++;
		for (long off = 0; off < r;) {
			struct lde *e = (struct lde *)(buf + off);
			if (n < 512) {
				size_t len = strlen(e->name);
				names[n] = malloc(len + 16);
				snprintf(names[n], len + 16, "%s:%s", e->name, dtype(e->type));
				n++;
			}
			off += e->reclen;
		}
	}
	free(buf);
	qsort(names, n, sizeof names[0], cmp);
	outbuf[0] = 0;
	size_t used = 0;
	for (long i = 0; i < n; i++) {
		int w = snprintf(outbuf + used, outsize - used, "%s%s", i ? " " : "", names[i]);
		if (w > 0 && used + w < outsize)
			used += w;
		free(names[i]);
	}
	return n;
}

static void show_dir(const char *name, const char *path)
{
	char listing[8192];
	int calls;
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		out("%s: open errno=%s\n", name, errname(errno));
		return;
	}
	long n = list_dir(fd, 4096, listing, sizeof listing, &calls);
	if (n >= 0)
		out("%s: %ld entries: %s\n", name, n, listing);
	close(fd);
}

static void making(void)
{
	show_mode("mode before anything", scratch, 0);
	CHECK_RET("mkdir d 0755", mkdir(P("d"), 0755));
	show_mode("d", P("d"), 0);
	CHECK_RET("mkdir d again", mkdir(P("d"), 0755));
	CHECK_RET("mkdir in a missing parent", mkdir(P("missing/x"), 0755));
	put_file(P("file"), "data", 4);
	CHECK_RET("mkdir over a file", mkdir(P("file"), 0755));
	CHECK_RET("mkdir under a file", mkdir(P("file/x"), 0755));
	CHECK_RET("mkdir empty path", mkdir("", 0755));
	CHECK_RET("mkdir NULL path", syscall(SYS_mkdir, NULL, 0755));
	CHECK_RET("mkdir with a trailing slash", mkdir(P("d2/"), 0755));
	CHECK_RET("mkdir with two trailing slashes", mkdir(P("d3//"), 0755));
	CHECK_RET("mkdir 0700", mkdir(P("d4"), 0700));
	show_mode("d4", P("d4"), 0);
	CHECK_RET("mkdir 07777 keeps sticky, drops nothing else", mkdir(P("d5"), 07777));
	show_mode("d5", P("d5"), 0);
	CHECK_RET("mkdir \".\" (exists)", mkdir(P("d/."), 0755));
	CHECK_RET("mkdir \"..\" (exists)", mkdir(P("d/.."), 0755));
	CHECK_RET("mkdir /", mkdir("/", 0755));
	int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
	CHECK_RET("mkdirat(dirfd, \"sub\")", mkdirat(dfd, "sub", 0751));
	show_mode("d/sub", P("d/sub"), 0);
	CHECK_RET("mkdirat(dirfd, \"sub\") again", mkdirat(dfd, "sub", 0751));
	CHECK_RET("mkdirat bad fd", mkdirat(1000, "x", 0755));
	int ffd = open(P("file"), O_RDONLY);
	CHECK_RET("mkdirat(file fd, \"x\")", mkdirat(ffd, "x", 0755));
	CHECK_RET("mkdirat(file fd, absolute)", mkdirat(ffd, P("abs"), 0755));
	close(ffd);
	CHECK_RET("mkdirat(AT_FDCWD, relative)", mkdirat(AT_FDCWD, R("rel"), 0755));
	YESNO("relative to / landed in scratch", exists(P("rel")));
	close(dfd);
}

static void removing(void)
{
	CHECK_RET("rmdir non-empty", rmdir(P("d")));
	CHECK_RET("rmdir a file", rmdir(P("file")));
	CHECK_RET("rmdir missing", rmdir(P("missing")));
	CHECK_RET("rmdir through a file", rmdir(P("file/x")));
	CHECK_RET("rmdir \"d/.\"", rmdir(P("d/.")));
	CHECK_RET("rmdir \"d/sub/..\"", rmdir(P("d/sub/..")));
	CHECK_RET("rmdir /", rmdir("/"));
	CHECK_RET("rmdir empty path", rmdir(""));
	CHECK_RET("rmdir d/sub with a trailing slash", rmdir(P("d/sub/")));
	YESNO("d/sub gone", !exists(P("d/sub")));
	CHECK_RET("rmdir d (empty now)", rmdir(P("d")));
	CHECK_RET("rmdir d again", rmdir(P("d")));

	/* unlink */
	put_file(P("u"), "u", 1);
	CHECK_RET("unlink a file", unlink(P("u")));
	CHECK_RET("unlink it again", unlink(P("u")));
	CHECK_RET("unlink a directory", unlink(P("d2")));
	CHECK_RET("unlink through a file", unlink(P("file/x")));
	CHECK_RET("unlink empty path", unlink(""));
	put_file(P("u"), "still readable", 14);
	int fd = open(P("u"), O_RDONLY);
	CHECK_RET("unlink an open file", unlink(P("u")));
	char buf[32] = {0};
	CHECK_RET("read after unlink", read(fd, buf, sizeof buf - 1));
	out("data: \"%s\"\n", buf);
	struct stat st;
	fstat(fd, &st);
	out("nlink after unlink: %lu\n", (unsigned long)st.st_nlink);
	close(fd);
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	put_file(P("v"), "v", 1);
	CHECK_RET("unlinkat(dirfd, \"v\", 0)", unlinkat(dfd, "v", 0));
	CHECK_RET("unlinkat(dirfd, \"d3\", 0)", unlinkat(dfd, "d3", 0));
	CHECK_RET("unlinkat(dirfd, \"d3\", AT_REMOVEDIR)", unlinkat(dfd, "d3", AT_REMOVEDIR));
	CHECK_RET("unlinkat(dirfd, \"file\", AT_REMOVEDIR)", unlinkat(dfd, "file", AT_REMOVEDIR));
	CHECK_RET("unlinkat bad flags", unlinkat(dfd, "file", 0x1));
	CHECK_RET("unlinkat bad fd", unlinkat(1000, "file", 0));
	mkdir(P("d6"), 0755);
	put_file(P("d6/x"), "x", 1);
	CHECK_RET("unlinkat AT_REMOVEDIR non-empty", unlinkat(dfd, "d6", AT_REMOVEDIR));
	CHECK_RET("unlinkat(dirfd, \".\", AT_REMOVEDIR)", unlinkat(dfd, ".", AT_REMOVEDIR));
	close(dfd);
}

static void listing(void)
{
	mkdir(P("ls"), 0755);
	show_dir("empty dir", P("ls"));
	put_file(P("ls/b"), "", 0);
	put_file(P("ls/a"), "", 0);
	put_file(P("ls/.hidden"), "", 0);
	mkdir(P("ls/sub"), 0755);
	symlink("a", P("ls/link"));
	show_dir("dir with entries", P("ls"));
	unlink(P("ls/b"));
	show_dir("after unlink b", P("ls"));

	int fd = open(P("ls"), O_RDONLY | O_DIRECTORY);
	char buf[4096], listing[8192];
	int calls;
	CHECK_RET("getdents64 count 1", syscall(SYS_getdents64, fd, buf, 1));
	CHECK_RET("getdents64 count 0", syscall(SYS_getdents64, fd, buf, 0));
	CHECK_RET("getdents64 unmapped buffer", syscall(SYS_getdents64, fd, unmapped_page(), 4096));
	CHECK_RET("getdents64 NULL buffer", syscall(SYS_getdents64, fd, NULL, 4096));
	long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
	YESNO("getdents64 returns bytes > 0", r > 0);
	struct lde *e = (struct lde *)buf;
	YESNO("reclen is 8-aligned", e->reclen % 8 == 0);
	YESNO("first reclen covers the name", e->reclen >= 19 + strlen(e->name) + 1);
	CHECK_RET("getdents64 at the end", syscall(SYS_getdents64, fd, buf, sizeof buf));
	CHECK_RET("and again", syscall(SYS_getdents64, fd, buf, sizeof buf));
	CHECK_RET("lseek the dir back to 0", lseek(fd, 0, SEEK_SET));
	long n = list_dir(fd, sizeof buf, listing, sizeof listing, &calls);
	out("after rewind: %ld entries: %s\n", n, listing);
	close(fd);
	int ffd = open(P("ls/a"), O_RDONLY);
	CHECK_RET("getdents64 on a file", syscall(SYS_getdents64, ffd, buf, sizeof buf));
	close(ffd);
	CHECK_RET("getdents64 bad fd", syscall(SYS_getdents64, 1000, buf, sizeof buf));
	int pfd = open(P("ls"), O_PATH);
	CHECK_RET("getdents64 on an O_PATH fd", syscall(SYS_getdents64, pfd, buf, sizeof buf));
	close(pfd);

	/* many entries, small buffer: several calls, nothing lost or repeated */
	mkdir(P("many"), 0755);
	for (int i = 0; i < 150; i++) {
		char name[64];
		snprintf(name, sizeof name, "many/entry-%03d-with-a-longer-name", i);
		put_file(P(name), "", 0);
	}
	fd = open(P("many"), O_RDONLY | O_DIRECTORY);
	n = list_dir(fd, 256, listing, sizeof listing, &calls);
	out("150 files through a 256-byte buffer: %ld entries\n", n);
	YESNO("needed more than one call", calls > 1);
	int dup_or_missing = 0;
	for (int i = 0; i < 150; i++) {
		char name[64];
		snprintf(name, sizeof name, "entry-%03d-with-a-longer-name:reg", i);
		char *p = strstr(listing, name);
		if (!p || strstr(p + 1, name))
			dup_or_missing++;
	}
	out("names missing or repeated: %d\n", dup_or_missing);
	close(fd);

	/* libc readdir agrees */
	DIR *d = opendir(P("ls"));
	int cnt = 0, dot = 0, dotdot = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		cnt++;
		dot += strcmp(de->d_name, ".") == 0;
		dotdot += strcmp(de->d_name, "..") == 0;
	}
	closedir(d);
	out("readdir: %d entries, . %d, .. %d\n", cnt, dot, dotdot);

	/* a directory removed while open */
	mkdir(P("gone"), 0755);
	fd = open(P("gone"), O_RDONLY | O_DIRECTORY);
	rmdir(P("gone"));
	CHECK_RET("getdents64 on a removed dir", syscall(SYS_getdents64, fd, buf, sizeof buf));
	CHECK_RET("openat in a removed dir with O_CREAT", openat(fd, "x", O_WRONLY | O_CREAT, 0644));
	CHECK_RET("mkdirat in a removed dir", mkdirat(fd, "x", 0755));
	close(fd);
}

static void renaming(void)
{
	char buf[64];
	struct stat st, st2;
	put_file(P("r1"), "one", 3);
	CHECK_RET("rename r1 -> r2", rename(P("r1"), P("r2")));
	YESNO("r1 gone, r2 there", !exists(P("r1")) && exists(P("r2")));
	put_file(P("r3"), "three", 5);
	stat(P("r2"), &st);
	CHECK_RET("rename r2 over r3", rename(P("r2"), P("r3")));
	stat(P("r3"), &st2);
	YESNO("r3 is r2's inode now", st.st_ino == st2.st_ino);
	get_file(P("r3"), buf, sizeof buf);
	out("r3 contents: \"%s\"\n", buf);
	CHECK_RET("rename to itself", rename(P("r3"), P("r3")));
	link(P("r3"), P("r3link"));
	CHECK_RET("rename between two links of one inode", rename(P("r3"), P("r3link")));
	YESNO("both names still there", exists(P("r3")) && exists(P("r3link")));
	CHECK_RET("rename missing", rename(P("missing"), P("x")));
	CHECK_RET("rename into a missing dir", rename(P("r3"), P("missing/x")));
	CHECK_RET("rename empty path", rename("", P("x")));

	mkdir(P("rd1"), 0755);
	mkdir(P("rd2"), 0755);
	mkdir(P("rd3"), 0755);
	put_file(P("rd3/f"), "f", 1);
	CHECK_RET("rename file over a dir", rename(P("r3"), P("rd1")));
	CHECK_RET("rename dir over a file", rename(P("rd1"), P("r3")));
	CHECK_RET("rename dir over a non-empty dir", rename(P("rd1"), P("rd3")));
	stat(P("rd1"), &st);
	CHECK_RET("rename dir over an empty dir", rename(P("rd1"), P("rd2")));
	stat(P("rd2"), &st2);
	YESNO("rd2 is rd1's inode now", st.st_ino == st2.st_ino && !exists(P("rd1")));
	CHECK_RET("rename dir into its own subdir", rename(P("rd3"), P("rd3/sub")));
	mkdir(P("rd3/inner"), 0755);
	CHECK_RET("rename dir into a deeper own subdir", rename(P("rd3"), P("rd3/inner/x")));
	CHECK_RET("rename dir with a trailing slash", rename(P("rd2/"), P("rd4/")));
	CHECK_RET("rename file with a trailing slash on the target", rename(P("r3"), P("r5/")));
	CHECK_RET("rename \"rd4/.\"", rename(P("rd4/."), P("rd5")));
	CHECK_RET("rename to \"rd4/..\"", rename(P("r3"), P("rd4/..")));
	CHECK_RET("rename a dir into another dir", rename(P("rd4"), P("rd3/moved")));
	stat(P("rd3"), &st);
	out("rd3 nlink after a subdir moved in: %lu\n", (unsigned long)st.st_nlink);
	int fd = open(P("rd3/moved/.."), O_RDONLY | O_DIRECTORY);
	fstat(fd, &st2);
	YESNO("\"..\" of the moved dir is its new parent", st.st_ino == st2.st_ino);
	close(fd);

	/* renameat, renameat2 */
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	int sub = open(P("rd3"), O_RDONLY | O_DIRECTORY);
	CHECK_RET("renameat across two dirfds", renameat(dfd, "r3", sub, "r3-moved"));
	YESNO("moved", exists(P("rd3/r3-moved")) && !exists(P("r3")));
	CHECK_RET("renameat bad fd", renameat(1000, "x", dfd, "y"));
	put_file(P("a"), "AAA", 3);
	put_file(P("b"), "BB", 2);
	CHECK_RET("renameat2 NOREPLACE over existing", syscall(SYS_renameat2, dfd, "a", dfd, "b", RENAME_NOREPLACE));
	CHECK_RET("renameat2 NOREPLACE to a new name", syscall(SYS_renameat2, dfd, "a", dfd, "c", RENAME_NOREPLACE));
	CHECK_RET("renameat2 EXCHANGE b <-> c", syscall(SYS_renameat2, dfd, "b", dfd, "c", RENAME_EXCHANGE));
	get_file(P("b"), buf, sizeof buf);
	out("b now: \"%s\"\n", buf);
	get_file(P("c"), buf, sizeof buf);
	out("c now: \"%s\"\n", buf);
	CHECK_RET("renameat2 EXCHANGE with a missing target", syscall(SYS_renameat2, dfd, "b", dfd, "nothing", RENAME_EXCHANGE));
	CHECK_RET("renameat2 EXCHANGE a file and a dir", syscall(SYS_renameat2, dfd, "b", dfd, "rd3", RENAME_EXCHANGE));
	show_mode("b after exchange", P("b"), 0);
	show_mode("rd3 after exchange", P("rd3"), 0);
	CHECK_RET("renameat2 NOREPLACE|EXCHANGE", syscall(SYS_renameat2, dfd, "b", dfd, "c", RENAME_NOREPLACE | RENAME_EXCHANGE));
	CHECK_RET("renameat2 unknown flag", syscall(SYS_renameat2, dfd, "b", dfd, "c", 0x100));
	CHECK_RET("renameat2 flags 0 (plain rename)", syscall(SYS_renameat2, dfd, "c", dfd, "c2", 0));
	CHECK_RET("renameat2 EXCHANGE into own subdir", syscall(SYS_renameat2, dfd, "b", sub, "moved", RENAME_EXCHANGE));
	close(sub);
	close(dfd);
}

static void cwd(void)
{
	char buf[4096], want[4096];
	CHECK_RET("chdir scratch/cw", (mkdir(P("cw"), 0755), chdir(P("cw"))));
	snprintf(want, sizeof want, "%s/cw", scratch);
	YESNO("getcwd is scratch/cw", getcwd(buf, sizeof buf) && strcmp(buf, want) == 0);
	long r = syscall(SYS_getcwd, buf, sizeof buf);
	YESNO("raw getcwd returns strlen+1", r == (long)strlen(want) + 1);
	put_file("rel", "relative", 8);
	YESNO("relative create lands in cwd", exists(P("cw/rel")));
	CHECK_RET("chdir ..", chdir(".."));
	YESNO("getcwd is scratch", getcwd(buf, sizeof buf) && strcmp(buf, scratch) == 0);
	CHECK_RET("chdir cw/../cw/.", chdir("cw/../cw/."));
	YESNO("getcwd normalized", getcwd(buf, sizeof buf) && strcmp(buf, want) == 0);
	CHECK_RET("chdir to a file", chdir("rel"));
	CHECK_RET("chdir missing", chdir("missing"));
	CHECK_RET("chdir empty", chdir(""));
	CHECK_RET("chdir NULL", syscall(SYS_chdir, NULL));
	CHECK_RET("getcwd size 1", syscall(SYS_getcwd, buf, 1));
	CHECK_RET("getcwd size 0", syscall(SYS_getcwd, buf, 0));
	YESNO("getcwd exact size works", syscall(SYS_getcwd, buf, strlen(want) + 1) == (long)strlen(want) + 1);
	CHECK_RET("getcwd one byte short", syscall(SYS_getcwd, buf, strlen(want)));
	CHECK_RET("getcwd unmapped buffer", syscall(SYS_getcwd, unmapped_page(), 4096));
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("fchdir to scratch", fchdir(dfd));
	YESNO("getcwd is scratch", getcwd(buf, sizeof buf) && strcmp(buf, scratch) == 0);
	int ffd = open(P("cw/rel"), O_RDONLY);
	CHECK_RET("fchdir to a file fd", fchdir(ffd));
	CHECK_RET("fchdir bad fd", fchdir(1000));
	close(ffd);
	int pfd = open(P("cw"), O_PATH);
	CHECK_RET("fchdir to an O_PATH dir fd", fchdir(pfd));
	YESNO("getcwd is scratch/cw", getcwd(buf, sizeof buf) && strcmp(buf, want) == 0);
	close(pfd);
	close(dfd);
	CHECK_RET("chdir /", chdir("/"));
	YESNO("getcwd is /", getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);
	CHECK_RET("chdir /..", chdir("/.."));
	YESNO("getcwd still /", getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);

	/* the cwd removed */
	mkdir(P("doomed"), 0755);
	chdir(P("doomed"));
	CHECK_RET("rmdir the cwd", rmdir(P("doomed")));
	CHECK_RET("raw getcwd in a removed dir", syscall(SYS_getcwd, buf, sizeof buf));
	CHECK_RET("create in a removed cwd", open("x", O_WRONLY | O_CREAT, 0644));
	CHECK_RET("chdir .. from a removed dir", chdir(".."));
	YESNO("back in scratch", getcwd(buf, sizeof buf) && strcmp(buf, scratch) == 0);
	chdir("/");
}

int main(void)
{
	scratch_setup("dirs");
	making();
	removing();
	listing();
	renaming();
	cwd();
	scratch_cleanup();
	return 0;
}
