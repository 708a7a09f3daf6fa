/*
 * links: hard links, symlinks, readlink truncation, and path resolution:
 * ELOOP (loops and the 40-link limit), ENAMETOOLONG (name and path),
 * ENOTDIR in the middle of a path, "." and "..", trailing slashes,
 * O_NOFOLLOW. In a scratch directory.
 */
#include "fs.h"

static long rl(const char *path, char *buf, size_t n)
{
	return syscall(SYS_readlink, path, buf, n);
}

/* `name: "<target>"` or the errno */
static void show_link(const char *name, const char *path)
{
	char buf[4096];
	long n = rl(path, buf, sizeof buf - 1);
	int e = errno;
	if (n < 0) {
		out("%s: ret=-1 errno=%s\n", name, errname(e));
		return;
	}
	buf[n] = 0;
	out("%s: \"%s\"\n", name, buf);
}

static void hard_links(void)
{
	struct stat a, b;
	put_file(P("f"), "file data", 9);
	CHECK_RET("link f -> h", link(P("f"), P("h")));
	stat(P("f"), &a);
	stat(P("h"), &b);
	out("nlink: %lu %lu\n", (unsigned long)a.st_nlink, (unsigned long)b.st_nlink);
	YESNO("same inode", a.st_ino == b.st_ino);
	CHECK_RET("link to an existing name", link(P("f"), P("h")));
	CHECK_RET("link a missing file", link(P("missing"), P("x")));
	mkdir(P("d"), 0755);
	CHECK_RET("link a directory", link(P("d"), P("dlink")));
	CHECK_RET("link into a missing dir", link(P("f"), P("missing/x")));
	CHECK_RET("link with a trailing slash on the new name", link(P("f"), P("h2/")));
	CHECK_RET("link with a trailing slash on the old name", link(P("f/"), P("h2")));
	CHECK_RET("link empty old path", link("", P("h2")));
	int fd = open(P("h"), O_WRONLY | O_APPEND);
	write(fd, "+more", 5);
	close(fd);
	char buf[64];
	get_file(P("f"), buf, sizeof buf);
	out("write through one name, read through the other: \"%s\"\n", buf);
	unlink(P("f"));
	stat(P("h"), &b);
	out("nlink after unlinking the first name: %lu\n", (unsigned long)b.st_nlink);

	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("linkat(dirfd) h -> f", linkat(dfd, "h", dfd, "f", 0));
	CHECK_RET("linkat bad flags", linkat(dfd, "h", dfd, "x", 0x1));
	CHECK_RET("linkat bad fd", linkat(1000, "h", dfd, "x", 0));
	symlink("h", P("s"));
	CHECK_RET("linkat a symlink (no follow)", linkat(dfd, "s", dfd, "s-hard", 0));
	show_mode("the new name is", P("s-hard"), 0);
	CHECK_RET("linkat AT_SYMLINK_FOLLOW", linkat(dfd, "s", dfd, "s-followed", AT_SYMLINK_FOLLOW));
	show_mode("the new name is", P("s-followed"), 0);
	fd = open(P("h"), O_RDONLY);
	CHECK_RET("linkat AT_EMPTY_PATH (root)", linkat(fd, "", dfd, "from-fd", AT_EMPTY_PATH));
	YESNO("from-fd is h", same_file(P("from-fd"), P("h")));
	CHECK_RET("linkat empty path without AT_EMPTY_PATH", linkat(fd, "", dfd, "x", 0));
	close(fd);
	fd = open(P("tmpf"), O_RDWR | O_CREAT, 0644);
	unlink(P("tmpf"));
	CHECK_RET("linkat AT_EMPTY_PATH of an unlinked file", linkat(fd, "", dfd, "revived", AT_EMPTY_PATH));
	close(fd);
	close(dfd);
}

static void sym_links(void)
{
	char buf[64];
	CHECK_RET("symlink to a missing target", symlink("nowhere", P("dangling")));
	show_link("readlink dangling", P("dangling"));
	CHECK_RET("stat dangling", stat(P("dangling"), &(struct stat){0}));
	CHECK_RET("open dangling", open(P("dangling"), O_RDONLY));
	int fd = okfd("open dangling O_CREAT creates the target", open(P("dangling"), O_WRONLY | O_CREAT, 0644));
	close(fd);
	YESNO("target exists now", exists(P("nowhere")));
	symlink("nowhere2", P("dangling2"));
	CHECK_RET("O_CREAT|O_EXCL on a dangling symlink", open(P("dangling2"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	YESNO("its target was not created", !exists(P("nowhere2")));
	CHECK_RET("symlink over an existing name", symlink("x", P("h")));
	CHECK_RET("symlink with an empty target", symlink("", P("empty-target")));
	CHECK_RET("symlink in a missing dir", symlink("x", P("missing/s")));
	CHECK_RET("symlink NULL target", syscall(SYS_symlink, NULL, P("null")));
	CHECK_RET("symlink name with a trailing slash", symlink("x", P("sl/")));
	int dfd = open(scratch, O_RDONLY | O_DIRECTORY);
	CHECK_RET("symlinkat(dirfd)", symlinkat("../h", dfd, "d/up"));
	get_file(P("d/up"), buf, sizeof buf);
	out("relative target resolves from the link's dir: \"%s\"\n", buf);
	CHECK_RET("symlinkat bad fd", symlinkat("x", 1000, "y"));
	symlink(P("h"), P("abs"));
	get_file(P("abs"), buf, sizeof buf);
	out("absolute target: \"%s\"\n", buf);
	symlink("d", P("sd"));
	put_file(P("d/inner"), "inner", 5);
	get_file(P("sd/inner"), buf, sizeof buf);
	out("through a symlinked dir: \"%s\"\n", buf);
	symlink("sd", P("sd2"));
	get_file(P("sd2/inner"), buf, sizeof buf);
	out("through two symlinked dirs: \"%s\"\n", buf);
	fd = okfd("O_DIRECTORY through a symlink to a dir", open(P("sd"), O_RDONLY | O_DIRECTORY));
	close(fd);
	CHECK_RET("O_DIRECTORY through a symlink to a file", open(P("s"), O_RDONLY | O_DIRECTORY));

	/* readlink */
	memset(buf, 'X', sizeof buf);
	CHECK_RET("readlink full", rl(P("s"), buf, sizeof buf));
	YESNO("not NUL-terminated", buf[1] == 'X');
	symlink("0123456789", P("long"));
	memset(buf, 'X', sizeof buf);
	CHECK_RET("readlink bufsiz 4", rl(P("long"), buf, 4));
	YESNO("truncated to the first 4 bytes", memcmp(buf, "0123X", 5) == 0);
	CHECK_RET("readlink bufsiz 0", rl(P("long"), buf, 0));
	CHECK_RET("readlink bufsiz -1", rl(P("long"), buf, -1));
	CHECK_RET("readlink a regular file", rl(P("h"), buf, sizeof buf));
	CHECK_RET("readlink a directory", rl(P("d"), buf, sizeof buf));
	CHECK_RET("readlink missing", rl(P("missing"), buf, sizeof buf));
	CHECK_RET("readlink unmapped buffer", rl(P("long"), unmapped_page(), 10));
	CHECK_RET("readlink empty path", rl("", buf, sizeof buf));
	CHECK_RET("readlink with a trailing slash (follows)", rl(P("sd/"), buf, sizeof buf));
	CHECK_RET("readlinkat(dirfd, \"long\")", syscall(SYS_readlinkat, dfd, "long", buf, sizeof buf));
	CHECK_RET("readlinkat(dirfd, \"d/up\")", syscall(SYS_readlinkat, dfd, "d/up", buf, sizeof buf));
	int pfd = open(P("long"), O_PATH | O_NOFOLLOW);
	CHECK_RET("readlinkat(O_PATH fd of the link, \"\")", syscall(SYS_readlinkat, pfd, "", buf, sizeof buf));
	close(pfd);
	CHECK_RET("readlinkat(dir fd, \"\")", syscall(SYS_readlinkat, dfd, "", buf, sizeof buf));
	CHECK_RET("readlinkat bad fd", syscall(SYS_readlinkat, 1000, "long", buf, sizeof buf));
	char target[300];
	memset(target, 't', 255);
	target[255] = 0;
	CHECK_RET("symlink with a 255-byte target", symlink(target, P("t255")));
	char big[5000];
	CHECK_RET("readlink it", rl(P("t255"), big, sizeof big));
	memset(big, 'b', 4094);
	big[4094] = 0;
	CHECK_RET("symlink with a 4094-byte target", symlink(big, P("t4094")));
	memset(big, 'b', 4095);
	big[4095] = 0;
	CHECK_RET("symlink with a 4095-byte target", symlink(big, P("t4095")));
	memset(big, 'b', 4096);
	big[4096] = 0;
	CHECK_RET("symlink with a 4096-byte target", symlink(big, P("t4096")));
	close(dfd);
}

static void loops(void)
{
	struct stat st;
	symlink("loop2", P("loop1"));
	symlink("loop1", P("loop2"));
	symlink("self", P("self"));
	CHECK_RET("open a symlink loop", open(P("loop1"), O_RDONLY));
	CHECK_RET("stat a symlink loop", stat(P("loop1"), &st));
	CHECK_RET("lstat a symlink loop", lstat(P("loop1"), &st));
	CHECK_RET("stat a self-link", stat(P("self"), &st));
	CHECK_RET("open through a self-link", open(P("self/x"), O_RDONLY));
	CHECK_RET("mkdir through a loop", mkdir(P("loop1/x"), 0755));
	CHECK_RET("chdir into a loop", chdir(P("loop1")));
	CHECK_RET("O_CREAT on a loop", open(P("self"), O_WRONLY | O_CREAT, 0644));
	/* a chain c0 -> c1 -> ... -> cN -> h */
	mkdir(P("chain"), 0755);
	for (int i = 0; i <= 41; i++) {
		char name[32], tgt[32];
		snprintf(name, sizeof name, "chain/c%d", i);
		snprintf(tgt, sizeof tgt, "c%d", i + 1);
		symlink(tgt, P(name));
	}
	put_file(P("chain/c42"), "end", 3);
	/* from c2, 40 links lead to c42; from c1, 41 */
	CHECK_RET("stat through 40 symlinks", stat(P("chain/c2"), &st));
	CHECK_RET("stat through 41 symlinks", stat(P("chain/c1"), &st));
	close(okfd("open through 40 symlinks", open(P("chain/c2"), O_RDONLY)));
	CHECK_RET("open through 41 symlinks", open(P("chain/c1"), O_RDONLY));
	CHECK_RET("lstat c0 (no follow)", lstat(P("chain/c0"), &st));
}

static void name_lengths(void)
{
	char name[600], path[8200];
	struct stat st;
	memset(name, 'n', 255);
	name[255] = 0;
	snprintf(path, sizeof path, "%s/%s", scratch, name);
	CHECK_RET("stat a missing 255-byte name", stat(path, &st));
	int fd = okfd("create a 255-byte name", open(path, O_WRONLY | O_CREAT, 0644));
	close(fd);
	CHECK_RET("stat it", stat(path, &st));
	CHECK_RET("unlink it", unlink(path));
	memset(name, 'n', 256);
	name[256] = 0;
	snprintf(path, sizeof path, "%s/%s", scratch, name);
	CHECK_RET("stat a 256-byte name", stat(path, &st));
	CHECK_RET("create a 256-byte name", open(path, O_WRONLY | O_CREAT, 0644));
	CHECK_RET("mkdir a 256-byte name", mkdir(path, 0755));
	CHECK_RET("symlink to a 256-byte name", symlink(name, P("longname")));
	CHECK_RET("stat through it", stat(P("longname"), &st));
	snprintf(path, sizeof path, "%s/missing/%s/x", scratch, name);
	CHECK_RET("256-byte component after a missing dir", stat(path, &st));

	/* whole-path length: "<scratch>/././././.../h" */
	put_file(P("h2"), "h2", 2);
	size_t base = strlen(scratch) + 1;
	for (size_t total = 4094; total <= 4097; total++) {
		size_t i = 0;
		memcpy(path, scratch, base - 1);
		path[base - 1] = '/';
		i = base;
		size_t fill = total - base - 2; /* room for "h2" */
		while (fill >= 2) {
			path[i++] = '.';
			path[i++] = '/';
			fill -= 2;
		}
		if (fill == 1)
			path[i++] = '/';
		memcpy(path + i, "h2", 3);
		char label[64];
		snprintf(label, sizeof label, "stat a %zu-byte path", strlen(path));
		CHECK_RET(label, stat(path, &st));
	}
	memset(path, '/', 5000);
	path[5000] = 0;
	CHECK_RET("stat 5000 slashes", stat(path, &st));
	path[4095] = 0;
	CHECK_RET("stat 4095 slashes", stat(path, &st));
	CHECK_RET("chdir 4095 slashes", chdir(path));
	chdir("/");
}

static void resolution(void)
{
	struct stat st;
	char path[4096];
	put_file(P("file"), "x", 1);
	CHECK_RET("file in the middle of a path", stat(P("file/x"), &st));
	CHECK_RET("file in the middle, deeper", stat(P("file/x/y/z"), &st));
	CHECK_RET("open file/x O_CREAT", open(P("file/x"), O_WRONLY | O_CREAT, 0644));
	CHECK_RET("missing dir in the middle", stat(P("nodir/x"), &st));
	CHECK_RET("missing dir in the middle, O_CREAT", open(P("nodir/x"), O_WRONLY | O_CREAT, 0644));
	CHECK_RET("\"file/.\"", stat(P("file/."), &st));
	CHECK_RET("\"file/..\"", stat(P("file/.."), &st));
	YESNO("d/../h resolves to h", same_file(P("d/../h"), P("h")));
	YESNO("d/./../d/. is d", same_file(P("d/./../d/."), P("d")));
	YESNO("./// in the middle is ignored", same_file(P(".///d///inner"), P("d/inner")));
	YESNO("/.. is /", same_file("/..", "/"));
	YESNO("/../../tmp is /tmp", same_file("/../../tmp", "/tmp"));
	YESNO("//tmp is /tmp", same_file("//tmp", "/tmp"));
	snprintf(path, sizeof path, "%s/sd/..", scratch);
	YESNO("sd/.. (sd -> d) is the scratch dir (.. after following)", same_file(path, scratch));
	YESNO("relative path from cwd /", same_file(R("h"), P("h")));
	YESNO("\".\" is /", same_file(".", "/"));
	YESNO("\"..\" from / is /", same_file("..", "/"));

	/* trailing slashes */
	CHECK_RET("stat dir/", stat(P("d/"), &st));
	CHECK_RET("stat file/", stat(P("file/"), &st));
	CHECK_RET("lstat file/", lstat(P("file/"), &st));
	CHECK_RET("open file/ O_RDONLY", open(P("file/"), O_RDONLY));
	int fd = okfd("open dir/ O_RDONLY", open(P("d/"), O_RDONLY));
	close(fd);
	CHECK_RET("lstat symlink-to-dir/ (follows)", lstat(P("sd/"), &st));
	out("type: %s\n", ftype(st.st_mode));
	lstat(P("sd"), &st);
	out("lstat symlink-to-dir without slash: %s\n", ftype(st.st_mode));
	CHECK_RET("lstat symlink-to-file/", lstat(P("s/"), &st));
	CHECK_RET("stat dangling/", stat(P("dangling/"), &st));
	CHECK_RET("unlink file/", unlink(P("file/")));
	CHECK_RET("unlink symlink-to-dir/", unlink(P("sd/")));
	CHECK_RET("rmdir symlink-to-dir/", rmdir(P("sd/")));
	CHECK_RET("rmdir symlink-to-dir", rmdir(P("sd")));
	CHECK_RET("rename symlink-to-dir/ x", rename(P("sd/"), P("x")));
	CHECK_RET("mkdir newdir/", mkdir(P("newdir/"), 0755));
	CHECK_RET("O_CREAT newfile/", open(P("newfile/"), O_WRONLY | O_CREAT, 0644));
	CHECK_RET("symlink newlink/", symlink("h", P("newlink/")));
	CHECK_RET("mkdir on a dangling symlink", mkdir(P("dangling"), 0755));

	/* O_NOFOLLOW */
	CHECK_RET("O_NOFOLLOW on a symlink", open(P("s"), O_RDONLY | O_NOFOLLOW));
	CHECK_RET("O_NOFOLLOW on a dangling symlink", open(P("dangling"), O_RDONLY | O_NOFOLLOW));
	CHECK_RET("O_NOFOLLOW|O_CREAT on a symlink", open(P("s"), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
	CHECK_RET("O_NOFOLLOW|O_DIRECTORY on a symlink to a dir", open(P("sd"), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
	fd = okfd("O_NOFOLLOW with a symlink in the middle", open(P("sd/inner"), O_RDONLY | O_NOFOLLOW));
	close(fd);
	fd = okfd("O_PATH|O_NOFOLLOW on a symlink", open(P("s"), O_PATH | O_NOFOLLOW));
	fstat(fd, &st);
	out("fstat of it: %s size=%ld\n", ftype(st.st_mode), (long)st.st_size);
	CHECK_RET("read on it", read(fd, path, 10));
	close(fd);
	CHECK_RET("fstatat AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, P("s"), &st, AT_SYMLINK_NOFOLLOW));
	out("type: %s\n", ftype(st.st_mode));
}

int main(void)
{
	scratch_setup("links");
	hard_links();
	sym_links();
	loops();
	name_lengths();
	resolution();
	scratch_cleanup();
	return 0;
}
