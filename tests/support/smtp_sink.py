#!/usr/bin/python3
"""A loopback SMTP sink for the outbox's email tests (issue 18), on Debian's python3-aiosmtpd:
STARTTLS with the test certificate (tests/certs), AUTH PLAIN/LOGIN required (only over TLS) for
one user, every accepted message appended to a JSON-lines file (envelope, headers, body).

    smtp_sink.py --port N --out messages.jsonl --cert server.pem --key server.key
                 [--user U --password P] [--reject-rcpt ADDRESS]

Prints "ready" on stdout once it listens.
"""
import argparse
import email
import email.policy
import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out, reject):
        self.out, self.reject = out, reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.reject:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "tls": session.ssl is not None,
                  "authenticated": bool(session.authenticated),
                  "subject": str(msg["Subject"]), "from": str(msg["From"]),
                  "to": str(msg["To"]), "message_id": str(msg["Message-ID"]),
                  "date": str(msg["Date"]), "body": msg.get_content()}
        with open(self.out, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--reject-rcpt", default="")
    a = ap.parse_args()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user and
              auth_data.password.decode() == a.password)
        return AuthResult(success=ok)

    kwargs = {"tls_context": ctx, "require_starttls": True}
    if a.user:
        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
    controller = Controller(Sink(a.out, a.reject_rcpt), hostname="127.0.0.1", port=a.port,
                            **kwargs)
    controller.start()
    # One write, then stdout goes nowhere: the test stops reading once it has the line.
    os.write(1, b"ready\n")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
