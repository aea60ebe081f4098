#!/usr/bin/python3
"""hand-over.py COLLECTOR_SOCKET CONTAINER_SOCKET ID NAME [--not-listening|--stream]

What `cai run --image` does as root: bind a listening socket for one
container, hand it to the collector with a listen record (the container's
id and name; made by $AUDIT_RECORD) and the socket (SCM_RIGHTS), print the collector's answer ("ack", or "refused" when it
closed the connection), then keep the connection open until stdin closes.
Test-only."""
import array
import json
import os
import socket
import subprocess
import sys

collector, path, cid, name = sys.argv[1:5]
mode = sys.argv[5] if len(sys.argv) > 5 else ""
kind = socket.SOCK_STREAM if mode == "--stream" else socket.SOCK_SEQPACKET
lsock = socket.socket(socket.AF_UNIX, kind)
lsock.bind(path)
os.chmod(path, 0o666)
if mode != "--not-listening":
    lsock.listen(64)
ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ctl.connect(collector)
msg = bytes.fromhex(subprocess.check_output(
    [os.environ["AUDIT_RECORD"], "--kind", "listen",
     json.dumps({"container": {"id": cid, "name": name}})]).decode())
try:
    ctl.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [lsock.fileno()]))])
    reply = ctl.recv(64)
    print("ack" if reply == b'{"listening":1}' else "refused" if not reply else "answer %r" % reply, flush=True)
except OSError as e:
    print("refused (%s)" % e.strerror, flush=True)
lsock.close()
sys.stdin.read()
ctl.close()
