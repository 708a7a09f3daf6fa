/* The cold-start and memory probe (elfin-bench): one line on stdout, exit 0. */
#include <stdio.h>

int main(void) {
    fputs("hello from elfin-bench\n", stdout);
    return 0;
}
