"""The example service: answers every GET with what it is and where it came from.

Standard library only, so the image needs nothing beyond its pinned base.
"""
import json
import os
import platform
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IDENTITY = {
    "service": "pinned-example",
    "git_hash": os.environ.get("GIT_HASH", "<unknown>"),
    "python": platform.python_version(),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(IDENTITY).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):  # one line per request on stdout
        print(f"{self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"listening on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
