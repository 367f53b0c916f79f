/*
 * phone_normalize on arbitrary bytes.  Beyond "no crash": an accepted
 * number is "+" and 8-15 digits (a Brazilian one +55, a valid DDD, and a
 * landline 2-5 or a mobile 9 + 1-9), normalising it again gives itself,
 * and a refusal always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[PHONE_INPUT_MAX + 16], out[PHONE_E164_MAX],
	    again[PHONE_E164_MAX];
	const char *why = NULL;
	enum phone_kind kind, kind2;
	size_t n;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (phone_normalize(in, out, sizeof(out), &kind, &why) != 0) {
		if (why == NULL || out[0] != '\0')
			abort();
		return 0;
	}
	n = strlen(out);
	if (out[0] != '+' || n < 9 || n > 16 ||
	    strspn(out + 1, "0123456789") != n - 1 || out[1] == '0')
		abort();
	if (kind != PHONE_INTERNATIONAL) {
		if (strncmp(out, "+55", 3) != 0 || !phone_ddd_valid(out + 3))
			abort();
		if (kind == PHONE_BR_MOBILE &&
		    (n != 14 || out[5] != '9' || out[6] == '0'))
			abort();
		if (kind == PHONE_BR_LANDLINE &&
		    (n != 13 || out[5] < '2' || out[5] > '5'))
			abort();
	}
	if (phone_normalize(out, again, sizeof(again), &kind2, NULL) != 0 ||
	    strcmp(out, again) != 0 || kind2 != kind)
		abort();
	return 0;
}
