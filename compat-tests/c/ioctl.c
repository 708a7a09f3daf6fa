/*
 * ioctl on the console fds. The runner connects fds 0-2 to pipes for both
 * the host and Elfin, so terminal requests give ENOTTY, as Linux does.
 */
#include "check.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	char name[64];
	for (int fd = 0; fd <= 2; fd++) {
		struct termios t;
		struct winsize w;
		snprintf(name, sizeof name, "TCGETS fd %d", fd);
		CHECK_RET(name, syscall(SYS_ioctl, fd, TCGETS, &t));
		snprintf(name, sizeof name, "TIOCGWINSZ fd %d", fd);
		CHECK_RET(name, syscall(SYS_ioctl, fd, TIOCGWINSZ, &w));
		snprintf(name, sizeof name, "isatty(%d)", fd);
		CHECK_RET(name, isatty(fd) ? 1 : -1);
	}
	struct termios t;
	CHECK_RET("TCSETS fd 1", syscall(SYS_ioctl, 1, TCSETS, &t));
	CHECK_RET("TIOCGPGRP fd 1", syscall(SYS_ioctl, 1, TIOCGPGRP, name));
	CHECK_RET("unknown request fd 1", syscall(SYS_ioctl, 1, 0x7fe1, 0));
	CHECK_RET("TCGETS bad pointer on pipe", syscall(SYS_ioctl, 1, TCGETS, unmapped_page()));
	CHECK_RET("TCGETS fd -1", syscall(SYS_ioctl, -1, TCGETS, &t));
	CHECK_RET("TCGETS fd 1000", syscall(SYS_ioctl, 1000, TCGETS, &t));
	CHECK_RET("TIOCGWINSZ fd 999", syscall(SYS_ioctl, 999, TIOCGWINSZ, name));
	CHECK_RET("libc tcgetattr(1)", tcgetattr(1, &t));
	return 0;
}
