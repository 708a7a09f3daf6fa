/* hello: the smallest program; also built as a static-PIE (glibc-pie variant). */
#include <stdio.h>

int main(void)
{
	printf("Hello, world!\n");
	return 0;
}
