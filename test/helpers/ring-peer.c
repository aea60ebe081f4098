/* ring-peer SOCKET MODE [N]: speak the ring protocol (src/lib/audit/audit_ring.h)
 * to cai-auditd, correctly or in one of the ways a buggy or hostile
 * process could get it wrong, so the tests can check that the collector
 * logs what is right, reports what is wrong, and survives both.
 *
 *   good N        register a ring, write N events, kick, exit
 *   not-memfd     register a plain file instead of a memfd
 *   unsealed      a memfd without F_SEAL_SHRINK
 *   bad-size      the message claims another size than the memfd has
 *   bad-magic     the control page does not say CAIRING2
 *   bad-word N    N good events, then a record word with a length past the ring
 *   head-jump     head more than a ring ahead of tail
 *   torn N        N good events, then a reservation never finished; exit
 *   stuck         a reservation never finished; stay alive, kicking, until
 *                 the collector gives up on the ring (prints closed=1)
 *   fds N         N ordinary event messages, each with an fd attached
 *   twice         two registrations on one connection
 *   sparse N      N rings of the largest size, each one event and a padding
 *                 record over the rest, never touched; print how many the
 *                 collector took and refused (over its budget), then stay
 *                 alive until stdin closes (it must not pay for the pages)
 *   detached N    N processes, one after another, each registering a ring
 *                 on a connection of its own, closing that connection once
 *                 the collector answers, and writing one event; print how
 *                 many the collector reads for as long as they live
 *                 (detached=), and how many it would not take (other=);
 *                 they stay alive until stdin closes
 * Prints "closed=1" when the collector marked the ring closed or dropped
 * the connection, "closed=0" otherwise. Not installed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit_record.h"
#include "audit_ring.h"

static uint64_t SIZE = CAI_RING_DATA_MIN;

static int sock;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void connect_to(const char *path)
{
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect");
}

static int send_with_fd(const void *msg, size_t len, int fd)
{
	union {
		char raw[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = ctl.raw;
		mh.msg_controllen = sizeof(ctl.raw);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int make_memfd(size_t total, unsigned seals)
{
	int fd = memfd_create("ring-peer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)total) < 0)
		die("memfd");
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		die("seal");
	return fd;
}

static struct cai_ring_ctl *map_ring(int fd)
{
	void *m = mmap(NULL, CAI_RING_CTL_SIZE + SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	struct cai_ring_ctl *c = m;
	c->magic = CAI_RING_MAGIC;
	c->version = CAI_RING_VERSION;
	c->data_size = (uint32_t)SIZE;
	return c;
}

/* The record that carries a JSON object (audit-record's encoder). */
static size_t record_of(const char *json, enum cai_wire_kind kind, unsigned char *out, size_t cap)
{
	struct cai_error err = {0};
	jv obj = jv_parse(json);
	long n = cai_record_from_jv(obj, kind, out, cap, &err);
	jv_free(obj);
	if (n < 0) {
		fprintf(stderr, "ring-peer: %s\n", err.msg);
		exit(2);
	}
	return (size_t)n;
}

static void kick(void)
{
	unsigned char h[CAI_WIRE_HEADER];
	cai_wire_header(h, CAI_WIRE_KICK);
	(void)send_with_fd(h, sizeof(h), -1);
}

static void reg(int fd, size_t claimed)
{
	char msg[64];
	unsigned char rec[64];
	snprintf(msg, sizeof(msg), "{\"size\":%zu}", claimed);
	if (send_with_fd(rec, record_of(msg, CAI_WIRE_RING, rec, sizeof(rec)), fd) < 0)
		die("register");
}

static size_t event_record(unsigned char *out, size_t cap, int i)
{
	char text[1024];
	snprintf(
	    text, sizeof(text),
	    "{\"v\":1,\"ts\":\"2026-11-22T00:00:00.000000000Z\",\"mono\":\"1.000000000\",\"pid\":%d,"
	    "\"ppid\":1,\"tid\":%d,\"uid\":%u,\"comm\":\"ring-peer\",\"cwd\":\"/\",\"call\":\"open\","
	    "\"phase\":\"exit\",\"source\":\"shim\",\"args\":{\"path\":\"/ring-peer/%d\",\"flags\":[\"O_RDONLY\"]},"
	    "\"result\":{\"return\":-1,\"errno\":2,\"error\":\"ENOENT\"}}",
	    getpid(), getpid(), getuid(), i);
	return record_of(text, CAI_WIRE_EVENT, out, cap);
}

/* Write one record the way the shim does (single writer here). */
static void put_word(char *data, uint64_t pos, uint32_t low)
{
	atomic_store((_Atomic uint64_t *)(void *)(data + (pos & (SIZE - 1))),
		     cai_ring_word(cai_ring_lap(pos, SIZE), low));
}

/* Write one record the way the shim does (single writer here). */
static void put_record(struct cai_ring_ctl *c, const unsigned char *payload, size_t len, int commit)
{
	char *data = (char *)c + CAI_RING_CTL_SIZE;
	uint32_t rec = cai_ring_record_size((uint32_t)len);
	uint64_t h = atomic_load(&c->head), off = h & (SIZE - 1);
	if (off + rec > SIZE) {
		uint32_t gap = (uint32_t)(SIZE - off);
		put_word(data, h, CAI_RING_COMMIT | CAI_RING_PAD | gap);
		h += gap;
		off = 0;
	}
	atomic_store(&c->head, h + rec);
	memcpy(data + off + 8, payload, len);
	if (commit) {
		put_word(data, h, CAI_RING_COMMIT | (uint32_t)len);
		atomic_fetch_add(&c->committed, 1);
	}
}

static void good_events(struct cai_ring_ctl *c, int n)
{
	unsigned char ev[1024];
	for (int i = 0; i < n; i++) {
		/* Wait for room like the shim would (the ring is small). */
		while (atomic_load(&c->head) - atomic_load(&c->tail) > SIZE - 2048) {
			kick();
			usleep(1000);
		}
		put_record(c, ev, event_record(ev, sizeof(ev), i), 1);
	}
}

static int peer_gone(void)
{
	unsigned char h[CAI_WIRE_HEADER];
	cai_wire_header(h, CAI_WIRE_KICK);
	return send_with_fd(h, sizeof(h), -1) < 0 && (errno == EPIPE || errno == ECONNRESET);
}

static void report(struct cai_ring_ctl *c)
{
	/* Give the collector a moment to act on what it was sent. */
	for (int i = 0; i < 100 && !(c && atomic_load(&c->closed)) && !peer_gone(); i++)
		usleep(20000);
	printf("closed=%d\n", (c && atomic_load(&c->closed)) || peer_gone());
}

/* One process of mode detached: 'd' when the collector reads its ring
 * after the registering connection is closed, 'o' otherwise. */
static char detached_child(const char *path, int i)
{
	connect_to(path);
	size_t total = CAI_RING_CTL_SIZE + SIZE;
	int fd = make_memfd(total, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	struct cai_ring_ctl *c = map_ring(fd);
	reg(fd, SIZE);
	close(fd);
	char answer[64];
	struct timeval tv = {2, 0};
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t got = recv(sock, answer, sizeof(answer), 0);
	close(sock);
	if (got <= 0 || atomic_load(&c->accepted) != CAI_RING_ACCEPTED_DETACHED || atomic_load(&c->closed))
		return 'o';
	unsigned char ev[1024];
	put_record(c, ev, event_record(ev, sizeof(ev), i), 1);
	return 'd';
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ring-peer SOCKET MODE [N]\n");
		return 2;
	}
	const char *mode = argv[2];
	int n = argc > 3 ? atoi(argv[3]) : 0;
	connect_to(argv[1]);
	size_t total = CAI_RING_CTL_SIZE + SIZE;

	if (!strcmp(mode, "not-memfd")) {
		char path[] = "/tmp/ring-peer.XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || ftruncate(fd, (off_t)total) < 0)
			die("file");
		unlink(path);
		reg(fd, SIZE);
		report(NULL);
		return 0;
	}
	if (!strcmp(mode, "unsealed") || !strcmp(mode, "bad-size") || !strcmp(mode, "bad-magic")) {
		int fd = make_memfd(total, strcmp(mode, "unsealed") ? F_SEAL_SHRINK | F_SEAL_GROW : 0);
		struct cai_ring_ctl *c = map_ring(fd);
		if (!strcmp(mode, "bad-magic"))
			c->magic = 0x4141414141414141ULL;
		reg(fd, !strcmp(mode, "bad-size") ? SIZE * 2 : SIZE);
		report(NULL);
		return 0;
	}
	if (!strcmp(mode, "fds")) {
		unsigned char ev[1024];
		for (int i = 0; i < n; i++) {
			size_t len = event_record(ev, sizeof(ev), i);
			if (send_with_fd(ev, len, 0) < 0)
				die("send");
		}
		report(NULL);
		return 0;
	}
	if (!strcmp(mode, "sparse")) {
		/* Each ring on a connection of its own, like n processes. */
		SIZE = CAI_RING_DATA_MAX;
		total = CAI_RING_CTL_SIZE + SIZE;
		int taken = 0, refused = 0;
		for (int i = 0; i < n; i++) {
			if (i)
				connect_to(argv[1]);
			int fd = make_memfd(total, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
			struct cai_ring_ctl *c = map_ring(fd);
			reg(fd, SIZE);
			close(fd);
			unsigned char ev[1024];
			put_record(c, ev, event_record(ev, sizeof(ev), i), 1);
			uint64_t h = atomic_load(&c->head);
			put_word((char *)c + CAI_RING_CTL_SIZE, h,
				 CAI_RING_COMMIT | CAI_RING_PAD | (uint32_t)(SIZE - h));
			atomic_store(&c->head, SIZE);
			kick();
			usleep(20000);
			if (atomic_load(&c->accepted) && !atomic_load(&c->closed) && !peer_gone())
				taken++;
			else if (atomic_load(&c->closed) == CAI_RING_REFUSED)
				refused++;
		}
		printf("taken=%d refused=%d\n", taken, refused);
		fflush(stdout);
		char buf[1];
		while (read(0, buf, 1) > 0)
			;
		return 0;
	}

	if (!strcmp(mode, "detached")) {
		close(sock);
		int detached = 0, other = 0;
		for (int i = 0; i < n; i++) {
			int p[2];
			if (pipe(p) < 0)
				die("pipe");
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0) {
				close(p[0]);
				char verdict = detached_child(argv[1], i);
				(void)!write(p[1], &verdict, 1);
				close(p[1]);
				char buf[1];
				while (read(0, buf, 1) > 0)
					;
				_exit(0);
			}
			close(p[1]);
			char verdict = 0;
			(void)!read(p[0], &verdict, 1);
			close(p[0]);
			if (verdict == 'd')
				detached++;
			else
				other++;
		}
		printf("detached=%d other=%d\n", detached, other);
		fflush(stdout);
		char buf[1];
		while (read(0, buf, 1) > 0)
			;
		while (wait(NULL) > 0)
			;
		return 0;
	}

	int fd = make_memfd(total, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	struct cai_ring_ctl *c = map_ring(fd);
	reg(fd, SIZE);
	if (!strcmp(mode, "twice")) {
		int fd2 = make_memfd(total, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
		map_ring(fd2);
		reg(fd2, SIZE);
		report(NULL);
		return 0;
	}
	close(fd);
	if (!strcmp(mode, "good")) {
		good_events(c, n);
		kick();
		return 0;
	}
	if (!strcmp(mode, "bad-word")) {
		good_events(c, n);
		char *data = (char *)c + CAI_RING_CTL_SIZE;
		uint64_t h = atomic_load(&c->head);
		put_word(data, h, CAI_RING_COMMIT | (uint32_t)(SIZE * 4));
		atomic_store(&c->head, h + 64);
		kick();
		report(c);
		return 0;
	}
	if (!strcmp(mode, "head-jump")) {
		atomic_store(&c->head, atomic_load(&c->tail) + 10ULL * SIZE);
		kick();
		report(c);
		return 0;
	}
	if (!strcmp(mode, "torn")) {
		good_events(c, n);
		unsigned char ev[1024];
		put_record(c, ev, event_record(ev, sizeof(ev), n), 0);
		return 0; /* exit: the connection closes with the record unfinished */
	}
	if (!strcmp(mode, "stuck")) {
		unsigned char ev[1024];
		put_record(c, ev, event_record(ev, sizeof(ev), 0), 0);
		for (int i = 0; i < 200 && !atomic_load(&c->closed) && !peer_gone(); i++)
			usleep(50000);
		printf("closed=%d\n", atomic_load(&c->closed) || peer_gone());
		return 0;
	}
	fprintf(stderr, "ring-peer: unknown mode %s\n", mode);
	return 2;
}
