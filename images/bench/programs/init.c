/* /init of the Linux peer's initramfs (elfin-bench).
 *
 * The kernel passes everything after "--" on its command line as argv: argv[1] is the program
 * to run, the rest its arguments. The program gets /stdin as its standard input when the
 * initramfs has one (else the console), and the console as stdout and stderr. When it ends,
 * init prints "ELFIN-BENCH-EXIT <status>" (128+signal for a signal) and powers the VM off;
 * QEMU runs with -no-reboot, so the reboot fallback also ends it. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int status = 127;
    if (argc < 2) {
        fprintf(stderr, "init: no program given after -- on the kernel command line\n");
    } else {
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/stdin", O_RDONLY);
            if (fd >= 0) {
                dup2(fd, 0);
                close(fd);
            }
            execv(argv[1], argv + 1);
            perror("init: execv");
            _exit(127);
        }
        int st = 0;
        if (pid > 0 && waitpid(pid, &st, 0) == pid)
            status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        else
            perror("init: fork/waitpid");
    }
    printf("\nELFIN-BENCH-EXIT %d\n", status);
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}
