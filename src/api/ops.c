/*
 * Operations endpoints: liveness, readiness, metrics.
 */
#include <stdio.h>

#include "buf.h"
#include "auth.h"
#include "connwatch.h"
#include "db.h"
#include "db_group.h"
#include "events.h"
#include "http.h"
#include "job.h"
#include "metrics.h"
#include "session_cache.h"
#include "spool.h"
#include "tenant.h"
#include "ops.h"

extern const char ramal_version[];

int
ops_healthz(struct http_req *r)
{
	return http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

int
ops_readyz(struct http_req *r)
{
	if (db_ping())
		return http_reply_json(r, 200,
		    json_pack("{s:s}", "status", "ready"));
	return http_reply_json(r, 503,
	    json_pack("{s:s, s:s}", "status", "unavailable", "error",
		"database unreachable"));
}

int
ops_metrics(struct http_req *r)
{
	struct buf b;
	struct db_stats st;
	struct db_group_stats gs;
	struct session_cache_stats sc;
	struct connwatch_stats cw;
	struct tenant_stats ts;
	struct spool_stats ss;
	struct db_conn *c;
	char *text;
	size_t len;

	buf_init(&b, 1024 * 1024);
	if (metrics_render(&b) != 0)
		goto fail;
	db_stats(&st);
	if (buf_printf(&b,
		"# HELP ramal_db_pool_connections Open PostgreSQL "
		"connections by state.\n"
		"# TYPE ramal_db_pool_connections gauge\n"
		"ramal_db_pool_connections{state=\"in_use\"} %d\n"
		"ramal_db_pool_connections{state=\"idle\"} %d\n"
		"# HELP ramal_db_pool_size Most connections the pool opens.\n"
		"# TYPE ramal_db_pool_size gauge\n"
		"ramal_db_pool_size %d\n"
		"# HELP ramal_db_pool_timeouts_total Waits for a connection "
		"that timed out.\n"
		"# TYPE ramal_db_pool_timeouts_total counter\n"
		"ramal_db_pool_timeouts_total %lu\n"
		"# HELP ramal_db_connect_failures_total Failed connection "
		"attempts.\n"
		"# TYPE ramal_db_connect_failures_total counter\n"
		"ramal_db_connect_failures_total %lu\n"
		"# HELP ramal_http_inflight_requests Requests being served "
		"(open event streams included).\n"
		"# TYPE ramal_http_inflight_requests gauge\n"
		"ramal_http_inflight_requests %d\n"
		"# HELP ramal_events_streams Open GET /api/events streams.\n"
		"# TYPE ramal_events_streams gauge\n"
		"ramal_events_streams %d\n"
		"# HELP ramal_build_info Build version.\n"
		"# TYPE ramal_build_info gauge\n"
		"ramal_build_info{version=\"%s\"} 1\n",
		st.in_use, st.idle, st.size, st.waits_timed_out,
		st.connects_failed, http_inflight(), events_clients(),
		ramal_version) != 0)
		goto fail;
	connwatch_stats(&cw);
	if (buf_printf(&b,
		"# HELP ramal_auth_password_hashes_total scrypt hashes "
		"computed (sign-in runs the same number for every attempt).\n"
		"# TYPE ramal_auth_password_hashes_total counter\n"
		"ramal_auth_password_hashes_total %lu\n",
		auth_password_hashes()) != 0)
		goto fail;
	if (buf_printf(&b,
		"# HELP ramal_http_cut_total Connections the server closed "
		"for being slow or idle when slots ran out.\n"
		"# TYPE ramal_http_cut_total counter\n"
		"ramal_http_cut_total{cause=\"head_timeout\"} %llu\n"
		"ramal_http_cut_total{cause=\"slow_body\"} %llu\n"
		"ramal_http_cut_total{cause=\"reserve\"} %llu\n",
		(unsigned long long)cw.head_timeouts,
		(unsigned long long)cw.slow_bodies,
		(unsigned long long)cw.reserve) != 0)
		goto fail;
	session_cache_stats(&sc);
	if (buf_printf(&b,
		"# HELP ramal_session_cache_lookups_total Session look-ups "
		"by the in-process cache: hit, miss (read from PostgreSQL), "
		"bypass (cache off, or its NOTIFY channel down).\n"
		"# TYPE ramal_session_cache_lookups_total counter\n"
		"ramal_session_cache_lookups_total{result=\"hit\"} %llu\n"
		"ramal_session_cache_lookups_total{result=\"miss\"} %llu\n"
		"ramal_session_cache_lookups_total{result=\"bypass\"} %llu\n"
		"# HELP ramal_session_cache_invalidations_total Entries "
		"dropped by NOTIFY, sign-out or reconnect (events).\n"
		"# TYPE ramal_session_cache_invalidations_total counter\n"
		"ramal_session_cache_invalidations_total %llu\n"
		"# HELP ramal_session_cache_healthy 1 while cached sessions "
		"may be served (enabled and LISTENing).\n"
		"# TYPE ramal_session_cache_healthy gauge\n"
		"ramal_session_cache_healthy %d\n",
		(unsigned long long)sc.hits, (unsigned long long)sc.misses,
		(unsigned long long)sc.bypassed,
		(unsigned long long)sc.invalidations,
		sc.enabled && sc.healthy) != 0)
		goto fail;
	tenant_stats(&ts);
	if (buf_printf(&b,
		"# HELP ramal_tenant_key_lookups_total Signature-key look-ups "
		"of subaccounts: hit (cached), stale (cached, past "
		"TENANT_CACHE_S, database unreachable), miss (read: found), "
		"unknown (read: not found), negative (remembered unknown, not "
		"read), refused (not cached, look-up budget spent, not read), "
		"unavailable (not cached, database unreachable), reload "
		"(read again after a mismatch).\n"
		"# TYPE ramal_tenant_key_lookups_total counter\n"
		"ramal_tenant_key_lookups_total{result=\"hit\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"stale\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"miss\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"unknown\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"negative\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"refused\"} %llu\n"
		"ramal_tenant_key_lookups_total{result=\"unavailable\"} "
		"%llu\n"
		"ramal_tenant_key_lookups_total{result=\"reload\"} %llu\n"
		"# HELP ramal_tenant_keys_cached Subaccount keys in the "
		"cache.\n"
		"# TYPE ramal_tenant_keys_cached gauge\n"
		"ramal_tenant_keys_cached %d\n",
		ts.hit, ts.stale, ts.miss, ts.unknown, ts.negative, ts.refused,
		ts.unavailable, ts.reload, ts.known) != 0)
		goto fail;
	spool_stats(&ss);
	if (buf_printf(&b,
		"# HELP ramal_spool_files Events waiting in the spool.\n"
		"# TYPE ramal_spool_files gauge\n"
		"ramal_spool_files %d\n"
		"# HELP ramal_spool_unverified_files Of which spooled before "
		"their signature could be checked (SPOOL_UNVERIFIED_MAX_FILES)."
		"\n"
		"# TYPE ramal_spool_unverified_files gauge\n"
		"ramal_spool_unverified_files %d\n"
		"# HELP ramal_spool_unverified_bytes Their size on disk "
		"(SPOOL_UNVERIFIED_MAX_BYTES).\n"
		"# TYPE ramal_spool_unverified_bytes gauge\n"
		"ramal_spool_unverified_bytes %lld\n"
		"# HELP ramal_spool_refused_total Events the spool refused: "
		"unverified (quota full, answered 503), full (its cap of "
		"waiting events).\n"
		"# TYPE ramal_spool_refused_total counter\n"
		"ramal_spool_refused_total{reason=\"unverified\"} %llu\n"
		"ramal_spool_refused_total{reason=\"full\"} %llu\n",
		ss.pending, ss.unverified_files, ss.unverified_bytes,
		ss.refused_unverified, ss.refused_full) != 0)
		goto fail;
	db_group_stats(&gs);
	if (buf_printf(&b,
		"# HELP ramal_db_group_batches_total Group-commit "
		"transactions of webhook writes.\n"
		"# TYPE ramal_db_group_batches_total counter\n"
		"ramal_db_group_batches_total %lu\n"
		"# HELP ramal_db_group_statements_total Statements committed "
		"in them.\n"
		"# TYPE ramal_db_group_statements_total counter\n"
		"ramal_db_group_statements_total %lu\n"
		"# HELP ramal_db_group_largest Most statements one of them "
		"carried.\n"
		"# TYPE ramal_db_group_largest gauge\n"
		"ramal_db_group_largest %lu\n"
		"# HELP ramal_db_group_queued Statements waiting for the "
		"next group.\n"
		"# TYPE ramal_db_group_queued gauge\n"
		"ramal_db_group_queued %lu\n",
		gs.batches, gs.statements, gs.largest, gs.queued) != 0)
		goto fail;
	/* Queue depth needs the database; without it, just leave it out. */
	if ((c = db_acquire()) != NULL) {
		job_metrics_render(&b, c);
		db_release(c);
	}
	text = buf_take(&b, &len);
	return http_reply_take(r, 200, "text/plain; version=0.0.4", text, len);
fail:
	buf_cleanup(&b);
	return -1;
}
