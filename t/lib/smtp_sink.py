"""t/lib/smtp_sink.py - Debian's aiosmtpd as the SMTP server of the email
tests: it saves each message DATA as DIR/N.eml and its envelope as
DIR/N.json ({"mail_from", "rcpt_tos", "tls", "login"}).

--user/--password: AUTH (PLAIN, LOGIN) is required, other credentials get
535.  --cert/--key: STARTTLS is offered and required before MAIL.  The port
is written to --port-file once it listens."""
import argparse
import json
import os
import socket
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%d" % self.count)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None,
                       "login": getattr(session, "login_data", None) and "yes"}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--cert")
    p.add_argument("--key")
    o = p.parse_args()
    os.makedirs(o.dir, exist_ok=True)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == o.user \
            and auth_data.password.decode() == o.password
        return AuthResult(success=ok, handled=False)

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    kwargs = {}
    if o.user:
        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=bool(o.cert))
    if o.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(o.cert, o.key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    controller = Controller(Sink(o.dir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    with open(o.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(o.port_file + ".tmp", o.port_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
