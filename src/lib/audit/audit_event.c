#include "audit_event.h"

#include <time.h>

#include "audit_record.h"

size_t cai_audit_stamp(char *out, size_t cap, pid_t pid, uid_t uid, gid_t gid, const char *container_json,
		       const struct ucred *sent_as)
{
	char sent[96] = "";
	if (sent_as)
		snprintf(sent, sizeof(sent), ",\"sent_as\":{\"pid\":%ld,\"uid\":%lu,\"gid\":%lu}", (long)sent_as->pid,
			 (unsigned long)sent_as->uid, (unsigned long)sent_as->gid);
	int n = snprintf(out, cap, ",\"peer\":{\"pid\":%ld,\"uid\":%lu,\"gid\":%lu%s}%s%s}", (long)pid,
			 (unsigned long)uid, (unsigned long)gid, sent, container_json ? ",\"container\":" : "",
			 container_json ? container_json : "");
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

void cai_audit_now(char ts[static 40], char *mono)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	cai_fmt_utc(ts, rt.tv_sec, rt.tv_nsec);
	if (mono) {
		struct timespec m;
		clock_gettime(CLOCK_MONOTONIC, &m);
		cai_fmt_mono(mono, m.tv_sec, m.tv_nsec);
	}
}

static jv peer_jv(pid_t pid, uid_t uid, gid_t gid)
{
	jv p = jv_object();
	p = jv_object_set(p, jv_string("pid"), jv_number(pid));
	p = jv_object_set(p, jv_string("uid"), jv_number(uid));
	p = jv_object_set(p, jv_string("gid"), jv_number(gid));
	return p;
}

jv cai_audit_rejected_record(const char *reason, size_t bytes, pid_t pid, uid_t uid, gid_t gid)
{
	char when[40];
	cai_audit_now(when, NULL);
	jv r = jv_object();
	r = jv_object_set(r, jv_string("v"), jv_number(CAI_AUDIT_SCHEMA_VERSION));
	r = jv_object_set(r, jv_string("ts"), jv_string(when));
	jv why = jv_object();
	why = jv_object_set(why, jv_string("reason"), jv_string(reason));
	why = jv_object_set(why, jv_string("bytes"), jv_number((double)bytes));
	r = jv_object_set(r, jv_string("rejected"), why);
	return jv_object_set(r, jv_string("peer"), peer_jv(pid, uid, gid));
}
