#ifndef RAMAL_ADMIN_H
#define RAMAL_ADMIN_H

#include "config.h"

/*
 * Operator commands run from the shell against the database:
 *
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
 * Every command takes --account AC… to act on a subaccount's tenant (the
 * default is TWILIO_ACCOUNT_SID).  argv[0] is the command word.  Each
 * returns the process exit status: 0, 1 on a failure (printed), 2 on a
 * usage error.
 */
int admin_create_user(const struct config *cfg, int argc, char **argv);
int admin_user(const struct config *cfg, int argc, char **argv);
int admin_number(const struct config *cfg, int argc, char **argv);

#endif
