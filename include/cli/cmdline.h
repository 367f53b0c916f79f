#ifndef RAMAL_CMDLINE_H
#define RAMAL_CMDLINE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/*
 * What every `ramal` command shares: the usage of each command and
 * subcommand (one table, printed by `ramal --help`, `ramal help CMD` and
 * `ramal CMD [SUB] --help`, and after a usage error), and loading the
 * configuration once a command's arguments are good.  Not thread-safe
 * (command-line start-up only).
 */

/* The exit status of a usage error and of a configuration error. */
#define CMDLINE_USAGE 2

/* DATABASE_URL and RAMAL_SECRET_KEY, for cmdline_config() (NULL-ended). */
extern const char *const cmdline_need_db[];

/*
 * Print the usage of cmd sub to fp: every form of cmd when sub is NULL
 * (or names no subcommand of cmd), the overview of all commands when cmd
 * is NULL.  0, or -1 (nothing printed) when cmd is not a command.
 */
int cmdline_usage(FILE *fp, const char *cmd, const char *sub);

/* An option of a command: --name, with a value or a flag. */
struct cmdline_opt {
	const char *name; /* without the dashes */
	int has_value;
	const char *value; /* set by cmdline_parse; "" for a flag given */
};

/*
 * Parse --name [value] options from argv[1..] into opts; positional
 * arguments go to pos (at most npos, the rest NULL).  -1 with the reason
 * in err on an unknown option, a missing value or one positional argument
 * too many.
 */
int cmdline_parse(int argc, char **argv, struct cmdline_opt *opts, size_t nopts,
    const char **pos, int npos, char *err, size_t errlen);

/* The value of option name (borrowed), NULL when not given. */
const char *cmdline_opt(const struct cmdline_opt *opts, size_t n,
    const char *name);

/* 1 when cmd is a command of the table, else 0. */
int cmdline_known(const char *cmd);

/*
 * 1 when argv[1..argc) asks for help: an argument "--help" or "-h",
 * wherever it stands (even as the value of an option), else 0.
 */
int cmdline_help_asked(int argc, char **argv);

/*
 * The subcommand of cmd named by the first argument of argv[1..argc) that
 * does not start with "-" (borrowed), or NULL when that argument names
 * none or cmd has no subcommands.
 */
const char *cmdline_sub(const char *cmd, int argc, char **argv);

/*
 * A usage error: "ramal: <message>" (when fmt is not NULL) and the usage
 * of cmd sub on stderr.  Returns CMDLINE_USAGE.
 */
int cmdline_usage_error(const char *cmd, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Load the configuration into cfg: the environment, then ./.env, then
 * var/local.env (written by `make run`); each variable of required (a
 * NULL-ended list, or NULL) must have a value.  Sets the log level.  On an
 * error prints one line "ramal: NAME: what is wrong" and exits with
 * CMDLINE_USAGE.  Clean up with config_cleanup().
 */
void cmdline_config(struct config *cfg, const char *const *required);

#endif
