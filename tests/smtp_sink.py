#!/usr/bin/python3
"""SMTP sink for process tests: a real SMTP server (aiosmtpd) that stores mail.

A test starts it as
  /usr/bin/python3 tests/smtp_sink.py --host=127.0.0.1 --port=0 \
      --port_file=DIR/smtp_port --maildir=DIR/mail [--rules=FILE] [--log=FILE]
waits for DIR/smtp_port to appear (written atomically once listening), points
the service under test at that port, and then polls DIR/mail/index.jsonl: one
JSON line per accepted message, written after its NNNNNN.eml file (raw bytes
as received), with "accept_time" (time.time() when the message was taken,
before the 250 reply). SIGTERM or SIGINT stops it with exit status 0.

--rules names a JSON file, re-read on every RCPT and at end of DATA, so a test
may rewrite it while the sink runs:
  {"rules": [{"recipient": "a@example.org", "code": 451, "times": 2},
             {"recipient": "*", "code": 550, "at": "DATA"}]}
A matching recipient (case-insensitive; "*" matches any) gets that reply at
RCPT, or at end of DATA with "at": "DATA", instead of acceptance; a rule
with "drop": true instead of "code" cuts the connection there. "times"
limits how often a rule answers in this process (absent: always); "text" may
replace the default reply text. --log gets one line per outcome, codes only.
AUTH PLAIN/LOGIN is offered without TLS and accepts any credentials.
"""

import argparse
import asyncio
import email.parser
import email.policy
import json
import logging
import os
import signal
import socket
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult

DATA_SIZE_LIMIT = 10 * 1024 * 1024

# aiosmtpd 1.4 warns about its own use of Session.login_data on every AUTH.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data" not in record.getMessage())


def default_text(code, at_data):
    if 400 <= code < 500:
        return "4.3.0 try again later"
    if at_data:
        return "5.6.0 message rejected"
    return "5.1.1 mailbox unavailable"


def header_fields(raw):
    """Message-ID and decoded Subject of a raw message, "" when absent."""
    try:
        msg = email.parser.BytesHeaderParser(
            policy=email.policy.default).parsebytes(raw)
        return (str(msg.get("Message-ID", "")).strip(),
                str(msg.get("Subject", "")))
    except Exception:  # malformed header: fall back to the raw values
        msg = email.parser.BytesHeaderParser().parsebytes(raw)
        return (str(msg.get("Message-ID", "")).strip(),
                str(msg.get("Subject", "")))


def accept_any_auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


class SinkHandler:
    def __init__(self, maildir, rules_path, log_path):
        self.maildir = maildir
        self.rules_path = rules_path
        self.log_path = log_path
        self.used = {}  # rule (canonical JSON) -> times it has answered
        os.makedirs(maildir, exist_ok=True)
        numbers = [int(name[:-4]) for name in os.listdir(maildir)
                   if name.endswith(".eml") and name[:-4].isdigit()]
        self.seq = max(numbers, default=0)

    def log(self, line):
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def load_rules(self):
        if not self.rules_path or not os.path.exists(self.rules_path):
            return []
        try:
            with open(self.rules_path, encoding="utf-8") as f:
                return json.load(f).get("rules", [])
        except (OSError, ValueError) as e:
            print(f"smtp_sink: ignoring unreadable rules: {e}",
                  file=sys.stderr)
            return []

    def match(self, address, at_data):
        """Reply for the first live rule matching address, or None."""
        for rule in self.load_rules():
            if (str(rule.get("at", "RCPT")).upper() == "DATA") != at_data:
                continue
            pattern = str(rule.get("recipient", "")).lower()
            if ("code" not in rule and not rule.get("drop")) or \
                    pattern not in ("*", address.lower()):
                continue
            key = json.dumps(rule, sort_keys=True)
            times = rule.get("times")
            if times is not None and self.used.get(key, 0) >= int(times):
                continue
            self.used[key] = self.used.get(key, 0) + 1
            if rule.get("drop"):
                return 0, ""  # the connection is cut instead of a reply
            code = int(rule["code"])
            text = rule.get("text") or default_text(code, at_data)
            return code, f"{code} {text}"
        return None

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.match(address, at_data=False)
        if reply and reply[0] == 0:
            self.log("RCPT drop")
            server.transport.abort()
            return "421 closing"
        if reply:
            self.log(f"RCPT {reply[0]}")
            return reply[1]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            reply = self.match(address, at_data=True)
            if reply and reply[0] == 0:
                self.log("DATA drop")
                server.transport.abort()
                return "421 closing"
            if reply:
                self.log(f"DATA {reply[0]}")
                return reply[1]
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        self.seq += 1
        name = f"{self.seq:06d}.eml"
        with open(os.path.join(self.maildir, name), "wb") as f:
            f.write(raw)
        message_id, subject = header_fields(raw)
        entry = {"file": name, "mail_from": envelope.mail_from,
                 "rcpt_tos": list(envelope.rcpt_tos),
                 "message_id": message_id, "subject": subject,
                 "accept_time": time.time()}
        with open(os.path.join(self.maildir, "index.jsonl"), "a",
                  encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            f.flush()
        self.log("DATA 250")
        return "250 OK message accepted"


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = SinkHandler(args.maildir, args.rules, args.log)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.create_server((args.host, args.port), family=family)

    def factory():
        return SMTP(handler, data_size_limit=DATA_SIZE_LIMIT,
                    enable_SMTPUTF8=True, hostname="smtp-sink.localhost",
                    auth_require_tls=False, authenticator=accept_any_auth,
                    loop=loop)

    server = await loop.create_server(factory, sock=sock)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_atomically(args.port_file, f"{sock.getsockname()[1]}\n")
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port_file", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--rules")
    parser.add_argument("--log")
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
