#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "twiml.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
#define TAIL "</Response>"

/* Finish t and compare the whole document with HEAD body TAIL. */
static void
expect_doc(struct twiml *t, const char *body)
{
	char *doc, *want;
	size_t len = 0;

	doc = twiml_finish(t, &len);
	assert_non_null(doc);
	want = malloc(strlen(HEAD) + strlen(body) + strlen(TAIL) + 1);
	assert_non_null(want);
	strcpy(want, HEAD);
	strcat(want, body);
	strcat(want, TAIL);
	assert_string_equal(doc, want);
	assert_int_equal(len, strlen(want));
	free(want);
	free(doc);
}

/* The escaped form of s on its own. */
static char *
escaped(const char *s)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(twiml_escape(&b, s), 0);
	return buf_take(&b, NULL);
}

static void
test_empty(void **state)
{
	struct twiml t;

	(void)state;
	twiml_init(&t);
	expect_doc(&t, "");
	twiml_cleanup(&t); /* safe after finish */
}

static void
test_document(void **state)
{
	struct twiml t;

	(void)state;
	twiml_init(&t);
	twiml_leaf(&t, "Say", "Ol\xc3\xa1", "language", "pt-BR", "voice",
	    "Polly.Camila", NULL);
	twiml_open(&t, "Dial", "action", "https://h/overflow", "timeout", "20",
	    NULL);
	twiml_leaf(&t, "Number", "+5511999990000", "url", "https://h/w", NULL);
	twiml_close(&t);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	twiml_leaf(&t, "Say", "", NULL);
	expect_doc(&t,
	    "<Say language=\"pt-BR\" voice=\"Polly.Camila\">"
	    "Ol\xc3\xa1</Say>"
	    "<Dial action=\"https://h/overflow\" timeout=\"20\">"
	    "<Number url=\"https://h/w\">+5511999990000</Number></Dial>"
	    "<Hangup/><Say></Say>");
}

static void
test_escaping(void **state)
{
	struct twiml t;
	char *s;

	(void)state;
	s = escaped("a & b < c > d \" e ' f &amp;");
	assert_string_equal(s,
	    "a &amp; b &lt; c &gt; d &quot; e &apos; f &amp;amp;");
	free(s);

	twiml_init(&t);
	twiml_leaf(&t, "Say", "<&>\"'", "voice", "<&>\"'", NULL);
	twiml_leaf(&t, "Play", "https://h/a.mp3?x=1&y=2", "loop", "0", NULL);
	expect_doc(&t,
	    "<Say voice=\"&lt;&amp;&gt;&quot;&apos;\">"
	    "&lt;&amp;&gt;&quot;&apos;</Say>"
	    "<Play loop=\"0\">https://h/a.mp3?x=1&amp;y=2</Play>");
}

static void
test_null_attributes_skipped(void **state)
{
	struct twiml t;
	const char *none = NULL;

	(void)state;
	twiml_init(&t);
	twiml_leaf(&t, "Dial", NULL, "action", none, "timeout", "20",
	    "callerId", none, NULL);
	twiml_open(&t, "Enqueue", "workflowSid", none, NULL);
	twiml_close(&t);
	twiml_leaf(&t, "Record", NULL, "maxLength", "120", "action", none,
	    NULL);
	expect_doc(&t,
	    "<Dial timeout=\"20\"/><Enqueue></Enqueue>"
	    "<Record maxLength=\"120\"/>");
}

static void
test_nesting(void **state)
{
	struct twiml t;

	(void)state;
	twiml_init(&t);
	twiml_open(&t, "Dial", NULL);
	twiml_open(&t, "Client", "url", "https://h/w", NULL);
	twiml_leaf(&t, "Identity", "agent_1", NULL);
	twiml_leaf(&t, "Parameter", NULL, "name", "k", "value", "v", NULL);
	/* finish closes whatever is still open, innermost first */
	expect_doc(&t,
	    "<Dial><Client url=\"https://h/w\">"
	    "<Identity>agent_1</Identity>"
	    "<Parameter name=\"k\" value=\"v\"/></Client></Dial>");
}

static void
test_depth(void **state)
{
	struct twiml t;
	char *doc;
	int i;

	(void)state;
	twiml_init(&t);
	for (i = 0; i < TWIML_MAX_DEPTH; i++)
		twiml_open(&t, "Gather", NULL);
	doc = twiml_finish(&t, NULL);
	assert_non_null(doc);
	free(doc);

	twiml_init(&t);
	for (i = 0; i < TWIML_MAX_DEPTH; i++)
		twiml_open(&t, "Gather", NULL);
	assert_int_equal(t.depth, TWIML_MAX_DEPTH);
	assert_false(t.failed);
	twiml_open(&t, "Gather", NULL);
	assert_int_equal(t.depth, TWIML_MAX_DEPTH);
	assert_true(t.failed);
	assert_null(twiml_finish(&t, NULL));

	twiml_init(&t);
	for (i = 0; i < TWIML_MAX_DEPTH + 1; i++)
		twiml_open(&t, "Gather", NULL);
	/* Sticky: closing back down does not undo the error. */
	for (i = 0; i < TWIML_MAX_DEPTH + 1; i++)
		twiml_close(&t);
	assert_null(twiml_finish(&t, NULL));
	twiml_cleanup(&t);
}

static void
test_close_nothing_open(void **state)
{
	struct twiml t;
	size_t len = 7;

	(void)state;
	twiml_init(&t);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	twiml_close(&t);
	twiml_leaf(&t, "Say", "after", NULL);
	assert_null(twiml_finish(&t, &len));
	assert_int_equal(len, 0);
	assert_null(t.b.ptr); /* left empty */
}

static void
test_size_cap(void **state)
{
	struct twiml t;
	char *big, *doc;

	(void)state;
	big = malloc(TWIML_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, 'a', TWIML_MAX_SIZE);
	big[TWIML_MAX_SIZE] = '\0';
	twiml_init(&t);
	twiml_leaf(&t, "Say", big, NULL);
	assert_null(twiml_finish(&t, NULL));

	/* Under the cap it fits. */
	big[TWIML_MAX_SIZE - 200] = '\0';
	twiml_init(&t);
	twiml_leaf(&t, "Say", big, NULL);
	doc = twiml_finish(&t, NULL);
	assert_non_null(doc);
	free(doc);

	/* Escaping multiplies the size: still refused, not truncated. */
	memset(big, '&', TWIML_MAX_SIZE / 4);
	big[TWIML_MAX_SIZE / 4] = '\0';
	twiml_init(&t);
	twiml_leaf(&t, "Say", big, NULL);
	assert_null(twiml_finish(&t, NULL));
	free(big);
}

static void
test_escape_cap_unchanged(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 12);
	assert_int_equal(buf_addstr(&b, "x"), 0);
	assert_int_equal(twiml_escape(&b, "ab&cd<ef"), -1);
	assert_string_equal(buf_cstr(&b), "x");
	assert_int_equal(b.len, 1);
	assert_int_equal(twiml_escape(&b, "ab&c"), 0);
	assert_string_equal(buf_cstr(&b), "xab&amp;c");
	buf_cleanup(&b);
}

static void
test_control_chars(void **state)
{
	char *s;

	(void)state;
	s = escaped("a\x01"
		    "b\x08"
		    "c\x0b"
		    "d\x0c"
		    "e\x1f"
		    "f\x7f"
		    "g");
	assert_string_equal(s, "abcdef\x7fg");
	free(s);
	/* Tab, LF and CR stay, as references that survive parsing. */
	s = escaped("1\t2\n3\r4");
	assert_string_equal(s, "1&#9;2&#10;3&#13;4");
	free(s);
	/* U+FFFE and U+FFFF are not XML characters either. */
	s = escaped("a\xef\xbf\xbe"
		    "b\xef\xbf\xbf"
		    "c\xef\xbf\xbd");
	assert_string_equal(s, "abc\xef\xbf\xbd");
	free(s);
}

static void
test_invalid_utf8(void **state)
{
	struct twiml t;
	char *s;

	(void)state;
	s = escaped("S\xe3o");
	assert_string_equal(s, "S\xef\xbf\xbdo");
	free(s);
	s = escaped("\xc0\xaf<");
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd&lt;");
	free(s);
	s = escaped("\xed\xa0\x80"); /* a surrogate: three bad bytes */
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = escaped("end\xe2\x82"); /* cut short */
	assert_string_equal(s, "end\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = escaped("\xff\xfe");
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	/* Valid multi-byte text is untouched. */
	s = escaped("S\xc3\xa3o Jo\xc3\xa3o \xe2\x82\xac \xf0\x9f\x93\x9e");
	assert_string_equal(s,
	    "S\xc3\xa3o Jo\xc3\xa3o \xe2\x82\xac \xf0\x9f\x93\x9e");
	free(s);

	twiml_init(&t);
	twiml_leaf(&t, "Say", "a\xffz", "voice", "\x80", NULL);
	expect_doc(&t, "<Say voice=\"\xef\xbf\xbd\">a\xef\xbf\xbdz</Say>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_null_attributes_skipped),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_close_nothing_open),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_escape_cap_unchanged),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
