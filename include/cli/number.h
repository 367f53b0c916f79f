#ifndef RAMAL_NUMBER_H
#define RAMAL_NUMBER_H

/*
 * The numbers (DIDs) at Twilio and webhook sync, from the shell
 * (docs/numbers.md):
 *
 *	ramal number search --ddd 11 [--country BR] [--type local|mobile|
 *	    toll-free] [--contains DIGITS] [--limit N]
 *	ramal number buy <+E164> [--bundle BU...] [--address AD...]
 *	    [--label L] [--owner IDENTITY] [--force]
 *	ramal number import [--force]
 *	ramal number release <+E164|PN...> [--force]
 *	ramal number list [--twilio]
 *	ramal sync-webhooks [--account AC...|--all] [--dry-run] [--force]
 *
 * (number add and assign stay in admin.c; number_main hands them over.)
 * Every number form takes --account AC... (default TWILIO_ACCOUNT_SID).
 * The work is numbers.h's and hooks.h's, which the admin API shares.
 * argv[0] is the command word.  Each returns the exit status: 0; 1 when
 * Twilio or the database failed or a rule refused (one line on stderr);
 * 2 on a usage error or malformed input (nothing sent).
 */
int number_main(int argc, char **argv);
int number_sync_webhooks(int argc, char **argv);

#endif
