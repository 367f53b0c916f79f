/*
 * Store helpers of the voice call flows (numbers, agents, calls,
 * recordings, voicemails).  See include/store.h.
 */
#include "store.h"

const struct db_stmt store_call_statements[] = {
	{ NULL, NULL, 0 },
};
