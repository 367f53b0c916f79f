#ifndef RAMAL_STORE_H
#define RAMAL_STORE_H

#include "db.h"

/*
 * The SQL ramal runs is in the store modules, one per family of tables
 * (store_tenant.h, store_user.h, store_number.h, store_call.h,
 * store_hold.h, store_outbound.h, store_tr.h, store_auth.h,
 * store_events.h), each with its table of named prepared statements and
 * typed helpers over them.  Every helper takes a connection the caller
 * holds (db_acquire) so a handler decides its own transaction boundaries.
 */

/*
 * The statement table for db_init(), ending with a NULL name: every
 * module's statements, merged on the first call (call it once, before
 * threads start).
 */
const struct db_stmt *store_statements(void);

#endif
