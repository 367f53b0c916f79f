/*
 * The statement table of every store module.  See include/store/store.h.
 */
#include <stddef.h>

#include "store.h"
#include "store_alerts.h"
#include "store_auth.h"
#include "store_call.h"
#include "store_callbacks.h"
#include "store_events.h"
#include "store_hold.h"
#include "store_number.h"
#include "store_outbound.h"
#include "store_scope.h"
#include "store_tenant.h"
#include "store_tr.h"
#include "store_user.h"
#include "util.h"

/* Every module's table, merged once into one NULL-ended array. */
static const struct db_stmt *const tables[] = { store_tenant_statements,
	store_user_statements, store_number_statements, store_call_statements,
	store_tr_statements, store_auth_statements, store_hold_statements,
	store_outbound_statements, store_events_statements,
	store_scope_statements, store_alerts_statements,
	store_callbacks_statements };

const struct db_stmt *
store_statements(void)
{
	static struct db_stmt *merged;
	size_t n = 0, k = 0;

	if (merged != NULL)
		return merged;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct db_stmt *st = tables[t]; st->name; st++)
			n++;
	merged = xcalloc(n + 1, sizeof(*merged));
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct db_stmt *st = tables[t]; st->name; st++)
			merged[k++] = *st;
	return merged;
}
