/*
 * token_decode_claims on arbitrary input: never crashes or leaks, and
 * accepts nothing that was not signed with the secret (a fuzzer cannot
 * forge HMAC-SHA256, so any TOKEN_OK here is a bug).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *header = NULL, *claims = NULL;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (token_decode_claims(text, "fuzz-secret", &header, &claims) ==
	    TOKEN_OK)
		abort();
	json_decref(header);
	json_decref(claims);
	free(text);
	return 0;
}
