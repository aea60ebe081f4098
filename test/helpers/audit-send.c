/* audit-send SOCKET MESSAGE...: connect to cai-auditd and send each
 * MESSAGE as one datagram, stay 0.3 s (as a live agent would: the
 * collector identifies a peer when it accepts the connection, and one that
 * is gone by then is logged as unknown), then exit 0 (1 when the socket
 * cannot be reached). audit-send --flood N SOCKET MESSAGE: N processes that each
 * connect, send MESSAGE and exit at once (the hostile-peer test).
 * Built static so that it runs in any container image. Not installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				int fd = conn(argv[3]);
				if (fd >= 0)
					(void)!send(fd, argv[4], strlen(argv[4]), 0);
				_exit(fd < 0);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: audit-send SOCKET MESSAGE... | audit-send --flood N SOCKET MESSAGE\n");
		return 2;
	}
	int fd = conn(argv[1]);
	if (fd < 0)
		return 1;
	for (int i = 2; i < argc; i++)
		if (send(fd, argv[i], strlen(argv[i]), 0) < 0) {
			perror("audit-send: send");
			return 1;
		}
	usleep(300 * 1000);
	return 0;
}
