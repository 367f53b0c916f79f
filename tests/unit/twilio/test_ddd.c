/*
 * ddd: Brazil's area codes and their states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ddd.h"

static void
test_known_codes(void **state)
{
	static const struct {
		const char *code, *uf, *state;
	} known[] = {
		{ "11", "SP", "São Paulo" },
		{ "19", "SP", "São Paulo" },
		{ "21", "RJ", "Rio de Janeiro" },
		{ "27", "ES", "Espírito Santo" },
		{ "31", "MG", "Minas Gerais" },
		{ "41", "PR", "Paraná" },
		{ "48", "SC", "Santa Catarina" },
		{ "51", "RS", "Rio Grande do Sul" },
		{ "61", "DF", "Distrito Federal" },
		{ "62", "GO", "Goiás" },
		{ "64", "GO", "Goiás" },
		{ "63", "TO", "Tocantins" },
		{ "68", "AC", "Acre" },
		{ "71", "BA", "Bahia" },
		{ "79", "SE", "Sergipe" },
		{ "81", "PE", "Pernambuco" },
		{ "87", "PE", "Pernambuco" },
		{ "85", "CE", "Ceará" },
		{ "92", "AM", "Amazonas" },
		{ "96", "AP", "Amapá" },
		{ "98", "MA", "Maranhão" },
		{ "99", "MA", "Maranhão" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct ddd *d = ddd_parse(known[i].code);

		assert_non_null(d);
		assert_string_equal(d->code, known[i].code);
		assert_string_equal(d->uf, known[i].uf);
		assert_string_equal(d->state, known[i].state);
	}
	/* ddd_find reads two digits whatever follows them */
	assert_string_equal(ddd_find("1130001234")->uf, "SP");
}

static void
test_codes_not_in_use(void **state)
{
	static const char *const bad[] = { "20", "23", "25", "26", "29", "30",
		"36", "39", "40", "50", "52", "56", "57", "58", "59", "60",
		"70", "72", "76", "78", "80", "90", "00", "01", "10", NULL };

	(void)state;
	for (int i = 0; bad[i] != NULL; i++)
		assert_null(ddd_parse(bad[i]));
	assert_null(ddd_parse("1"));
	assert_null(ddd_parse("111"));
	assert_null(ddd_parse("1a"));
	assert_null(ddd_parse(""));
	assert_null(ddd_parse(NULL));
	assert_null(ddd_find(NULL));
}

static void
test_table_covers_every_state(void **state)
{
	char seen[28][3];
	size_t nuf = 0, total = 0;

	(void)state;
	for (size_t i = 0; i < DDD_COUNT; i++) {
		const struct ddd *d = ddd_at(i);
		size_t k;

		assert_non_null(d);
		/* ascending, each code once */
		if (i > 0)
			assert_true(strcmp(ddd_at(i - 1)->code, d->code) < 0);
		for (k = 0; k < nuf; k++)
			if (strcmp(seen[k], d->uf) == 0)
				break;
		if (k == nuf) {
			assert_true(nuf < 28);
			memcpy(seen[nuf++], d->uf, 3);
		}
	}
	assert_null(ddd_at(DDD_COUNT));
	assert_int_equal(nuf, 27); /* 26 states and the Distrito Federal */
	for (size_t k = 0; k < nuf; k++)
		total += ddd_of_uf(seen[k], NULL, NULL, 0);
	assert_int_equal(total, DDD_COUNT);
}

static void
test_same_state(void **state)
{
	const struct ddd *out[16];
	size_t n;

	(void)state;
	n = ddd_of_uf("SP", "11", out, 16);
	assert_int_equal(n, 8);
	assert_string_equal(out[0]->code, "12");
	assert_string_equal(out[7]->code, "19");
	n = ddd_of_uf("RJ", "21", out, 16);
	assert_int_equal(n, 2);
	assert_string_equal(out[0]->code, "22");
	assert_string_equal(out[1]->code, "24");
	/* a state with one code has nothing else to offer */
	assert_int_equal(ddd_of_uf("DF", "61", out, 16), 0);
	assert_int_equal(ddd_of_uf("GO", NULL, out, 16), 2);
	assert_string_equal(out[1]->code, "64");
	/* only max are written, all are counted */
	out[1] = NULL;
	assert_int_equal(ddd_of_uf("PR", NULL, out, 1), 6);
	assert_string_equal(out[0]->code, "41");
	assert_null(out[1]);
	assert_int_equal(ddd_of_uf("XX", NULL, out, 16), 0);
	assert_int_equal(ddd_of_uf(NULL, NULL, out, 16), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_codes),
		cmocka_unit_test(test_codes_not_in_use),
		cmocka_unit_test(test_table_covers_every_state),
		cmocka_unit_test(test_same_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
