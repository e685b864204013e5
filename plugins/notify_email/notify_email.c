/*
 * plugins/notify_email/notify_email.c - notifications as email, sent with
 * libcurl's SMTP client.
 *
 * smtp://host:587 with STARTTLS (required unless tls: none) or smtps://
 * for implicit TLS; AUTH with username and password.  Each message is
 * multipart/alternative (text/plain and text/html, UTF-8, base64) with the
 * RFC 5322 headers Date, From, To, Subject (RFC 2047 encoded when not
 * ASCII), Message-ID and MIME-Version.  The Message-ID comes from the
 * event id, so a message sent twice is recognisably the same one.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <salve/plugin.h>

struct email_ctx {
	char *url;
	char *tls;
	char *username;
	char *password;
	char *ca_file;
	char *from;
	char **to;
	long timeout_ms;
};

static const struct salve_config_entry email_config[] = {
	{ SALVE_CFG_STRING, "url", NULL, offsetof(struct email_ctx, url),
	  "smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS)", 0 },
	{ SALVE_CFG_STRING, "tls", "starttls", offsetof(struct email_ctx, tls),
	  "smtp:// only: starttls (required) or none (a trusted relay on localhost)", 0 },
	{ SALVE_CFG_STRING, "username", NULL, offsetof(struct email_ctx, username), "SMTP AUTH user", 0 },
	{ SALVE_CFG_STRING, "password", NULL, offsetof(struct email_ctx, password), "SMTP AUTH password", SALVE_CFG_SECRET },
	{ SALVE_CFG_STRING, "ca_file", NULL, offsetof(struct email_ctx, ca_file),
	  "CA certificates to verify the server with (default: the system's)", 0 },
	{ SALVE_CFG_STRING, "from", NULL, offsetof(struct email_ctx, from), "the sender address, e.g. salve@example.com", 0 },
	{ SALVE_CFG_STRLIST, "to", NULL, offsetof(struct email_ctx, to), "recipient addresses", 0 },
	{ SALVE_CFG_INT, "timeout_ms", "30000", offsetof(struct email_ctx, timeout_ms), "per message", 0 },
	SALVE_CONFIG_END
};

struct text {
	char *data;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *grown = realloc(t->data, cap);
		if (!grown)
			return;
		t->data = grown;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
			return 0;
	return 1;
}

/* Subject: as is when plain ASCII, else RFC 2047 encoded words of at most
 * 64 characters (39 bytes each, cut between UTF-8 characters), folded. */
static void put_subject(struct text *t, const char *subject)
{
	size_t len = strlen(subject), at = 0;

	puts_(t, "Subject: ");
	if (is_ascii(subject) && len < 900) {
		puts_(t, subject);
		puts_(t, "\r\n");
		return;
	}
	while (at < len) {
		size_t n = len - at > 39 ? 39 : len - at; /* "Subject: " and the word fit 78 */
		unsigned char enc[64];

		while (n < len - at && n > 0 && ((unsigned char)subject[at + n] & 0xc0) == 0x80)
			n--; /* do not split a character */
		EVP_EncodeBlock(enc, (const unsigned char *)subject + at, (int)n);
		if (at)
			puts_(t, "\r\n ");
		puts_(t, "=?UTF-8?B?");
		puts_(t, (const char *)enc);
		puts_(t, "?=");
		at += n;
	}
	puts_(t, "\r\n");
}

/* base64 in lines of 76 characters. */
static void put_base64(struct text *t, const char *s)
{
	size_t len = strlen(s);
	unsigned char enc[80];

	for (size_t at = 0; at < len; at += 57) {
		int n = EVP_EncodeBlock(enc, (const unsigned char *)s + at, (int)(len - at > 57 ? 57 : len - at));
		put(t, (const char *)enc, (size_t)n);
		puts_(t, "\r\n");
	}
}

static void put_html_escaped(struct text *t, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': puts_(t, "&amp;"); break;
		case '<': puts_(t, "&lt;"); break;
		case '>': puts_(t, "&gt;"); break;
		case '"': puts_(t, "&quot;"); break;
		case '\n': puts_(t, "<br>\n"); break;
		default: put(t, s, 1);
		}
	}
}

static void put_date(struct text *t, time_t now)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char line[64];

	gmtime_r(&now, &tm);
	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	puts_(t, line);
}

/* The whole RFC 5322 message for n; malloc()ed. */
char *email_message(const struct email_ctx *c, const struct salve_notification *n, time_t now);
char *email_message(const struct email_ctx *c, const struct salve_notification *n, time_t now)
{
	struct text t = { 0 }, plain = { 0 }, html = { 0 };
	const char *title = n->title && *n->title ? n->title : n->event;
	const char *domain = c->from && strchr(c->from, '@') ? strchr(c->from, '@') + 1 : "salve.invalid";
	char line[512];

	put_date(&t, now);
	snprintf(line, sizeof(line), "From: salve <%s>\r\n", c->from ? c->from : "");
	puts_(&t, line);
	puts_(&t, "To: ");
	for (char **r = c->to; r && *r; r++) {
		puts_(&t, r == c->to ? "" : ",\r\n ");
		puts_(&t, *r);
	}
	puts_(&t, "\r\n");
	put_subject(&t, title);
	snprintf(line, sizeof(line), "Message-ID: <%s.%s@%s>\r\n", n->event_id, n->channel, domain);
	puts_(&t, line);
	snprintf(line, sizeof(line), "X-Salve-Event: %s\r\nX-Salve-Event-Id: %s\r\n", n->event, n->event_id);
	puts_(&t, line);
	puts_(&t, "MIME-Version: 1.0\r\n");
	snprintf(line, sizeof(line), "Content-Type: multipart/alternative;\r\n boundary=\"=_salve_%s\"\r\n\r\n",
		 n->event_id);
	puts_(&t, line);

	puts_(&plain, title);
	puts_(&plain, "\n\n");
	puts_(&plain, n->text ? n->text : "");
	if (n->link) {
		puts_(&plain, "\n\nOpen in salve: ");
		puts_(&plain, n->link);
	}
	puts_(&plain, "\n");
	puts_(&html, "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n<h2>");
	put_html_escaped(&html, title);
	puts_(&html, "</h2>\n<p>");
	put_html_escaped(&html, n->text);
	puts_(&html, "</p>\n");
	if (n->link) {
		puts_(&html, "<p><a href=\"");
		put_html_escaped(&html, n->link);
		puts_(&html, "\">Open in salve</a></p>\n");
	}
	puts_(&html, "</body></html>\n");

	snprintf(line, sizeof(line), "--=_salve_%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", n->event_id);
	puts_(&t, line);
	put_base64(&t, plain.data ? plain.data : "");
	snprintf(line, sizeof(line), "--=_salve_%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", n->event_id);
	puts_(&t, line);
	put_base64(&t, html.data ? html.data : "");
	snprintf(line, sizeof(line), "--=_salve_%s--\r\n", n->event_id);
	puts_(&t, line);
	free(plain.data);
	free(html.data);
	return t.data;
}

struct reader {
	const char *data;
	size_t left;
};

static size_t read_message(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct reader *r = userdata;
	size_t n = size * nitems < r->left ? size * nitems : r->left;

	memcpy(buf, r->data, n);
	r->data += n;
	r->left -= n;
	return n;
}

static int email_deliver(void *ctx, const struct salve_notification *n, long *retry_after_ms, char *error,
			 size_t errlen)
{
	struct email_ctx *c = ctx;
	struct curl_slist *rcpt = NULL;
	char from[320], errbuf[CURL_ERROR_SIZE] = "", *msg;
	struct reader r;
	long smtp_code = 0;
	CURLcode rc;
	CURL *curl;
	int smtps;

	*retry_after_ms = 0;
	if (!c->url || (strncmp(c->url, "smtp://", 7) != 0 && strncmp(c->url, "smtps://", 8) != 0) || !c->from ||
	    !c->to || !c->to[0]) {
		snprintf(error, errlen, "url (smtp:// or smtps://), from and to are needed");
		return -EINVAL;
	}
	smtps = strncmp(c->url, "smtps://", 8) == 0;
	if (!smtps && strcmp(c->tls, "starttls") != 0 && strcmp(c->tls, "none") != 0) {
		snprintf(error, errlen, "tls: expected starttls or none, not \"%s\"", c->tls);
		return -EINVAL;
	}
	if (!(curl = curl_easy_init()))
		return SALVE_RETRY;
	msg = email_message(c, n, time(NULL));
	r = (struct reader){ msg, msg ? strlen(msg) : 0 };
	for (char **to = c->to; *to; to++) {
		char addr[320];
		snprintf(addr, sizeof(addr), "<%s>", *to);
		rcpt = curl_slist_append(rcpt, addr);
	}
	snprintf(from, sizeof(from), "<%s>", c->from);
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_USE_SSL, smtps || strcmp(c->tls, "starttls") == 0 ? CURLUSESSL_ALL : CURLUSESSL_NONE);
	if (c->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	if (c->username)
		curl_easy_setopt(curl, CURLOPT_USERNAME, c->username);
	if (c->password)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, c->password);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(curl, CURLOPT_READDATA, &r);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 30000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = msg ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	free(msg);
	if (rc == CURLE_OK)
		return SALVE_OK;
	snprintf(error, errlen, "smtp %s: %s (last reply %ld)", c->url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
		 smtp_code);
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return -EACCES;
	case CURLE_USE_SSL_FAILED:
		snprintf(error + strlen(error), errlen - strlen(error), ": the server offers no STARTTLS");
		return -EPROTO;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	default:
		/* 5xx replies (mailbox unknown, relaying denied) will not change */
		return smtp_code >= 500 && smtp_code < 600 ? -EPROTO : SALVE_RETRY;
	}
}

static const struct salve_notify_ops email_ops = {
	.hdr = { sizeof(struct salve_notify_ops), SALVE_KIND_NOTIFY },
	.deliver = email_deliver,
};

static const struct salve_plugin_desc email_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "notify_email",
	.version = "0.1",
	.description = "notifications as email over SMTP (STARTTLS or smtps, AUTH)",
	.kind = SALVE_KIND_NOTIFY,
	.config = email_config,
	.ctx_size = sizeof(struct email_ctx),
	.ops = &email_ops.hdr,
};

const struct salve_plugin_desc *salve_plugin_entry(void) { return &email_desc; }
