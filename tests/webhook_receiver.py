#!/usr/bin/python3
"""Webhook receiver for process tests: checks Standard Webhooks signatures.

A test starts it as
  /usr/bin/python3 tests/webhook_receiver.py --host=127.0.0.2 --port=0 \
      --port_file=DIR/port --log=DIR/received.jsonl --secrets=FILE \
      [--rules=FILE]
waits for DIR/port (written atomically once listening), and reads the log:
one JSON line per request, written before the answer is sent, with the
path, the `webhook-id`, whether the timestamp is within five minutes of
now, which of the secrets (by index in the secrets file) verified the
signature, the status answered, and the body.

The signature is checked here, independently of the service's C++: by the
specification, with Python's hmac and base64 modules. The secrets file
({"secrets": ["whsec_…", …]}) and the rules file are re-read on every
request, so a test may rewrite them while the receiver runs. Rules:
  {"status": 500}                        answer 500 to everything
  {"status": 302, "location": "http://…"}  a redirect
  {"fail_until": 1767225600.5}           500 until that time.time(), then 2xx
A request no secret verifies is answered 401 (with no rules saying
otherwise). SIGTERM stops it with exit status 0.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time

TOLERANCE_SECONDS = 5 * 60


def read_json(path, default):
    if not path:
        return default
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def verified_by(secrets, msg_id, timestamp, body, header):
    """Indices of the secrets one of the header's v1 signatures matches."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    given = [part.split(",", 1)[1] for part in header.split(" ")
             if part.startswith("v1,")]
    out = []
    for index, secret in enumerate(secrets):
        if not secret.startswith("whsec_"):
            continue
        key = base64.b64decode(secret[len("whsec_"):])
        expected = base64.b64encode(
            hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, g) for g in given):
            out.append(index)
    return out


def make_handler(args, log_lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            msg_id = self.headers.get("webhook-id", "")
            timestamp = self.headers.get("webhook-timestamp", "")
            signature = self.headers.get("webhook-signature", "")
            secrets = read_json(args.secrets, {}).get("secrets", [])
            rules = read_json(args.rules, {})
            verified = verified_by(secrets, msg_id, timestamp, body, signature)
            try:
                timestamp_ok = abs(time.time() - int(timestamp)) <= \
                    TOLERANCE_SECONDS
            except ValueError:
                timestamp_ok = False
            status = 200 if verified and timestamp_ok else 401
            if "status" in rules:
                status = rules["status"]
            elif time.time() < rules.get("fail_until", 0):
                status = 500
            entry = {"path": self.path, "id": msg_id,
                     "timestamp_ok": timestamp_ok, "verified_by": verified,
                     "signatures": len(signature.split(" ")) if signature else 0,
                     "status": status, "time": time.time(),
                     "body": body.decode("utf-8", "replace")}
            with log_lock:
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry) + "\n")
            self.send_response(status)
            if "location" in rules:
                self.send_header("Location", rules["location"])
            reply = b'{"received":true}' if status < 300 else b'{"error":1}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port_file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--secrets", default="")
    parser.add_argument("--rules", default="")
    args = parser.parse_args()
    server = Server((args.host, args.port), make_handler(args, threading.Lock()))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)

    def stop(*unused):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
