#!/bin/bash
# t/notify-email.t - notify_email against a real SMTP server (Debian's
# aiosmtpd) on loopback: AUTH, STARTTLS with a CA file, the received
# message (RFC 5322 headers, a UTF-8 subject that decodes, both parts of
# multipart/alternative, the envelope's recipients), and dead letters that
# say why for a wrong password and a server without STARTTLS.
set -euo pipefail
# shellcheck source=t/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
# shellcheck source=t/lib/notify.sh
. "$top_srcdir/t/lib/notify.sh"

# aiosmtpd comes as a Debian package, for Debian's python3
SMTP_PY=
for py in /usr/bin/python3 python3; do
    if "$py" -c 'import aiosmtpd' 2>/dev/null; then SMTP_PY=$py; break; fi
done
[ -n "$SMTP_PY" ] || bail_out "python3-aiosmtpd is not installed (contrib/quickstart installs it)"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TEST_TMPDIR/key.pem" -out "$TEST_TMPDIR/cert.pem" \
    2>/dev/null || bail_out "openssl cannot make a test certificate"
PLAIN_DIR=$TEST_TMPDIR/plain
TLS_DIR=$TEST_TMPDIR/tls
start_peer PLAIN "$SMTP_PY" "$top_srcdir/t/lib/smtp_sink.py" --dir "$PLAIN_DIR" --user alice --password 'pa ss'
start_peer TLS "$SMTP_PY" "$top_srcdir/t/lib/smtp_sink.py" --dir "$TLS_DIR" --user alice --password 'pa ss' \
    --cert "$TEST_TMPDIR/cert.pem" --key "$TEST_TMPDIR/key.pem"

salve_start_daemon "workers:
  poll_interval_ms: 100
  backoff_initial_ms: 200
notify:
  public_url: https://salve.example.com
  channels:
    - name: mail
      plugin: notify_email
    - name: mail-tls
      plugin: notify_email
      settings: {url: \"smtp://127.0.0.1:$TLS\", ca_file: \"$TEST_TMPDIR/cert.pem\", username: alice,
                 password: \"pa ss\", from: salve@example.com, to: [oncall@example.com]}
    - name: mail-badpass
      plugin: notify_email
      settings: {url: \"smtp://127.0.0.1:$PLAIN\", tls: none, username: alice, password: wrong,
                 from: salve@example.com, to: [oncall@example.com]}
    - name: mail-notls
      plugin: notify_email
      settings: {url: \"smtp://127.0.0.1:$PLAIN\", from: salve@example.com, to: [oncall@example.com]}
  routes:
    - events: [alert.received]
      channels: [mail, mail-tls, mail-badpass, mail-notls]" "  notify_email:
    url: \"smtp://127.0.0.1:$PLAIN\"
    tls: none
    username: alice
    password: \"pa ss\"
    from: salve@example.com
    to: [oncall@example.com, dba@example.com]"

payload=$(python3 -c 'import json
print(json.dumps({"version": "4", "status": "firing", "alerts": [{"status": "firing",
  "labels": {"alertname": "Überlast", "severity": "critical", "instance": "db-1"},
  "annotations": {"summary": "Speicher fast voll — 99 % <belegt> ✓"},
  "startsAt": "2026-11-30T04:00:00Z", "fingerprint": "ueberlast"}]}))')
ok "an alert with a UTF-8 name is ingested" ingest "$payload"
EVENT_ID=$(salve_psql -c "SELECT DISTINCT event_id FROM outbox WHERE consumer LIKE 'notify:%'")

ok "the SMTP server receives the message" wait_for 15 test -s "$PLAIN_DIR/1.eml"
# what a mail reader sees: Python's email package parses the message as received
parsed=$(python3 - "$PLAIN_DIR/1.eml" <<'PY'
import email, email.policy, email.utils, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = {p.get_content_type(): p.get_content() for p in m.iter_parts()}
print(json.dumps({"subject": str(m["Subject"]), "from": str(m["From"]), "to": str(m["To"]),
  "date_ok": email.utils.parsedate_to_datetime(str(m["Date"])) is not None,
  "message_id": str(m["Message-ID"]), "mime": str(m["MIME-Version"]), "type": m.get_content_type(),
  "raw_subject": open(sys.argv[1], "rb").read().split(b"\r\nSubject: ")[1].split(b"\r\n")[0].decode(),
  "kinds": sorted(parts), "plain": parts.get("text/plain", ""), "html": parts.get("text/html", "")}))
PY
)
is "[FIRING] Überlast (critical) on db-1" "$(jq_py 'd["subject"]' "$parsed")" "the UTF-8 subject decodes to the title"
like '^=\?UTF-8\?B\?' "$(jq_py 'd["raw_subject"]' "$parsed")" "it is RFC 2047 encoded on the wire"
is "salve <salve@example.com>|oncall@example.com, dba@example.com|1.0|true" \
    "$(jq_py 'd["from"] + "|" + d["to"] + "|" + d["mime"] + "|" + str(d["date_ok"]).lower()' "$parsed")" \
    "From, To, MIME-Version and a Date that parses"
like "^<$EVENT_ID\.mail@example\.com>$" "$(jq_py 'd["message_id"]' "$parsed")" "the Message-ID carries the event id"
is 'multipart/alternative ["text/html", "text/plain"]' "$(jq_py 'd["type"] + " " + json.dumps(d["kinds"])' "$parsed")" \
    "multipart/alternative with a text and an HTML part"
like 'Speicher fast voll — 99 % <belegt> ✓' "$(jq_py 'd["plain"]' "$parsed")" "the text part has the summary as written"
like 'Speicher fast voll — 99 % &lt;belegt&gt; ✓' "$(jq_py 'd["html"]' "$parsed")" "the HTML part has it escaped"
like 'href="https://salve.example.com/ui/#/alerts/[0-9a-f-]+"' "$(jq_py 'd["html"]' "$parsed")" "and a link to the alert"
is '["oncall@example.com", "dba@example.com"]' "$(jq_py 'd["rcpt_tos"]' "$(cat "$PLAIN_DIR/1.json")")" \
    "the envelope has both recipients"

ok "the STARTTLS server receives its copy" wait_for 15 test -s "$TLS_DIR/1.eml"
is "true" "$(jq_py 'd["tls"]' "$(cat "$TLS_DIR/1.json")")" "over TLS, verified with ca_file"

bad_dead() { [ "$(outbox_rows notify:mail-badpass status)" = dead ]; }
ok "a wrong password is a dead letter at once" wait_for 15 bad_dead
like 'Login denied' "$(outbox_rows notify:mail-badpass last_error)" "that says the login was denied"
notls_dead() { [ "$(outbox_rows notify:mail-notls status)" = dead ]; }
ok "STARTTLS required but not offered is a dead letter" wait_for 15 notls_dead
like 'offers no STARTTLS' "$(outbox_rows notify:mail-notls last_error)" "that says so"
is 1 "$(ls "$PLAIN_DIR"/*.eml | wc -l)" "neither sent a message"

out=$("$top_builddir/core/salvectl" -c "$SALVE_CONFIG" notify test mail-tls 2>&1)
is "sent a test message through mail-tls" "$out" "salvectl notify test sends through email"
ok "it arrives" wait_for 10 test -s "$TLS_DIR/2.eml"

done_testing
