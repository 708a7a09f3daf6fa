/*
 * exit: how a process ends and what status the host sees.
 *   exit return N   main returns N
 *   exit exit N     exit(N) with an atexit handler and unflushed stdio output
 *   exit group N    raw exit_group(N) (status is N & 0xff)
 *   exit thread N   raw exit(N) from the only thread ends the process
 */
#include "check.h"

static void at_exit_handler(void)
{
	out("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		out("usage: exit return|exit|group|thread N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	out("mode=%s n=%d\n", argv[1], n);
	if (strcmp(argv[1], "return") == 0)
		return n;
	if (strcmp(argv[1], "exit") == 0) {
		atexit(at_exit_handler);
		/* buffered by stdio (stdout is a pipe): must be flushed by exit() */
		printf("buffered stdio text\n");
		exit(n);
	}
	if (strcmp(argv[1], "group") == 0) {
		printf("unflushed stdio text is lost\n");
		syscall(SYS_exit_group, n);
	}
	if (strcmp(argv[1], "thread") == 0)
		syscall(SYS_exit, n);
	out("unknown mode\n");
	return 2;
}
