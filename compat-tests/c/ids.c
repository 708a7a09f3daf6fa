/*
 * ids: process identity: getpid/gettid/getppid relations, credentials.
 * Pids are never printed, only relations. Credentials are printed as values:
 * the runner runs as the same user for the host and Elfin, and Elfin reports
 * root (0), so this case passes when the host user is root.
 */
#include "check.h"
#include <sys/auxv.h>

int main(void)
{
	long pid = syscall(SYS_getpid);
	long tid = syscall(SYS_gettid);
	long ppid = syscall(SYS_getppid);

	YESNO("getpid>0", pid > 0);
	YESNO("gettid>0", tid > 0);
	YESNO("pid==tid (single thread)", pid == tid);
	YESNO("getpid stable", syscall(SYS_getpid) == pid);
	YESNO("libc getpid()==raw", getpid() == pid);
	YESNO("libc gettid()==raw", gettid() == tid);
	YESNO("getppid>=0", ppid >= 0);
	YESNO("getppid!=getpid", ppid != pid);
	YESNO("getppid stable", syscall(SYS_getppid) == ppid);
	YESNO("libc getppid()==raw", getppid() == ppid);

	long uid = syscall(SYS_getuid), euid = syscall(SYS_geteuid);
	long gid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
	out("uid=%ld euid=%ld gid=%ld egid=%ld\n", uid, euid, gid, egid);
	YESNO("libc getuid()==raw", (long)getuid() == uid);
	YESNO("libc geteuid()==raw", (long)geteuid() == euid);
	YESNO("libc getgid()==raw", (long)getgid() == gid);
	YESNO("libc getegid()==raw", (long)getegid() == egid);
	YESNO("AT_UID==getuid", getauxval(AT_UID) == (unsigned long)uid);
	YESNO("AT_EUID==geteuid", getauxval(AT_EUID) == (unsigned long)euid);
	YESNO("AT_GID==getgid", getauxval(AT_GID) == (unsigned long)gid);
	YESNO("AT_EGID==getegid", getauxval(AT_EGID) == (unsigned long)egid);

	return 0;
}
