/* What cai-auditd writes to the log: event lines stamped with their
 * sender, rejection records, and what the quotas and a failing log have
 * cost, said at a bounded rate (the invariants are server.c's). */
#include "server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_event.h"
#include "audit_record.h"

void add_line(struct server *srv, jv rec)
{
	jv s = jv_dump_string(rec, 0); /* consumes rec */
	const char *text = jv_string_value(s);
	logsink_add(srv->log, text, strlen(text));
	jv_free(s);
}

/* A rejection record, with the connection's container like any record. */
void add_rejection(struct server *srv, const struct client *cl, const char *reason, size_t bytes, int pid, unsigned uid,
		   unsigned gid)
{
	jv rec = cai_audit_rejected_record(reason, bytes, pid, uid, gid);
	if (srv->sent_as)
		rec =
		    jv_setpath(rec, JV_ARRAY(jv_string("peer"), jv_string("sent_as")),
			       JV_OBJECT(jv_string("pid"), jv_number(srv->sent_as->pid), jv_string("uid"),
					 jv_number(srv->sent_as->uid), jv_string("gid"), jv_number(srv->sent_as->gid)));
	if (cl->peer.place != PEER_HOST)
		rec = jv_object_set(rec, jv_string("container"), jv_copy(cl->peer.container));
	add_line(srv, rec);
}

/* One event record: checked and written by cai_record_decode straight
 * into the log's buffer, then stamped; nothing a sender wrote is parsed as
 * JSON, and what reaches the log is strict JSON by construction. */
/* The end of every line from cl's sender: built once per connection (the
 * kernel's answer does not change), again only when a message's own
 * credentials differ (sent_as). Returns its length, 0 if it cannot be. */
static size_t stamp_of(struct server *srv, struct client *cl, const struct ucred *cred, char *out, size_t cap)
{
	if (srv->sent_as)
		return cai_audit_stamp(out, cap, cred->pid, cred->uid, cred->gid, cl->peer.container_json,
				       srv->sent_as);
	if (!cl->stamp || cl->stamp_for.pid != cred->pid || cl->stamp_for.uid != cred->uid ||
	    cl->stamp_for.gid != cred->gid) {
		char tmp[1024];
		size_t n =
		    cai_audit_stamp(tmp, sizeof(tmp), cred->pid, cred->uid, cred->gid, cl->peer.container_json, NULL);
		if (n == 0)
			return 0;
		free(cl->stamp);
		cl->stamp = xstrdup(tmp);
		cl->stamp_len = n;
		cl->stamp_for = *cred;
	}
	if (cl->stamp_len > cap)
		return 0;
	memcpy(out, cl->stamp, cl->stamp_len);
	return cl->stamp_len;
}

void handle_message(struct server *srv, struct client *cl, const char *buf, size_t len, bool trunc,
		    const struct ucred *cred)
{
	struct cai_error err = {0};
	struct cai_record r;
	srv->stats.received++;
	/* Over its rate, a sender's events are counted, not parsed or
	 * written (said in the log by say_over_quota). */
	if (!trunc && !quota_rate_take(&srv->quota, cl->quota_key, len, srv->now_ms)) {
		srv->stats.over_quota++;
		return;
	}
	/* The log has not been written for a while and the backlog is full:
	 * counted, and said once the log takes lines again. */
	if (logsink_full(srv->log)) {
		logsink_lost(srv->log);
		return;
	}
	bool may_claim = peer_may_claim_container(&cl->peer, cred->uid);
	const size_t stamp_max = 512 + (cl->peer.container_json ? strlen(cl->peer.container_json) : 0);
	char *out = logsink_reserve(srv->log, CAI_RECORD_JSON_MAX + stamp_max);
	int rc = trunc ? cai_error_set(&err, 0, "message too large")
		       : cai_record_decode(buf, len, may_claim, out, CAI_RECORD_JSON_MAX, &r, &err);
	if (rc == 0 && r.kind != CAI_WIRE_EVENT)
		rc = cai_error_set(&err, 0, "a control record where an event belongs");
	if (rc < 0) {
		srv->stats.rejected++;
		add_rejection(srv, cl, err.msg, len, cred->pid, cred->uid, cred->gid);
		return;
	}
	/* A sender that may claim a container is on the host: no second
	 * "container". */
	size_t n = stamp_of(srv, cl, cred, out + r.json_len, stamp_max);
	if (n == 0) {
		srv->stats.rejected++;
		add_rejection(srv, cl, "cannot stamp", len, cred->pid, cred->uid, cred->gid);
		return;
	}
	logsink_commit(srv->log, r.json_len + n);
	srv->stats.written++;
}

/* What the quotas refuse (connections over a share or out of fds, rings
 * over the budget, events over the rate) is said in the log at most once
 * every QUOTA_SAY_MS per kind, with how many: never a line per refusal,
 * never silent. */
#define QUOTA_SAY_MS 10000

const char *key_kind(long key)
{
	/* A container's socket by its number: the Nth handed over. */
	return key >= 0 ? "uid" : "container socket";
}

long key_number(long key)
{
	return key >= 0 ? key : -1 - key;
}

/* One rejection record (and a warning) unless one of its kind was said
 * less than QUOTA_SAY_MS ago (*last_ms); forced at exit. */
void say_limited(struct server *srv, long long *last_ms, bool force, long key, const char *reason)
{
	long long now = cai_mono_ms();
	if (!force && *last_ms && now - *last_ms < QUOTA_SAY_MS)
		return;
	*last_ms = now;
	jv rec = cai_audit_rejected_record(reason, 0, 0, key >= 0 ? (uid_t)key : (uid_t)-1, (gid_t)-1);
	add_line(srv, rec);
	cai_warn("%s", reason);
}

/* Events dropped over the rate since last said, per sender: a line each,
 * at most every QUOTA_SAY_MS (force: now, for a sender that leaves and at
 * exit). */
void say_over_quota(struct server *srv, struct quota_entry *e, bool force)
{
	if (e->over == e->over_said || (!force && e->over_said_ms && srv->now_ms - e->over_said_ms < QUOTA_SAY_MS))
		return;
	char reason[256];
	snprintf(reason, sizeof(reason),
		 "over the rate quota (%lld events/s, %lld bytes/s): %lu event(s) dropped since the last report, "
		 "%lu in all (%s %ld)",
		 srv->quota.events_per_sec, srv->quota.bytes_per_sec, e->over - e->over_said, e->over, key_kind(e->key),
		 key_number(e->key));
	e->over_said = e->over;
	e->over_said_ms = srv->now_ms;
	jv rec = cai_audit_rejected_record(reason, 0, 0, e->key >= 0 ? (uid_t)e->key : (uid_t)-1, (gid_t)-1);
	add_line(srv, rec);
}

void say_all_over_quota(struct server *srv, bool force)
{
	for (int i = 0; i < QUOTA_SLOTS; i++)
		if (srv->quota.e[i].n > 0)
			say_over_quota(srv, &srv->quota.e[i], force);
}

void say_refused(struct server *srv, const char *why, long key)
{
	char reason[256];
	snprintf(reason, sizeof(reason), "%s: %lu connection(s) refused so far (latest: %s %ld)", why,
		 srv->quota.refused, key_kind(key), key_number(key));
	say_limited(srv, &srv->quota.last_said_ms, false, key, reason);
}

void report_log_error(const struct cai_error *e)
{
	/* Events stay queued; said once per run of failures, not per loop
	 * (logsink leaves the message empty for the rest of the run). */
	if (e->msg[0])
		cai_warn("%s", e->msg);
}

/* The log takes lines again after failing: say in it what was lost. */
void say_log_recovered(struct server *srv)
{
	struct logsink *log = srv->log;
	char reason[256];
	snprintf(
	    reason, sizeof(reason),
	    "the log could not be written for %lld s (%s): %llu event(s) were lost, %llu since the collector started",
	    (cai_mono_ms() - log->fail_since_ms) / 1000, strerror(log->fail_errno), log->lost, log->lost_total);
	cai_warn("`%s` is written again; %s", log->path, reason);
	logsink_recovered(log);
	add_line(srv, cai_audit_rejected_record(reason, 0, 0, (uid_t)-1, (gid_t)-1));
}
