/*
 * t/unit/notify_email.c - the email plugin's message against the mock
 * core: RFC 5322 headers with CRLF line ends, the Date of a known time, a
 * Message-ID from the event id, a UTF-8 subject as RFC 2047 encoded words
 * of at most 75 characters that decode back, an ASCII subject as is, both
 * parts base64 in lines of at most 76, and a clear refusal without settings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "mock_core.h"
#include "tap.h"

struct email_ctx;
char *email_message(const struct email_ctx *c, const struct salve_notification *n, time_t now);

/* The decoded subject of msg (encoded words joined), or the raw one. */
static char *subject_of(const char *msg, int *max_word, int *encoded)
{
	const char *s = strstr(msg, "\r\nSubject: ") + 11;
	char *out = calloc(1, 4096);
	size_t len = 0;

	*max_word = 0;
	*encoded = strncmp(s, "=?UTF-8?B?", 10) == 0;
	if (!*encoded) {
		memcpy(out, s, (size_t)(strstr(s, "\r\n") - s));
		return out;
	}
	while (strncmp(s, "=?UTF-8?B?", 10) == 0) {
		const char *end = strstr(s, "?=");
		unsigned char dec[128];
		int n = EVP_DecodeBlock(dec, (const unsigned char *)s + 10, (int)(end - s - 10));
		int word = (int)(end + 2 - s);
		const char *b64end = end;

		if (word > *max_word)
			*max_word = word;
		while (b64end > s && b64end[-1] == '=') { /* padding decodes as zero bytes */
			n--;
			b64end--;
		}
		memcpy(out + len, dec, (size_t)n);
		len += (size_t)n;
		s = end + 2;
		if (strncmp(s, "\r\n ", 3) != 0)
			break;
		s += 3;
	}
	return out;
}

int main(void)
{
	plan_lazy();
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(),
						 (const char *[]){ "url", "smtp://127.0.0.1:25", "tls", "none", "from",
								   "salve@example.com", "to", "[a@example.com, b@example.com]", NULL });
	const struct salve_notify_ops *ops = (const void *)salve_plugin_entry()->ops;
	if (!p)
		bail("the mock refused the config");
	is_int(0, mock_plugin_init(p), "it initialises");

	const char *title = "[FIRING] Überlast auf dem Datenbankserver — Speicher fast voll, bitte prüfen ✓✓✓";
	json_t *payload = json_object();
	struct salve_notification n = { "mail", "6f1c2b9e-0000-4000-8000-00000000abcd", "alert.received", payload, title,
					"line one <b>\nline two", "https://salve.example.com/ui/#/alerts/x" };
	char *msg = email_message(mock_plugin_ctx(p), &n, (time_t)1796004000);
	int max_word, encoded;
	char *subject = subject_of(msg, &max_word, &encoded);

	ok(strncmp(msg, "Date: Mon, 30 Nov 2026 02:00:00 +0000\r\n", 39) == 0, "the Date header of a known time");
	is_contains("\r\nFrom: salve <salve@example.com>\r\n", msg, "From");
	is_contains("\r\nTo: a@example.com,\r\n b@example.com\r\n", msg, "To, folded");
	is_contains("\r\nMessage-ID: <6f1c2b9e-0000-4000-8000-00000000abcd.mail@example.com>\r\n", msg,
		    "a Message-ID from the event id and channel");
	is_contains("\r\nMIME-Version: 1.0\r\n", msg, "MIME-Version");
	is_contains("Content-Type: multipart/alternative;\r\n boundary=", msg, "multipart/alternative");
	is_contains("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64", msg, "a text part");
	is_contains("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64", msg, "an HTML part");
	ok(encoded, "a UTF-8 subject is RFC 2047 encoded");
	ok(max_word <= 75, "in encoded words of at most 75 characters (%d)", max_word);
	is_string(title, subject, "that decode back to the title, no character split");
	{
		int bare_lf = 0, long_line = 0;
		const char *line = msg;
		for (const char *c = msg; *c; c++) {
			if (*c == '\n' && (c == msg || c[-1] != '\r'))
				bare_lf = 1;
			if (*c == '\n') {
				if (c - line > 78)
					long_line = 1;
				line = c + 1;
			}
		}
		ok(!bare_lf, "every line ends in CRLF");
		ok(!long_line, "no line is longer than 78 characters");
	}
	free(subject);
	free(msg);

	n.title = "plain ascii subject";
	msg = email_message(mock_plugin_ctx(p), &n, (time_t)1796004000);
	subject = subject_of(msg, &max_word, &encoded);
	ok(!encoded, "an ASCII subject is not encoded");
	is_string("plain ascii subject", subject, "and stays as is");
	free(subject);
	free(msg);
	mock_plugin_free(p);

	p = mock_plugin_new(salve_plugin_entry(), NULL);
	char error[256] = "";
	long retry = 0;
	is_int(-EINVAL, ops->deliver(mock_plugin_ctx(p), &n, &retry, error, sizeof(error)),
	       "without url, from and to delivery is refused for good");
	is_contains("from and to", error, "saying what is needed");
	mock_plugin_free(p);
	json_decref(payload);
	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
