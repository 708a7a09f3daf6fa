/*
 * args: argv and the environment as the program receives them: count,
 * exact bytes (escaped), the layout Linux gives (strings contiguous, env
 * strings after argv strings), and the environment sorted (the order of
 * --env flags versus the host's execve order is not the point).
 */
#include "check.h"

extern char **environ;

static void show(const char *what, int i, const char *s)
{
	char buf[256];
	size_t n = strlen(s), k = 0;
	for (size_t j = 0; j < n && k < sizeof buf - 8; j++) {
		unsigned char c = (unsigned char)s[j];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[k++] = (char)c;
		else
			k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02x", c);
	}
	buf[k] = 0;
	out("%s[%d]: len=%zu \"%s\"%s\n", what, i, n, buf, k >= sizeof buf - 8 ? "..." : "");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
	out("argc=%d\n", argc);
	YESNO("argv[argc] == NULL", argv[argc] == NULL);
	YESNO("argv[0] ends with the program name", ends_with(argv[0], "/args"));
	YESNO("argv[0] absolute", argv[0][0] == '/');
	for (int i = 1; i < argc; i++)
		show("argv", i, argv[i]);

	int envc = 0;
	while (envp[envc])
		envc++;
	out("envc=%d\n", envc);
	YESNO("environ == envp", environ == envp);
	YESNO("envp follows argv's NULL", envp == argv + argc + 1);
	char *sorted[256];
	for (int i = 0; i < envc && i < 256; i++)
		sorted[i] = envp[i];
	qsort(sorted, (size_t)(envc < 256 ? envc : 256), sizeof sorted[0], cmp);
	for (int i = 0; i < envc && i < 256; i++)
		show("env(sorted)", i, sorted[i]);

	const char *v = getenv("COMPAT_GREETING");
	out("getenv COMPAT_GREETING: %s\n", v ? v : "(unset)");
	v = getenv("COMPAT_EMPTY");
	out("getenv COMPAT_EMPTY: %s\n", v ? (*v ? "nonempty" : "(empty)") : "(unset)");
	v = getenv("PATH");
	out("getenv PATH: %s\n", v ? "set" : "(unset)");
	v = getenv("HOME");
	out("getenv HOME: %s\n", v ? "set" : "(unset)");

	/* layout: strings packed back to back, argv strings then env strings */
	int contiguous = 1;
	for (int i = 0; i + 1 < argc; i++)
		contiguous &= argv[i + 1] == argv[i] + strlen(argv[i]) + 1;
	YESNO("argv strings contiguous", contiguous);
	if (envc > 0) {
		YESNO("env strings follow argv strings",
		      envp[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1);
		int econt = 1;
		for (int i = 0; i + 1 < envc; i++)
			econt &= envp[i + 1] == envp[i] + strlen(envp[i]) + 1;
		YESNO("env strings contiguous", econt);
	}
	YESNO("strings above the argv array", (void *)argv[0] > (void *)(argv + argc));
	YESNO("argv array 8-byte aligned", ((uintptr_t)argv & 7) == 0);
	/* argv is writable, as on Linux */
	if (argc > 1 && argv[1][0]) {
		char c = argv[1][0];
		argv[1][0] = 'Z';
		YESNO("argv strings writable", argv[1][0] == 'Z');
		argv[1][0] = c;
	}
	return 0;
}
