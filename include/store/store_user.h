#ifndef RAMAL_STORE_USER_H
#define RAMAL_STORE_USER_H

#include "db.h"

/*
 * Statements of users as the operator commands manage them
 * (store_user_statements[], merged by store.c): user_create, user_list,
 * user_set_status.  Sign-in's reads and writes of users are in
 * store_auth.h, agent status in store_events.h.
 */
extern const struct db_stmt store_user_statements[];

#endif
