#ifndef RAMAL_STORE_HOLD_H
#define RAMAL_STORE_HOLD_H

#include "db.h"

/*
 * Statements of outbound calls, hold and conferences
 * (store_hold_statements[], merged by store.c).  The handlers in
 * outbound.c and hold.c run them by name with db_exec; see the comments
 * on each statement for its parameters and columns.
 */
extern const struct db_stmt store_hold_statements[];

#endif
