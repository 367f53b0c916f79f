/*
 * Twilio parameter checks and conversions.  See include/twilio/twparam.h.
 */
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "twparam.h"

int
twparam_sid(const char *s, const char *prefix)
{
	return s != NULL && strlen(s) == 34 && strncmp(s, prefix, 2) == 0 &&
	    strspn(s + 2, "0123456789abcdefABCDEF") == 32;
}

int
twparam_identity(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 121 &&
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_.-") == n;
}

#define TWPARAM_IDENTITY_MAX 121
#define TWPARAM_IDENTITY_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

int
twparam_identity_safe(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= TWPARAM_IDENTITY_MAX &&
	    strspn(s, TWPARAM_IDENTITY_CHARS) == n;
}

void
twparam_identity_make_safe(const char *in, size_t n, char *out, size_t outlen)
{
	size_t len = 0, max = outlen - 1;

	if (max > TWPARAM_IDENTITY_MAX)
		max = TWPARAM_IDENTITY_MAX;
	for (size_t i = 0; i < n && in[i] != '\0' && len < max; i++) {
		if (strchr(TWPARAM_IDENTITY_CHARS, in[i]) != NULL)
			out[len++] = in[i];
		else if (i == 0 ||
		    strchr(TWPARAM_IDENTITY_CHARS, in[i - 1]) != NULL)
			out[len++] = '_'; /* the first byte of a run */
	}
	out[len] = '\0';
}

int
twparam_rfc2822(const char *s, char *out, size_t outlen)
{
	struct tm tm;
	const char *end;
	time_t t;
	long off;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	off = tm.tm_gmtoff; /* read first: timegm() resets it */
	t = timegm(&tm) - off;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

char *
twparam_json(const struct form *f)
{
	json_t *o = json_object();
	char *text;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		json_t *v = json_string(f->v[i].value);
		json_t *old = json_object_get(o, f->v[i].name);

		if (v == NULL)
			continue; /* form_parse guarantees UTF-8 */
		if (old == NULL)
			json_object_set_new(o, f->v[i].name, v);
		else if (json_is_array(old))
			json_array_append_new(old, v);
		else {
			json_t *a = json_array();

			json_array_append(a, old);
			json_array_append_new(a, v);
			json_object_set_new(o, f->v[i].name, a);
		}
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}
