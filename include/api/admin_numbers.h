#ifndef RAMAL_ADMIN_NUMBERS_H
#define RAMAL_ADMIN_NUMBERS_H

struct http_req;

/*
 * The admin API of the signed-in admin's tenant numbers (docs/api.md,
 * "Numbers"), the same code as `ramal number` (account/numbers.h):
 *
 *	GET    /api/admin/numbers              the numbers (as stored)
 *	GET    /api/admin/numbers/search?ddd=  numbers for sale
 *	POST   /api/admin/numbers              buy (idempotent by number)
 *	PATCH  /api/admin/numbers/{sid}        owner and label
 *	DELETE /api/admin/numbers/{sid}        release (?force=true for an
 *	                                       agent's dedicated line)
 *
 * Routes of the admin role (auth_guard_admin) on HTTP_WORKERS threads.
 * Search, buy and release ask Twilio while the request waits (a few
 * seconds at most per request to Twilio, TWAPI_TIMEOUT_MS at worst):
 * rare operations an admin starts and waits for.  Errors are
 * {"error", "request_id"} plus "twilio_code" when Twilio refused: 400
 * bad input, 404 no such number, 409 a rule refused (dedicated line,
 * another environment, another tenant's number), 502 Twilio, 503 the
 * database.
 */
int admin_numbers_list(struct http_req *r);
int admin_numbers_search(struct http_req *r);
int admin_numbers_buy(struct http_req *r);
int admin_numbers_update(struct http_req *r);
int admin_numbers_release(struct http_req *r);

#endif
