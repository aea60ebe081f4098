#!/usr/bin/python3
"""linger-peer.py SOCKET MODE: send cai-auditd, with an event, a loopback
TCP socket whose last close would block for an hour (unsent data, a
listener that never reads, SO_LINGER {1, 3600}), keep no copy of it, print
"sent" and stay alive until killed.

  direct   the TCP socket itself
  nested   a unix socket whose queue holds the TCP socket"""
import array
import socket
import struct
import sys
import time

path, mode = sys.argv[1], sys.argv[2]
lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# A receive window that fills at once: the data stays in the sender's queue.
lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
lst.bind(("127.0.0.1", 0))
lst.listen(1)
tcp = socket.create_connection(lst.getsockname())
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
tcp.setblocking(False)
for _ in range(3):
    try:
        while True:
            tcp.send(b"x" * 65536)
    except BlockingIOError:
        time.sleep(0.1)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 3600))
fd = tcp.fileno()
keep = []
if mode == "nested":
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    a.close()
    fd = b.fileno()
    keep.append(b)
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(path)
c.sendmsg([b'{"v":1}'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
tcp.close()
for k in keep:
    k.close()
print("sent", flush=True)
time.sleep(3600)
