#!/usr/bin/env python3
"""A sensor's HTTP server for the tests: answers every POST /reading with
200 and appends its body to OUT; HTTP/1.0, one request per connection.

    post_server.py ADDR PORT OUT SECONDS    # serves for SECONDS at most
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(self.server.out, "ab") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


def main():
    addr, port, out, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    server = HTTPServer((addr, port), Handler)
    server.out = out
    server.timeout = 0.2
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        server.handle_request()


if __name__ == "__main__":
    main()
