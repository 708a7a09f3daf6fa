/*
 * procfs: /proc/self (exe, fd/, fdinfo/, cwd, root, maps, status, stat,
 * comm, cmdline, environ, task/), /proc/meminfo, cpuinfo, uptime, mounts,
 * statfs of /proc, and /etc/passwd. Only relations and values every Linux
 * gives for the same process state are printed: pids, inode numbers,
 * addresses and sizes of the host's memory never are.
 */
#include "fs.h"
#include <sys/statfs.h>

extern char **environ;

/* whole file (procfs files report size 0: read until EOF) */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n + 1 >= size)
			break;
	}
	buf[n] = 0;
	close(fd);
	return (long)n;
}

static int has_line_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return 1;
	return 0;
}

/* value after "Key:" (skipping blanks) up to the end of the line */
static int field(const char *text, const char *key, char *val, size_t size)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			size_t i = 0;
			while (p[i] && p[i] != '\n' && i + 1 < size) {
				val[i] = p[i];
				i++;
			}
			val[i] = 0;
			return 1;
		}
	return 0;
}

static long rl(const char *path, char *buf, size_t size)
{
	long n = readlink(path, buf, size - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int fd_listed(int fd)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	char want[16];
	snprintf(want, sizeof want, "%d", fd);
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		found |= strcmp(e->d_name, want) == 0;
	closedir(d);
	return found;
}

static int maps_has_range(const char *maps, unsigned long start, unsigned long end, const char *perms)
{
	char want[80];
	snprintf(want, sizeof want, "%lx-%lx %s", start, end, perms);
	return has_line_prefix(maps, want);
}

int main(int argc, char **argv)
{
	static char buf[1 << 16], buf2[1 << 16];
	char t[4096], v[256];
	const char *base = base_name(argv[0]);
	scratch_setup("procfs");

	/* exe, self */
	YESNO("readlink /proc/self/exe ends with the binary's name",
	      rl("/proc/self/exe", t, sizeof t) > 0 && t[0] == '/' && strcmp(base_name(t), base) == 0);
	int fd = open("/proc/self/exe", O_RDONLY);
	YESNO("/proc/self/exe opens as an ELF file", fd >= 0 && read(fd, v, 4) == 4 && memcmp(v, "\177ELF", 4) == 0);
	close(fd);
	char pid[32];
	snprintf(pid, sizeof pid, "%d", getpid());
	YESNO("readlink /proc/self is the pid", rl("/proc/self", t, sizeof t) > 0 && strcmp(t, pid) == 0);
	snprintf(t, sizeof t, "/proc/%d/status", getpid());
	YESNO("/proc/<pid>/status readable", slurp(t, buf2, sizeof buf2) > 0);
	snprintf(t, sizeof t, "/proc/self/task/%d", (int)syscall(SYS_gettid));
	struct stat st;
	YESNO("/proc/self/task/<tid> is a directory", stat(t, &st) == 0 && S_ISDIR(st.st_mode));

	/* fd/ */
	YESNO("/proc/self/fd lists 0, 1, 2", fd_listed(0) && fd_listed(1) && fd_listed(2));
	dup2(1, 42);
	YESNO("and a new fd 42", fd_listed(42));
	char one[256];
	rl("/proc/self/fd/1", one, sizeof one);
	YESNO("fd 1 (the runner's pipe) reads as pipe:[N]", strncmp(one, "pipe:[", 6) == 0 && ends_with(one, "]"));
	YESNO("fd 42 names the same pipe", rl("/proc/self/fd/42", t, sizeof t) > 0 && strcmp(t, one) == 0);
	close(42);
	YESNO("closed fd 42 is gone", !fd_listed(42));
	CHECK_RET("readlink /proc/self/fd/42 after close", readlink("/proc/self/fd/42", t, sizeof t));
	lstat("/proc/self/fd/1", &st);
	out("lstat /proc/self/fd/1: %s perm=%04o\n", ftype(st.st_mode), (unsigned)(st.st_mode & 07777));
	stat("/proc/self/fd/1", &st);
	out("stat /proc/self/fd/1 (follows): %s\n", ftype(st.st_mode));
	const char *f = P("file");
	put_file(f, "0123456789", 10);
	fd = open(f, O_RDWR);
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	YESNO("fd of a file reads as its path", rl(link, t, sizeof t) > 0 && strcmp(t, f) == 0);
	lseek(fd, 4, SEEK_SET);
	int re = open(link, O_RDONLY);
	YESNO("opening /proc/self/fd/N opens the file anew (own offset)", re >= 0 && lseek(re, 0, SEEK_CUR) == 0);
	memset(v, 0, sizeof v);
	read(re, v, 3);
	out("reopened data: \"%s\"\n", v);
	close(re);
	snprintf(t, sizeof t, "/proc/self/fdinfo/%d", fd);
	slurp(t, buf, sizeof buf);
	out("fdinfo pos: %s\n", field(buf, "pos", v, sizeof v) ? v : "missing");
	out("fdinfo flags: %s\n", field(buf, "flags", v, sizeof v) ? v : "missing");
	unlink(f);
	YESNO("after unlink: \"<path> (deleted)\"", rl(link, t, sizeof t) > 0 && strncmp(t, f, strlen(f)) == 0 &&
							   strcmp(t + strlen(f), " (deleted)") == 0);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	rl(link, t, sizeof t);
	out("fd of /dev/null: \"%s\"\n", t);
	close(fd);
	fd = syscall(SYS_memfd_create, "compat-proc", 0);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	rl(link, t, sizeof t);
	out("fd of a memfd: \"%s\"\n", t);
	close(fd);
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	YESNO("fd of a directory reads as its path", rl(link, t, sizeof t) > 0 && strcmp(t, scratch) == 0);
	close(fd);

	/* cwd, root */
	rl("/proc/self/cwd", t, sizeof t);
	out("cwd: \"%s\"\n", t);
	chdir("/tmp");
	rl("/proc/self/cwd", t, sizeof t);
	out("cwd after chdir /tmp: \"%s\"\n", t);
	chdir("/");
	rl("/proc/self/root", t, sizeof t);
	out("root: \"%s\"\n", t);

	/* maps */
	slurp("/proc/self/maps", buf, sizeof buf);
	YESNO("maps has [stack]", strstr(buf, "[stack]") != NULL);
	unsigned long cur = (unsigned long)syscall(SYS_brk, 0);
	syscall(SYS_brk, cur + 5 * PAGE);
	((volatile char *)cur)[0] = 1;
	slurp("/proc/self/maps", buf, sizeof buf);
	YESNO("maps has [heap] after brk grows", strstr(buf, "[heap]") != NULL);
	int exe_x = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		if (strstr(line, " r-xp ") && ends_with(line, base))
			exe_x = 1;
	}
	YESNO("maps has the binary's code (r-xp, named by path)", exe_x);
	/* 3 read-write pages between two PROT_NONE guard pages: no neighbour to merge with */
	char *g = map_anon(NULL, 5 * PAGE, PROT_NONE, 0);
	char *m = g + PAGE;
	mprotect(m, 3 * PAGE, PROT_READ | PROT_WRITE);
	slurp("/proc/self/maps", buf, sizeof buf);
	YESNO("3 read-write pages between guard pages are one rw-p line",
	      maps_has_range(buf, (unsigned long)m, (unsigned long)m + 3 * PAGE, "rw-p"));
	YESNO("the guard pages are ---p", maps_has_range(buf, (unsigned long)g, (unsigned long)m, "---p"));
	mprotect(m + PAGE, PAGE, PROT_READ);
	slurp("/proc/self/maps", buf, sizeof buf);
	YESNO("mprotect of the middle page splits it in three",
	      maps_has_range(buf, (unsigned long)m, (unsigned long)m + PAGE, "rw-p") &&
		      maps_has_range(buf, (unsigned long)m + PAGE, (unsigned long)m + 2 * PAGE, "r--p") &&
		      maps_has_range(buf, (unsigned long)m + 2 * PAGE, (unsigned long)m + 3 * PAGE, "rw-p"));
	mprotect(m + PAGE, PAGE, PROT_READ | PROT_WRITE);
	slurp("/proc/self/maps", buf, sizeof buf);
	YESNO("and merges back into one line",
	      maps_has_range(buf, (unsigned long)m, (unsigned long)m + 3 * PAGE, "rw-p"));
	munmap(g, 5 * PAGE);
	slurp("/proc/self/maps", buf, sizeof buf);
	char addr[32];
	snprintf(addr, sizeof addr, "%lx-", (unsigned long)m);
	YESNO("gone after munmap", !has_line_prefix(buf, addr));

	/* status, stat, comm */
	char comm[16];
	snprintf(comm, sizeof comm, "%.15s", base);
	slurp("/proc/self/status", buf, sizeof buf);
	YESNO("status: Name is the binary's name (15 chars max)", field(buf, "Name", v, sizeof v) && strcmp(v, comm) == 0);
	YESNO("status: State R", field(buf, "State", v, sizeof v) && v[0] == 'R');
	YESNO("status: Pid", field(buf, "Pid", v, sizeof v) && strcmp(v, pid) == 0);
	YESNO("status: PPid is getppid()", field(buf, "PPid", v, sizeof v) && atol(v) == getppid());
	YESNO("status: Tgid", field(buf, "Tgid", v, sizeof v) && strcmp(v, pid) == 0);
	out("status: Uid: %s\n", field(buf, "Uid", v, sizeof v) ? v : "missing");
	out("status: Gid: %s\n", field(buf, "Gid", v, sizeof v) ? v : "missing");
	out("status: Threads: %s\n", field(buf, "Threads", v, sizeof v) ? v : "missing");
	YESNO("status: first line is Name", strncmp(buf, "Name:", 5) == 0);
	/* read in 7-byte pieces gives the same text (up to the changing counters) */
	fd = open("/proc/self/status", O_RDONLY);
	long n = 0, r;
	while ((r = read(fd, buf2 + n, 7)) > 0)
		n += r;
	buf2[n] = 0;
	YESNO("7-byte reads give the same first lines", strncmp(buf, buf2, 40) == 0);
	CHECK_RET("lseek back to 0", lseek(fd, 0, SEEK_SET));
	r = read(fd, buf2, 5);
	YESNO("and re-read", r == 5 && memcmp(buf2, "Name:", 5) == 0);
	CHECK_RET("write to /proc/self/status", write(fd, "x", 1));
	close(fd);
	slurp("/proc/self/stat", buf, sizeof buf);
	char want[64];
	snprintf(want, sizeof want, "%s (%s) R ", pid, comm);
	YESNO("stat: \"<pid> (<comm>) R \"", strncmp(buf, want, strlen(want)) == 0);
	slurp("/proc/self/comm", buf, sizeof buf);
	YESNO("comm: name + newline", strlen(buf) == strlen(comm) + 1 && strncmp(buf, comm, strlen(comm)) == 0 &&
					   buf[strlen(comm)] == '\n');

	/* cmdline, environ */
	n = slurp("/proc/self/cmdline", buf, sizeof buf);
	long want_len = 0;
	int same = 1;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		same &= want_len + (long)l <= n && memcmp(buf + want_len, argv[i], l) == 0;
		want_len += (long)l;
	}
	YESNO("cmdline is argv, NUL-separated", same && n == want_len);
	out("argc: %d\n", argc);
	n = slurp("/proc/self/environ", buf, sizeof buf);
	want_len = 0;
	same = 1;
	int envc = 0;
	for (char **e = environ; *e; e++, envc++) {
		size_t l = strlen(*e) + 1;
		same &= want_len + (long)l <= n && memcmp(buf + want_len, *e, l) == 0;
		want_len += (long)l;
	}
	YESNO("environ is the environment, NUL-separated", same && n == want_len);
	out("environment variables: %d\n", envc);

	/* system files */
	slurp("/proc/meminfo", buf, sizeof buf);
	YESNO("meminfo starts with MemTotal:", strncmp(buf, "MemTotal:", 9) == 0);
	char total[64], fr[64];
	YESNO("meminfo has MemFree and MemAvailable", field(buf, "MemFree", fr, sizeof fr) && field(buf, "MemAvailable", v, sizeof v));
	field(buf, "MemTotal", total, sizeof total);
	YESNO("MemTotal in kB, > 0, >= MemFree", ends_with(total, " kB") && atol(total) > 0 && atol(total) >= atol(fr));
	slurp("/proc/cpuinfo", buf, sizeof buf);
	YESNO("cpuinfo has processor 0", has_line_prefix(buf, "processor\t: 0"));
	slurp("/proc/uptime", buf, sizeof buf);
	double up = -1, idle = -1;
	YESNO("uptime: two numbers, the first > 0", sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0);
	slurp("/proc/mounts", buf, sizeof buf);
	int root_mount = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char dev[256], dir[256];
		if (sscanf(p, "%255s %255s", dev, dir) == 2 && strcmp(dir, "/") == 0)
			root_mount = 1;
	}
	YESNO("mounts has /", root_mount);
	struct statfs sf;
	YESNO("statfs /proc is PROC_SUPER_MAGIC", statfs("/proc", &sf) == 0 && sf.f_type == 0x9fa0);
	stat("/proc", &st);
	out("/proc: %s\n", ftype(st.st_mode));
	CHECK_RET("create a file in /proc", open("/proc/compat-new", O_WRONLY | O_CREAT, 0644));
	CHECK_RET("/proc/self/nonexistent", open("/proc/self/nonexistent", O_RDONLY));

	/* /etc */
	YESNO("/etc/passwd has a root: line", slurp("/etc/passwd", buf, sizeof buf) > 0 && has_line_prefix(buf, "root:"));
	scratch_cleanup();
	return 0;
}
