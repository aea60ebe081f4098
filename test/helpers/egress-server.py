#!/usr/bin/python3
"""egress-server LOGDIR CERT KEY: the egress tests' far side, run in a network
namespace of the test's own. Answers HTTP on port 80 and HTTPS on 443 with
"ok HOST" (the Host header), records each request's Host in LOGDIR/requests
and every datagram to UDP port 53 in LOGDIR/dns, so that a test can prove
what reached it and what did not."""
import http.server
import socket
import ssl
import sys
import threading

logdir, cert, key = sys.argv[1:4]
lock = threading.Lock()


def record(name, line):
    with lock, open(f"{logdir}/{name}", "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers.get("Host", "-")
        record("requests", f"{self.server.server_port} {host} {self.client_address[0]}")
        body = f"ok {host.split(':')[0]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(port, tls):
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 53))
    while True:
        data, addr = s.recvfrom(4096)
        record("dns", f"{addr[0]} {data[12:].hex()}")


for target, args in ((serve, (80, False)), (serve, (443, True)), (dns, ())):
    threading.Thread(target=target, args=args, daemon=True).start()
open(f"{logdir}/ready", "w").close()
threading.Event().wait()
