/* The parts of cai-auditd's loop kept in files of their own, internal to
 * cai-auditd: server.c owns the sockets, the connections and the loop;
 * records.c what goes into the log; rings.c the shared-memory rings. */
#ifndef CAI_AUDITD_SERVER_INTERNAL_H
#define CAI_AUDITD_SERVER_INTERNAL_H

#include <jv.h>

#include "server.h"

/* Events read from one connection or one ring before the loop moves on. */
#define BATCH 256

/* server.c */
/* The entry of fd, the table grown (and zeroed) to hold it: a pointer
 * into the table is stale after a call with a larger fd. */
struct client *client_of(struct server *srv, int fd);
/* Let go of what an entry holds of its sender: its quota share (its
 * over-rate drops said first when it is the last), identity and stamp. */
void let_go_of_sender(struct server *srv, struct client *cl);
/* Close connection fd: its ring moves to its process or is finished, a
 * container's socket it handed over is closed, its queue purged. */
void close_client(struct server *srv, int fd);

/* records.c */
void add_line(struct server *srv, jv rec);
void add_rejection(struct server *srv, const struct client *cl, const char *reason, size_t bytes, int pid, unsigned uid,
		   unsigned gid);
/* One event from cl, sent by cred: checked, turned into a log line and
 * stamped (trunc: it did not fit; a rejection). */
void handle_message(struct server *srv, struct client *cl, const char *buf, size_t len, bool trunc,
		    const struct ucred *cred);
const char *key_kind(long key);
long key_number(long key);
void say_limited(struct server *srv, long long *last_ms, bool force, long key, const char *reason);
void say_over_quota(struct server *srv, struct quota_entry *e, bool force);
void say_all_over_quota(struct server *srv, bool force);
void say_refused(struct server *srv, const char *why, long key);
void report_log_error(const struct cai_error *e);
void say_log_recovered(struct server *srv);

/* rings.c */
/* A ring registration (record CAI_WIRE_RING, size) with its fds on
 * connection fd: false when it is rejected (the connection is closed). */
bool register_ring(struct server *srv, int fd, struct client *cl, const int *fds, int nfds, unsigned long long size,
		   size_t len, const struct ucred *cred);
/* A kick on a connection without a ring: answer whether a ring of its
 * process is read here. */
void answer_kick(struct server *srv, int fd, const struct client *cl);
/* Read cl's ring (max events, < 0: all); -1 when it was corrupt or stuck
 * and is no longer read. */
int read_ring(struct server *srv, struct client *cl, int max);
/* Flush the log; what it has, the rings may release. -1 on a log error. */
int flush_and_release(struct server *srv);
/* Read cl's ring to its end and let it go, with its pidfd. */
void finish_ring(struct server *srv, struct client *cl);
/* The process entry at pidfd: its ring finished, its entry let go. */
void retire_process(struct server *srv, int pidfd);
/* Connection fd closes: move its ring to its process's entry (true), or
 * false when the ring is to be finished now. */
bool ring_outlives_connection(struct server *srv, int fd);
/* Read every ring a batch at a time; how many events. */
int poll_rings(struct server *srv);
/* How long the loop may sleep, in ms. */
int next_timeout(struct server *srv);

#endif
