#include "egress_event.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

#include "audit_event.h"
#include "audit_wire.h"

/* "ID,NAME,listed|unlisted", or "-" for a request the helper was not
 * asked about (a client that is no agent of ours). */
static void parse_tag(const char *tag, struct cai_egress_line *out)
{
	char id[80] = "", name[256] = "", listed[16] = "";
	if (sscanf(tag, "%79[^,],%255[^,],%15s", id, name, listed) != 3 || !cai_container_id_valid(id))
		return;
	memcpy(out->container.id, id, CAI_CONTAINER_ID_LEN + 1); /* checked: 64 hex digits */
	if (strcmp(name, "-") != 0)
		snprintf(out->container.name, sizeof(out->container.name), "%s", name);
	out->listed = strcmp(listed, "listed") == 0;
}

int cai_egress_line_parse(const char *line, struct cai_egress_line *out)
{
	memset(out, 0, sizeof(*out));
	char tag[400] = "";
	int n = sscanf(line, "%lf %63s %31s %255s %ld %63s %ld %399s", &out->time, out->client, out->method, out->host,
		       &out->port, out->status, &out->http_status, tag);
	if (n != 8 || !isfinite(out->time))
		return -1;
	if (out->port < 0 || out->port > 65535)
		out->port = 0;
	parse_tag(tag, out);
	return 0;
}

static void format_time(double t, char out[40])
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%09ldZ", (long)((t - (double)s) * 1e3) * 1000000L);
}

/* Why a request was refused, as far as the log and the client's list tell:
 * Squid logs every refusal as TCP_DENIED, and the list says which rule. */
/* Why a request was refused, as far as the log tells: Squid logs every
 * refusal as TCP_DENIED; the helper's tag and the port say which rule. */
static const char *deny_reason(const struct cai_egress_line *l)
{
	if (!l->container.id[0])
		return "not an agent of cai run";
	if (!l->listed)
		return "not on the allowlist";
	if (l->port != 80 && l->port != 443)
		return "port not allowed";
	return "address blocked";
}

jv cai_egress_event(const struct cai_egress_line *l)
{
	bool denied = strncmp(l->status, "TCP_DENIED", 10) == 0;
	char ts[40], mono[32], now[40];
	cai_audit_now(now, mono);
	format_time(l->time, ts);
	jv args = JV_OBJECT(jv_string("host"), jv_string(l->host), jv_string("port"), jv_number(l->port),
			    jv_string("method"), jv_string(l->method), jv_string("address"), jv_string(l->client));
	jv result = denied ? JV_OBJECT(jv_string("return"), jv_number(-1), jv_string("errno"), jv_number(EACCES),
				       jv_string("error"), jv_string("EACCES"))
			   : JV_OBJECT(jv_string("return"), jv_number(0));
	jv ev = JV_OBJECT(jv_string("v"), jv_number(CAI_AUDIT_SCHEMA_VERSION), jv_string("ts"), jv_string(ts),
			  jv_string("mono"), jv_string(mono), jv_string("pid"), jv_number(getpid()), jv_string("ppid"),
			  jv_number(getppid()), jv_string("tid"), jv_number((double)syscall(SYS_gettid)),
			  jv_string("uid"), jv_number(getuid()));
	ev = jv_object_set(ev, jv_string("comm"), jv_string("cai-egress"));
	ev = jv_object_set(ev, jv_string("cwd"), jv_null());
	ev = jv_object_set(ev, jv_string("call"), jv_string("egress"));
	ev = jv_object_set(ev, jv_string("phase"), jv_string("exit"));
	ev = jv_object_set(ev, jv_string("args"), args);
	ev = jv_object_set(ev, jv_string("result"), result);
	ev = jv_object_set(ev, jv_string("decision"), jv_string(denied ? "deny" : "allow"));
	/* Which rule refused it, under the key seccomp denials use. */
	if (denied)
		ev = jv_object_set(ev, jv_string("rule"), jv_string(deny_reason(l)));
	ev = jv_object_set(ev, jv_string("status"), jv_number(l->http_status));
	if (l->container.id[0])
		ev = jv_object_set(ev, jv_string("container"), cai_container_jv(&l->container));
	return ev;
}
