/*
 * token.c from the command line, for the cross-check against Twilio's
 * Python library (tests/py/twilio/test_token_compat.py).
 *
 *	tokenctl new --account AC... --key SK... --secret S --identity ID
 *	    [--app AP...] [--no-incoming] [--push CR...] [--ttl N] [--now T]
 *		prints a Voice Access Token (--now defaults to the clock)
 *	tokenctl decode --secret S JWT
 *		prints {"header":{...},"claims":{...}} when JWT checks, else
 *		the token_result name on stderr
 *
 * Exit 0, 1 when token.c refuses, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "token.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tokenctl new --account AC --key SK --secret S "
	    "--identity ID\n"
	    "           [--app AP] [--no-incoming] [--push CR] [--ttl N] "
	    "[--now T]\n"
	    "       tokenctl decode --secret S JWT\n");
	exit(2);
}

static long long
number(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		usage();
	return v;
}

static int
cmd_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ "secret", required_argument, NULL, 's' },
		{ "identity", required_argument, NULL, 'i' },
		{ "app", required_argument, NULL, 'o' },
		{ "no-incoming", no_argument, NULL, 'n' },
		{ "push", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "now", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_voice in;
	char err[256];
	char *jwt;
	int c;

	token_voice_defaults(&in);
	in.incoming_allow = 1;
	in.now = time(NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			in.account_sid = optarg;
			break;
		case 'k':
			in.api_key_sid = optarg;
			break;
		case 's':
			in.api_key_secret = optarg;
			break;
		case 'i':
			in.identity = optarg;
			break;
		case 'o':
			in.outgoing_application_sid = optarg;
			break;
		case 'n':
			in.incoming_allow = 0;
			break;
		case 'p':
			in.push_credential_sid = optarg;
			break;
		case 't':
			in.ttl_s = (long)number(optarg);
			break;
		case 'T':
			in.now = (time_t)number(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((jwt = token_voice_new(&in, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tokenctl: %s\n", err);
		return 1;
	}
	printf("%s\n", jwt);
	free(jwt);
	return 0;
}

static int
cmd_decode(int argc, char **argv)
{
	static const char *names[] = { "TOKEN_OK", "TOKEN_MALFORMED",
		"TOKEN_BAD_ALG", "TOKEN_BAD_SIGNATURE" };
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *secret = NULL;
	enum token_result r;
	json_t *header, *claims, *out;
	char *text;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			usage();
		secret = optarg;
	}
	if (secret == NULL || optind != argc - 1)
		usage();
	r = token_decode_claims(argv[optind], secret, &header, &claims);
	if (r != TOKEN_OK) {
		fprintf(stderr, "tokenctl: %s\n",
		    (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r]
								 : "?");
		return 1;
	}
	out = json_pack("{s:o, s:o}", "header", header, "claims", claims);
	text = out ? json_dumps(out, JSON_COMPACT) : NULL;
	if (text == NULL) {
		fprintf(stderr, "tokenctl: out of memory\n");
		json_decref(out);
		return 1;
	}
	printf("%s\n", text);
	free(text);
	json_decref(out);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "new") == 0)
		return cmd_new(argc - 1, argv + 1);
	if (strcmp(argv[1], "decode") == 0)
		return cmd_decode(argc - 1, argv + 1);
	usage();
	return 2;
}
