/*
 * Recording status callbacks and the recording.archive job.  See
 * include/calls/voice.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "paths.h"
#include "callflow.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "store_call.h"
#include "twparam.h"
#include "util.h"
#include "voice.h"

#define ARCHIVE_KIND "recording.archive"


static int
valid_count(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 9 && strspn(s, "0123456789") == n;
}

/* Queue the archive job of a completed recording on c's transaction. */
static enum db_result
queue_archive(struct db_conn *c, const struct store_recording *rec)
{
	json_t *payload;
	enum db_result res;

	payload = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "recording_sid",
	    rec->recording_sid, "call_sid", rec->call_sid, "url", rec->url,
	    "channels", rec->channels, "account_sid", rec->account_sid);
	if (payload == NULL)
		return DB_ERR;
	res = job_enqueue(c, ARCHIVE_KIND, payload, rec->recording_sid, 0,
	    rec->account_sid);
	json_decref(payload);
	return res;
}

enum outcome
voice_recording_apply(struct db_conn *c, const struct form *f)
{
	struct store_recording rec;
	enum db_result res;
	const char *url, *ch;
	char started[32];
	int archive = 0;
	enum outcome result;

	memset(&rec, 0, sizeof(rec));
	rec.account_sid = form_get(f, "AccountSid");
	rec.recording_sid = form_get(f, "RecordingSid");
	rec.call_sid = form_get(f, "CallSid");
	if (!twparam_sid(rec.call_sid, "CA"))
		rec.call_sid = NULL;
	url = form_get(f, "RecordingUrl");
	if (url != NULL &&
	    (strncmp(url, "https://", 8) == 0 ||
		strncmp(url, "http://", 7) == 0))
		rec.url = url;
	rec.status = form_get(f, "RecordingStatus");
	rec.rank = store_recording_rank(rec.status);
	ch = form_get(f, "RecordingChannels");
	if (ch != NULL && (strcmp(ch, "1") == 0 || strcmp(ch, "2") == 0))
		rec.channels = ch;
	rec.duration_s = form_get(f, "RecordingDuration");
	if (!valid_count(rec.duration_s))
		rec.duration_s = NULL;
	rec.source = form_get(f, "RecordingSource");
	rec.track = form_get(f, "RecordingTrack");
	if (twparam_rfc2822(form_get(f, "RecordingStartTime"), started,
		sizeof(started)) == 0)
		rec.started_at = started;
	rec.error_code = form_get(f, "ErrorCode");
	if (!twparam_sid(rec.recording_sid, "RE")) {
		log_kv(LOG_WARN,
		    "recording callback without a valid "
		    "RecordingSid",
		    NULL);
		return OUTCOME_NEVER;
	}
	if (rec.rank < 0) {
		log_kv(LOG_WARN,
		    "recording callback with an unknown status: "
		    "ignored",
		    "recording", rec.recording_sid, "status", rec.status, NULL);
		return OUTCOME_DONE;
	}
	if (c == NULL)
		return OUTCOME_LATER;
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto fail;
	if ((res = store_call_recording(c, &rec, &archive)) != DB_OK)
		goto fail;
	if (archive && (res = queue_archive(c, &rec)) != DB_OK)
		goto fail;
	if ((res = db_simple(c, "COMMIT")) != DB_OK)
		goto fail;
	log_kv(LOG_INFO, "recording stored", "recording", rec.recording_sid,
	    "status", rec.status, "archive", archive ? "queued" : NULL, NULL);
	return OUTCOME_DONE;
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	switch (res) {
	case DB_NOTFOUND:
		log_kv(LOG_WARN, "recording not stored: unknown account",
		    "account", rec.account_sid, NULL);
		result = OUTCOME_NEVER;
		break;
	case DB_INVALID:
	case DB_CONFLICT:
		log_kv(LOG_WARN, "recording not stored: invalid data",
		    "recording", rec.recording_sid, NULL);
		result = OUTCOME_NEVER;
		break;
	case DB_FOREIGN: /* another tenant's recording or call: logged */
		result = OUTCOME_REFUSED;
		break;
	default:
		result = OUTCOME_LATER;
		break;
	}
	return result;
}

int
voice_recording(struct http_req *r)
{
	struct db_conn *c;
	char received_at[32];
	const char *body;
	size_t len;
	enum outcome rc;

	util_rfc3339_now(received_at, sizeof(received_at));
	c = db_acquire();
	rc = voice_recording_apply(c, http_req_form(r));
	db_release(c);
	switch (rc) {
	case OUTCOME_DONE:
		break;
	case OUTCOME_NEVER:
	case OUTCOME_REFUSED: /* answered as invalid data */
		return http_reply_error(r, 400,
		    "recording callback cannot be stored (see the log)");
	case OUTCOME_LATER:
		body = http_req_body(r, &len);
		if (spool_put(PATH_RECORDING, received_at, body, len) != 0)
			return http_reply_error(r, 503,
			    "temporarily unavailable");
		log_kv(LOG_WARN,
		    "recording callback spooled: database unavailable", NULL);
		break;
	}
	return callflow_reply_empty(r);
}

int
voice_job_recording_archive(const struct job *j, char *err, size_t errlen)
{
	const char *sid =
	    json_string_value(json_object_get(j->payload, "recording_sid"));

	if (!twparam_sid(sid, "RE")) {
		snprintf(err, errlen, "payload has no valid recording_sid");
		return JOB_FAIL;
	}
	/*
	 * Until recordings are copied to S3 (a later issue) the job only
	 * notes that the recording waits for it; the recording stays at
	 * Twilio, untouched.
	 */
	switch (store_call_archive_state_pg(j->pg, sid, "awaiting-s3")) {
	case DB_OK:
		log_kv(LOG_INFO, "recording awaits S3 archiving", "recording",
		    sid, NULL);
		return JOB_DONE;
	case DB_NOTFOUND:
		log_kv(LOG_WARN,
		    "recording to archive is gone or already further",
		    "recording", sid, NULL);
		return JOB_DONE;
	default:
		snprintf(err, errlen, "cannot update recording %s", sid);
		return JOB_RETRY;
	}
}
