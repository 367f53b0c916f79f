/*
 * xmlmini: the TwiML reader behind `ramal simulate`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twiml.h"
#include "xmlmini.h"

static void
test_reads_what_twiml_builds(void **state)
{
	struct twiml t;
	struct xmlmini_el *root;
	const struct xmlmini_el *dial, *client;
	size_t len;
	char *doc;

	(void)state;
	twiml_init(&t);
	twiml_leaf(&t, "Say", "Olá & <bem-vindo> \"sim\"", "language", "pt-BR",
	    NULL);
	twiml_open(&t, "Dial", "action", "https://x.test/a?b=1&c=2", "timeout",
	    "20", NULL);
	twiml_open(&t, "Client", "url", "https://x.test/w?r='d'", NULL);
	twiml_leaf(&t, "Identity", "ana", NULL);
	twiml_close(&t);
	twiml_close(&t);
	twiml_leaf(&t, "Pause", "linha 1\nlinha\t2", NULL);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	doc = twiml_finish(&t, &len);
	assert_non_null(doc);

	root = xmlmini_parse(doc, len);
	assert_non_null(root);
	assert_string_equal(root->name, "Response");
	assert_string_equal(root->child->name, "Say");
	assert_string_equal(root->child->text, "Olá & <bem-vindo> \"sim\"");
	assert_string_equal(xmlmini_attr(root->child, "language"), "pt-BR");
	dial = xmlmini_child(root, "Dial");
	assert_non_null(dial);
	assert_string_equal(xmlmini_attr(dial, "action"),
	    "https://x.test/a?b=1&c=2");
	client = xmlmini_child(dial, "Client");
	assert_string_equal(xmlmini_attr(client, "url"),
	    "https://x.test/w?r='d'");
	assert_string_equal(xmlmini_child(client, "Identity")->text, "ana");
	/* twiml writes LF and tab as &#10; and &#9; */
	assert_string_equal(xmlmini_child(root, "Pause")->text,
	    "linha 1\nlinha\t2");
	assert_non_null(xmlmini_child(root, "Hangup"));
	assert_null(xmlmini_child(root, "Enqueue"));
	assert_null(xmlmini_attr(dial, "record"));
	xmlmini_free(root);
	free(doc);
}

static void
test_rejects_malformed(void **state)
{
	static const char *const bad[] = { "", "<Response>",
		"<Response></Dial>", "<Response a=1/>", "<Response a=\"1/>",
		"<Response>&bogus;</Response>", "<A/><B/>", "text",
		"<Response><Say>x</Say>" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xmlmini_el *el = xmlmini_parse(bad[i], strlen(bad[i]));

		if (el != NULL)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_depth_is_bounded(void **state)
{
	char doc[4096];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<a>");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</a>");
	assert_null(xmlmini_parse(doc, n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_what_twiml_builds),
		cmocka_unit_test(test_rejects_malformed),
		cmocka_unit_test(test_depth_is_bounded),
	};

	return cmocka_run_group_tests_name("xmlmini", tests, NULL, NULL);
}
