#!/usr/bin/python3
"""Splits a stored e-mail (.eml) into what process tests check.

  /usr/bin/python3 tests/mail_parts.py MESSAGE.eml ICS_OUT

prints one JSON object: the headers that matter (to, from, subject,
message_id, auto_submitted), the decoded plain-text body, the HTML body, the
calendar part's content type and its `method` parameter; and writes the
calendar part, decoded, to ICS_OUT (an empty file when there is none), for
tests/ics_check.py and tests/ics_check.mjs to parse.
"""

import email
import email.policy
import json
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: mail_parts.py MESSAGE.eml ICS_OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    out = {
        "to": str(message.get("To", "")),
        "from": str(message.get("From", "")),
        "subject": str(message.get("Subject", "")),
        "message_id": str(message.get("Message-ID", "")),
        "auto_submitted": str(message.get("Auto-Submitted", "")),
        "reply_to": str(message.get("Reply-To", "")),
        "content_type": message.get_content_type(),
        "text": "",
        "html": "",
        "calendar_method": "",
    }
    calendar = b""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and not out["text"]:
            out["text"] = part.get_content()
        elif kind == "text/html" and not out["html"]:
            out["html"] = part.get_content()
        elif kind == "text/calendar":
            out["calendar_method"] = part.get_param("method", "")
            calendar = part.get_payload(decode=True)
    with open(sys.argv[2], "wb") as f:
        f.write(calendar)
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
