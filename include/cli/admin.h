#ifndef RAMAL_ADMIN_H
#define RAMAL_ADMIN_H

#include "config.h"
#include "db.h"

/*
 * Operator commands run from the shell against the database:
 *
 *	ramal tenant add <AccountSid> [--name NAME]
 *	ramal create-user --email E --name N [--identity I] [--role R]
 *	    [--password-stdin]
 *	ramal user list
 *	ramal user status <IDENTITY> available|busy|wrapup|offline
 *	ramal user password <IDENTITY|email> [--password-stdin]
 *
 * A password is read from stdin with --password-stdin, else asked twice
 * on the terminal without echo; create-user with neither a flag nor a
 * terminal makes a user who cannot sign in until a password is set.
 * Setting a password signs out the user's sessions.
 *	ramal number add <+E164> [--label L] [--owner IDENTITY] [--sid PN…]
 *	    [--ring-timeout S] [--disclaimer TEXT] [--disclaimer-audio URL]
 *	    [--voice V] [--language L] [--voicemail on|off]
 *	ramal number assign <+E164> <IDENTITY|none>
 *	ramal number list
 *
 * tenant add reads the account's auth token from the terminal without
 * echo, or from stdin.  Every other command takes --account AC… to act on
 * a subaccount's tenant (the default is TWILIO_ACCOUNT_SID).
 *
 * argv[0] is the command word.  Each checks its arguments first (a usage
 * error prints the command's usage, cmdline.h), then loads the
 * configuration (cmdline_config: DATABASE_URL and RAMAL_SECRET_KEY are
 * required) and applies the migrations.  Each returns the process exit
 * status: 0, 1 on a failure (printed), 2 on a usage or configuration
 * error.
 */
int admin_tenant(int argc, char **argv);
int admin_create_user(int argc, char **argv);
int admin_user(int argc, char **argv);
int admin_number(int argc, char **argv);

/*
 * For other commands: apply the migrations, open a one-connection pool,
 * make sure the main account's tenant exists, and return the connection
 * (NULL after printing why).  admin_close releases it and the pool.
 */
struct db_conn *admin_open(const struct config *cfg);
void admin_close(struct db_conn *c);

#endif
