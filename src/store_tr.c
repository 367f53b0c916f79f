/*
 * Store helpers of TaskRouter state (workspace SIDs, tasks, reservations,
 * worker activity).  See include/store.h.
 */
#include "store.h"

const struct db_stmt store_tr_statements[] = {
	{ NULL, NULL, 0 },
};
