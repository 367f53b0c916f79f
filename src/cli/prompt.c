/*
 * Reading a password on the command line.  See include/cli/prompt.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "prompt.h"
#include "util.h"

/*
 * One line from fp into a new string without its line end, or NULL
 * (end of input, or longer than AUTH_PASSWORD_MAX: *too_long set).
 */
static char *
read_line(FILE *fp, int *too_long)
{
	char line[AUTH_PASSWORD_MAX + 3];
	char *result = NULL;
	size_t n;

	*too_long = 0;
	if (fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\r\n");
		if (line[n] == '\0' && n == sizeof(line) - 1) {
			*too_long = 1;
			/* drop the rest of the line */
			for (int ch; (ch = fgetc(fp)) != EOF && ch != '\n';)
				;
		} else {
			line[n] = '\0';
			result = xstrdup(line);
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	return result;
}

/* A line typed on the terminal (stdin) without echo. */
static char *
prompt_line(const char *prompt, int *too_long)
{
	struct termios old, quiet;
	int restore = 0;
	char *s;

	/* Echo off before the prompt: what is typed after it is kept. */
	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	s = read_line(stdin, too_long);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return s;
}

char *
prompt_password(int from_stdin, int confirm)
{
	char *a = NULL, *b = NULL;
	int too_long = 0;

	if (from_stdin)
		a = read_line(stdin, &too_long);
	else if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
		    "ramal: no terminal to ask for a password; pass "
		    "--password-stdin and write it to stdin\n");
		return NULL;
	} else {
		a = prompt_line("New password: ", &too_long);
		if (a != NULL && confirm && auth_password_acceptable(a) == 0) {
			b = prompt_line("Again: ", &too_long);
			if (b == NULL || strcmp(a, b) != 0) {
				fprintf(stderr,
				    "ramal: the passwords do not match\n");
				goto fail;
			}
		}
	}
	if (a == NULL && !too_long) {
		fprintf(stderr, "ramal: no password given\n");
		goto fail;
	}
	if (too_long || auth_password_acceptable(a) != 0) {
		fprintf(stderr, "ramal: a password needs %d to %d characters\n",
		    AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		goto fail;
	}
	util_free_secret(b);
	return a;
fail:
	util_free_secret(a);
	util_free_secret(b);
	return NULL;
}

char *
prompt_secret(const char *prompt)
{
	int too_long = 0;
	char *s;

	s = isatty(STDIN_FILENO) ? prompt_line(prompt, &too_long)
				 : read_line(stdin, &too_long);
	if (s != NULL && s[0] == '\0') {
		free(s);
		s = NULL;
	}
	return s;
}
