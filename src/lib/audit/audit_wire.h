/* The wire contract between every sender of audit events (the LD_PRELOAD
 * shim, `cai run`'s exec supervisor, `cai run --image`) and cai-auditd:
 * the socket, the record format, the limits. One header, included by all
 * of them; docs/audit-events.md ("Transport") says the same in prose.
 *
 * A record is what one SOCK_SEQPACKET message or one ring entry carries:
 *
 *   header   4 bytes: CAI_WIRE_MAGIC, CAI_WIRE_VERSION, kind, 0
 *   items    until the end of the record
 *
 * An item is a type byte, a key byte and the value:
 *
 *   key      CAI_K_NONE in an array; an index into CAI_WIRE_KEYS; or
 *            CAI_K_INLINE, followed by a length byte and that many bytes of
 *            [A-Za-z0-9_] (the names of environment variables, "env" only)
 *   value    T_OBJ/T_ARR: nothing (items follow until T_END)
 *            T_STR: u16 length, then the bytes (any bytes; the collector
 *                   writes them as JSON, invalid UTF-8 as U+FFFD)
 *            T_INT/T_UINT: 8 bytes; T_TRUE, T_FALSE, T_NULL: nothing
 *            T_UTC/T_MONO: i64 seconds and u32 nanoseconds, written by the
 *                   collector as "2026-11-22T07:19:56.123456789Z" and
 *                   "12345.123456789"
 *   Numbers are in host byte order (sender and collector share a kernel).
 *
 * Records are binary so that the collector never parses JSON a sender
 * wrote (libjq is lenient: `nan`, `01`, `.5` would reach the log, and it
 * leaks on some input) and so that it can turn one into a log line at
 * memory speed: it checks every length against the record's end, every
 * key against the table, every value against the schema (audit_record.c),
 * and writes strict JSON itself. A record that fails any check is counted
 * and logged as rejected, never in part. */
#ifndef CAI_AUDIT_WIRE_H
#define CAI_AUDIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define CAI_AUDIT_SOCKET_DEFAULT "/run/containai/audit.sock"
#define CAI_AUDIT_SOCKET_ENV "CAI_AUDIT_SOCKET"
/* A ring's size in KiB (a power of two, 64 to 16384; 0: messages only). */
#define CAI_AUDIT_RING_ENV "CAI_AUDIT_RING_KB"

/* The log's schema (the "v" of every line), not the wire's. */
#define CAI_AUDIT_SCHEMA_VERSION 1

#define CAI_WIRE_MAGIC 0xCA
#define CAI_WIRE_VERSION 2
#define CAI_WIRE_HEADER 4
/* The largest record, on the socket and in a ring. */
#define CAI_WIRE_RECORD_MAX 8192u
/* Nesting: the event object, args, env or argv; one more for slack. */
#define CAI_WIRE_DEPTH 6
#define CAI_WIRE_INLINE_KEY_MAX 63

enum cai_wire_kind {
	CAI_WIRE_EVENT = 1,
	/* Read my ring now (no items). */
	CAI_WIRE_KICK = 2,
	/* Register the memfd that comes with it (SCM_RIGHTS): "size" T_UINT. */
	CAI_WIRE_RING = 3,
	/* Root on the host only (`cai run --image`): the listening socket that
	 * comes with it is container {"id","name"}'s own way to us. */
	CAI_WIRE_LISTEN = 4,
};

/* The collector's answer to a CAI_WIRE_LISTEN it took. */
#define CAI_WIRE_LISTEN_ACK "{\"listening\":1}"

enum cai_wire_type {
	CAI_T_OBJ = 1,
	CAI_T_ARR,
	CAI_T_END,
	CAI_T_STR,
	CAI_T_INT,
	CAI_T_UINT,
	CAI_T_TRUE,
	CAI_T_FALSE,
	CAI_T_NULL,
	CAI_T_UTC,
	CAI_T_MONO,
};

/* Every key a record may use. Append only: the index is the wire value. */
#define CAI_WIRE_KEYS(X)                                                                                               \
	X(V, "v")                                                                                                      \
	X(TS, "ts")                                                                                                    \
	X(MONO, "mono")                                                                                                \
	X(PID, "pid")                                                                                                  \
	X(PPID, "ppid")                                                                                                \
	X(TID, "tid")                                                                                                  \
	X(UID, "uid")                                                                                                  \
	X(COMM, "comm")                                                                                                \
	X(CWD, "cwd")                                                                                                  \
	X(CALL, "call")                                                                                                \
	X(PHASE, "phase")                                                                                              \
	X(SOURCE, "source")                                                                                            \
	X(ARGS, "args")                                                                                                \
	X(RESULT, "result")                                                                                            \
	X(RETURN, "return")                                                                                            \
	X(ERRNO, "errno")                                                                                              \
	X(ERROR, "error")                                                                                              \
	X(DROPPED, "dropped")                                                                                          \
	X(TRUNCATED, "truncated")                                                                                      \
	X(PATH, "path")                                                                                                \
	X(RESOLVED, "resolved")                                                                                        \
	X(DIRFD, "dirfd")                                                                                              \
	X(FLAGS, "flags")                                                                                              \
	X(MODE, "mode")                                                                                                \
	X(FD, "fd")                                                                                                    \
	X(ARGV, "argv")                                                                                                \
	X(ARGC, "argc")                                                                                                \
	X(ENV, "env")                                                                                                  \
	X(COMMAND, "command")                                                                                          \
	X(FAMILY, "family")                                                                                            \
	X(FAMILY_NUMBER, "family_number")                                                                              \
	X(ADDRESS, "address")                                                                                          \
	X(PORT, "port")                                                                                                \
	X(ABSTRACT, "abstract")                                                                                        \
	X(DECISION, "decision")                                                                                        \
	X(RULE, "rule")                                                                                                \
	X(CONTAINER, "container")                                                                                      \
	X(ID, "id")                                                                                                    \
	X(NAME, "name")                                                                                                \
	X(SIZE, "size")                                                                                                \
	X(HOST, "host")                                                                                                \
	X(METHOD, "method")                                                                                            \
	X(URL, "url")                                                                                                  \
	X(STATUS, "status")                                                                                            \
	X(BYTES, "bytes")

#define CAI_WIRE_KEY_ENUM(id, name) CAI_K_##id,
enum cai_wire_key {
	CAI_K_NONE = 0,
	CAI_WIRE_KEYS(CAI_WIRE_KEY_ENUM) CAI_K_COUNT,
	CAI_K_INLINE = 0xff,
};
#undef CAI_WIRE_KEY_ENUM

_Static_assert(CAI_K_COUNT <= 128, "key bitmaps hold 128 keys");

/* The name of a key index, NULL when it is not one. */
static inline const char *cai_wire_key_name(unsigned k)
{
#define CAI_WIRE_KEY_NAME(id, name) name,
	static const char *const names[] = {NULL, CAI_WIRE_KEYS(CAI_WIRE_KEY_NAME)};
#undef CAI_WIRE_KEY_NAME
	return k < CAI_K_COUNT ? names[k] : NULL;
}

/* The record header of a kind. */
static inline void cai_wire_header(unsigned char out[CAI_WIRE_HEADER], enum cai_wire_kind kind)
{
	out[0] = CAI_WIRE_MAGIC;
	out[1] = CAI_WIRE_VERSION;
	out[2] = (unsigned char)kind;
	out[3] = 0;
}

/* The kind of a record, 0 when its header is not ours. */
static inline enum cai_wire_kind cai_wire_kind_of(const void *rec, size_t len)
{
	const unsigned char *p = rec;
	if (len < CAI_WIRE_HEADER || p[0] != CAI_WIRE_MAGIC || p[1] != CAI_WIRE_VERSION || p[3] != 0 || p[2] < 1 ||
	    p[2] > CAI_WIRE_LISTEN)
		return (enum cai_wire_kind)0;
	return (enum cai_wire_kind)p[2];
}

#endif
