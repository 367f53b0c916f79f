#ifndef RAMAL_PROMPT_H
#define RAMAL_PROMPT_H

/*
 * Read a new password for a command-line tool: one line from stdin when
 * from_stdin, else a prompt without echo on the terminal, twice when
 * confirm.  A new string (util_free_secret), or NULL with a message on
 * stderr (no terminal, mismatch, too short or too long).
 */
char *prompt_password(int from_stdin, int confirm);

/*
 * Read a secret that is not a password (an auth token): a prompt without
 * echo on the terminal, else one line of stdin.  A new string
 * (util_free_secret), or NULL when none came (an empty line, the end of
 * input, a line longer than AUTH_PASSWORD_MAX).
 */
char *prompt_secret(const char *prompt);

#endif
