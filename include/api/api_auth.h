#ifndef RAMAL_API_AUTH_H
#define RAMAL_API_AUTH_H

struct http_req;

/*
 * The sign-in endpoints of the app API (docs/api.md, "Agents and login").
 * Each answers with JSON and returns 0, or -1 (the core answers 500).
 * Thread-safe.
 */

/*
 * POST /api/login (open), body {"email", "password"[,
 * "account"]}: 200 with {token, csrf_token, expires_at, user} and the
 * ramal_session and ramal_csrf cookies; 401 for a wrong email or password
 * (one answer for every cause); 429 with Retry-After past the failure
 * limit; 409 when the password opens users of several tenants and no
 * "account" was given; 400 for a malformed body; 503 without database.
 */
int api_auth_login(struct http_req *r);

/*
 * POST /api/logout (auth_guard_agent): revoke the session, clear the
 * cookies, 200 {"ok": true}.
 */
int api_auth_logout(struct http_req *r);

/* GET /api/me (auth_guard_agent): the signed-in user and tenant. */
int api_auth_me(struct http_req *r);

#endif
