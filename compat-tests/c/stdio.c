/*
 * stdio: the C library's buffered I/O over the console: fgets/fread from
 * stdin (musl reads with readv), printf/puts/fputs, stderr unbuffered.
 */
#include "check.h"

int main(void)
{
	char line[256];
	int n = 0;
	size_t total = 0;
	while (fgets(line, sizeof line, stdin)) {
		n++;
		total += strlen(line);
		if (n <= 3) {
			line[strcspn(line, "\n")] = 0;
			printf("line %d: [%s]\n", n, line);
		}
	}
	printf("lines=%d bytes=%zu feof=%d ferror=%d\n", n, total, feof(stdin) != 0,
	       ferror(stdin) != 0);
	clearerr(stdin);
	printf("fread after eof=%zu\n", fread(line, 1, sizeof line, stdin));
	puts("puts line");
	fputs("fputs line\n", stdout);
	fprintf(stderr, "stderr via stdio %s\n", "ok");
	for (int i = 0; i < 5; i++)
		printf("loop %d %05.1f %x %-4s|\n", i, i * 1.5, i * 255, "ab");
	fflush(stdout);
	return 0;
}
