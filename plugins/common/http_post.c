/*
 * plugins/common/http_post.c - one HTTP POST with libcurl, and the verdict
 * the outbox needs from its answer.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <salve/plugin.h>

#include "http_post.h"

static size_t keep_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_answer *a = userdata;
	size_t have = strlen(a->body), n = size * nmemb;

	if (have + 1 < sizeof(a->body)) {
		size_t take = n < sizeof(a->body) - 1 - have ? n : sizeof(a->body) - 1 - have;
		memcpy(a->body + have, data, take);
		a->body[have + take] = '\0';
	}
	return n;
}

static size_t keep_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_answer *a = userdata;
	size_t n = size * nmemb;

	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		long seconds = strtol(data + 12, NULL, 10);
		if (seconds > 0 && seconds < 86400)
			a->retry_after_ms = seconds * 1000;
	}
	return n;
}

void http_post(const char *url, const char *const *headers, const char *body, size_t len, long timeout_ms,
	       struct http_answer *answer)
{
	struct curl_slist *list = NULL;
	CURL *curl = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	memset(answer, 0, sizeof(*answer));
	if (!curl) {
		snprintf(answer->error, sizeof(answer->error), "cannot start libcurl");
		return;
	}
	for (const char *const *h = headers; h && *h; h++)
		list = curl_slist_append(list, *h);
	list = curl_slist_append(list, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, keep_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, answer);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer->status);
	else
		snprintf(answer->error, sizeof(answer->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
}

int http_post_verdict(const char *peer, const struct http_answer *a, long *retry_after_ms, char *err,
		      size_t errlen)
{
	*retry_after_ms = 0;
	if (a->status >= 200 && a->status < 300)
		return SALVE_OK;
	if (a->status == 0) {
		snprintf(err, errlen, "%s: no answer: %s", peer, a->error);
		return SALVE_RETRY;
	}
	snprintf(err, errlen, "%s answered HTTP %ld: %.200s", peer, a->status, a->body);
	if (a->status == 408 || a->status == 429 || a->status >= 500) {
		*retry_after_ms = a->retry_after_ms;
		return SALVE_RETRY;
	}
	switch (a->status) {
	case 400: case 422: return -EINVAL;
	case 401: case 403: return -EACCES;
	case 404: case 410: return -ENOENT;
	default: return -EPROTO;
	}
}

int hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!key || !HMAC(EVP_sha256(), key, (int)strlen(key), data, len, mac, &n) || n != 32)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}
