/*
 * Dialled strings to E.164 for Brazil.  See include/twilio/phone.h.
 *
 * Brazilian numbering (Anatel): DDD (two digits, 11-99, not all in use)
 * then 8 digits for a landline (first digit 2-5) or 9 digits for a mobile
 * (9 then 1-9).  The ninth digit became mandatory for every mobile in
 * 2016; an 8-digit number starting 6-9 is such a mobile written the old
 * way, so the 9 is put back rather than the call refused.
 */
#include <string.h>

#include "ddd.h"
#include "phone.h"

#define DIGITS_MAX 20

static const char *const r_empty = "o número está vazio";
static const char *const r_long = "o número é longo demais";
static const char *const r_char = "o número tem caracteres inválidos";
static const char *const r_plus = "o sinal de mais só pode vir no início";
static const char *const r_short = "números curtos e de serviço não são "
				   "discados por aqui";
static const char *const r_no_ddd = "falta o DDD";
static const char *const r_ddd = "o DDD não existe";
static const char *const r_special = "números 0800, 0300, 0303, 0500 e "
				     "0900 não são discados por aqui";
static const char *const r_intl00 = "para ligações internacionais use o "
				    "sinal de mais e o código do país";
static const char *const r_first = "o número local deve começar com 2 a 5 "
				   "para fixo ou 9 para celular";
static const char *const r_mobile = "o celular deve ter 9 dígitos, "
				    "começando com 9";
static const char *const r_len = "quantidade de dígitos inválida para um "
				 "número brasileiro";
static const char *const r_intl = "número internacional inválido";

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
phone_ddd_valid(const char *d)
{
	return ddd_find(d) != NULL;
}

static int
fail(char *out, const char **reason, const char *why)
{
	out[0] = '\0';
	if (reason != NULL)
		*reason = why;
	return -1;
}

/*
 * n digits of a national number (DDD + subscriber) at d into out as
 * +55...  0 / -1 with *why.
 */
static int
national(const char *d, size_t n, char *out, size_t outlen,
    enum phone_kind *kind, const char **why)
{
	const char *sub = d + 2;
	int mobile;

	if (n < 10) {
		*why = n == 8 || n == 9 ? r_no_ddd : r_len;
		return -1;
	}
	if (n > 11) {
		*why = r_len;
		return -1;
	}
	if (!phone_ddd_valid(d)) {
		*why = r_ddd;
		return -1;
	}
	if (n == 11) {
		if (sub[0] != '9' || sub[1] == '0') {
			*why = r_mobile;
			return -1;
		}
		mobile = 1;
	} else if (sub[0] >= '2' && sub[0] <= '5') {
		mobile = 0;
	} else if (sub[0] >= '6' && sub[0] <= '9') {
		mobile = 2; /* the ninth digit is missing */
	} else {
		*why = r_first;
		return -1;
	}
	if (outlen < PHONE_E164_MAX) {
		*why = r_long;
		return -1;
	}
	memcpy(out, "+55", 3);
	memcpy(out + 3, d, 2);
	if (mobile == 2) {
		out[5] = '9';
		memcpy(out + 6, sub, 8);
		out[14] = '\0';
	} else {
		memcpy(out + 5, sub, n - 2);
		out[3 + n] = '\0';
	}
	if (kind != NULL)
		*kind = mobile ? PHONE_BR_MOBILE : PHONE_BR_LANDLINE;
	return 0;
}

int
phone_normalize(const char *s, char *out, size_t outlen, enum phone_kind *kind,
    const char **reason)
{
	char d[DIGITS_MAX + 1];
	const char *why = NULL;
	size_t n = 0, len, skip;
	int plus = 0, seen = 0;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (s == NULL)
		return fail(out, reason, r_empty);
	len = strnlen(s, PHONE_INPUT_MAX + 1);
	if (len > PHONE_INPUT_MAX)
		return fail(out, reason, r_long);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (is_digit(c)) {
			if (n == DIGITS_MAX)
				return fail(out, reason, r_long);
			d[n++] = c;
			seen = 1;
		} else if (c == '+') {
			if (seen || plus)
				return fail(out, reason, r_plus);
			plus = 1;
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' ||
		    c == ')' || c == '\t') {
			if (c != ' ' && c != '\t')
				seen = 1;
		} else {
			return fail(out, reason, r_char);
		}
	}
	d[n] = '\0';
	if (n == 0)
		return fail(out, reason, r_empty);

	if (plus) {
		if (n >= 2 && d[0] == '5' && d[1] == '5') {
			if (national(d + 2, n - 2, out, outlen, kind, &why) !=
			    0)
				return fail(out, reason, why);
			return 0;
		}
		if (n < 8 || n > 15 || d[0] == '0' || outlen < n + 2)
			return fail(out, reason, r_intl);
		out[0] = '+';
		memcpy(out + 1, d, n + 1);
		if (kind != NULL)
			*kind = PHONE_INTERNATIONAL;
		return 0;
	}
	if (n <= 6)
		return fail(out, reason, r_short);
	if (d[0] == '0') {
		if (d[1] == '0')
			return fail(out, reason, r_intl00);
		if (n == 11 &&
		    (strncmp(d, "0800", 4) == 0 || strncmp(d, "0300", 4) == 0 ||
			strncmp(d, "0303", 4) == 0 ||
			strncmp(d, "0500", 4) == 0 ||
			strncmp(d, "0900", 4) == 0))
			return fail(out, reason, r_special);
		/* 0 + DDD + number, or 0 + carrier + DDD + number */
		if (n < 11 || n > 14)
			return fail(out, reason, r_len);
		skip = n <= 12 ? 1 : 3;
		if (national(d + skip, n - skip, out, outlen, kind, &why) != 0)
			return fail(out, reason, why);
		return 0;
	}
	if ((n == 12 || n == 13) && d[0] == '5' && d[1] == '5') {
		if (national(d + 2, n - 2, out, outlen, kind, &why) != 0)
			return fail(out, reason, why);
		return 0;
	}
	if (national(d, n, out, outlen, kind, &why) != 0)
		return fail(out, reason, why);
	return 0;
}
