/* audit-send SOCKET RECORD...: connect to cai-auditd and send each RECORD
 * (an audit record in hex, as audit-record prints it) as one datagram, stay 0.3 s (as a live agent would: the
 * collector identifies a peer when it accepts the connection, and one that
 * is gone by then is logged as unknown), then exit 0 (1 when the socket
 * cannot be reached, 2 when a RECORD is not hex). audit-send --flood N SOCKET
 * RECORD: N processes that each connect, send RECORD and exit at once (the
 * hostile-peer test).
 * Built static so that it runs in any container image. Not installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Decodes the hex in place; returns the length, or -1. */
static long unhex(char *s)
{
	size_t n = strlen(s);
	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		s[i / 2] = (char)v;
	}
	return (long)(n / 2);
}

static int conn(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("audit-send: connect");
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "--flood") == 0) {
		int n = atoi(argv[2]);
		long len = unhex(argv[4]);
		if (len < 0)
			return 2;
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				int fd = conn(argv[3]);
				if (fd >= 0)
					(void)!send(fd, argv[4], (size_t)len, 0);
				_exit(fd < 0);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: audit-send SOCKET RECORD... | audit-send --flood N SOCKET RECORD\n");
		return 2;
	}
	int fd = conn(argv[1]);
	if (fd < 0)
		return 1;
	for (int i = 2; i < argc; i++) {
		long len = unhex(argv[i]);
		if (len < 0) {
			fprintf(stderr, "audit-send: not hex: %s\n", argv[i]);
			return 2;
		}
		if (send(fd, argv[i], (size_t)len, 0) < 0) {
			perror("audit-send: send");
			return 1;
		}
	}
	usleep(300 * 1000);
	return 0;
}
