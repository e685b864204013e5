/*
 * t/unit/embed.c - the pure parts of core/embed.c: the one HTML escaper,
 * signed embed links (signature vectors computed independently with
 * Python's hmac; valid, expired, tampered, another scope, no key), the
 * TTL parser, and application/x-www-form-urlencoded parsing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "tap.h"

#define KEY "test-signing-key"
#define ALERT "3f1c2a9e-0000-4000-8000-000000000001"
#define ALERT_SIG "19ed57536b3b34b854b992e28ed2cb4d9eb753055e81eb9ed6b6fa2324ac5c6f"
#define EXEC_SIG "738edd4f5d7e202f1adf8c393860d67d04992e692b3a3a626bafee43643869b8"
#define NOW 1900000000 /* before the vectors' exp, 2000000000 */

static char *escaped(const char *s)
{
	struct buf b = { 0 };

	if (embed_html_escape(&b, s) < 0)
		bail("embed_html_escape failed");
	return buf_steal(&b);
}

static void test_escape(void)
{
	char *out;

	out = escaped("<script>alert(1)</script>");
	is_string("&lt;script&gt;alert(1)&lt;/script&gt;", out, "a <script> label becomes text");
	free(out);
	out = escaped("a & b \"q\" 'p'");
	is_string("a &amp; b &quot;q&quot; &#39;p&#39;", out, "&, double and single quotes are escaped");
	free(out);
	out = escaped("\" onmouseover=\"x");
	is_string("&quot; onmouseover=&quot;x", out, "a value cannot leave its attribute");
	free(out);
	out = escaped("disk / \xc3\xa9t\xc3\xa9 100%");
	is_string("disk / \xc3\xa9t\xc3\xa9 100%", out, "other text, UTF-8 included, is kept as it is");
	free(out);
	out = escaped("");
	is_string("", out, "the empty string stays empty");
	free(out);
	out = escaped(NULL);
	is_string("", out, "NULL appends nothing");
	free(out);
}

static void test_sign(void)
{
	char sig[65];

	ok(embed_sign(KEY, "alert", ALERT, "2000000000", NULL, sig) == 0, "embed_sign succeeds");
	is_string(ALERT_SIG, sig, "the signature is hex HMAC-SHA256 of \"alert:<id>:<exp>:\" (no user)");
	embed_sign(KEY, "alert", ALERT, "2000000000", "", sig);
	is_string(ALERT_SIG, sig, "an empty user signs as no user");
	embed_sign(KEY, "execution", "e1", "2000000000", "alice", sig);
	is_string(EXEC_SIG, sig, "with a user: \"execution:e1:2000000000:alice\"");
}

static void test_verify(void)
{
	char upper[65];

	is_int(0, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, ALERT_SIG, NOW), "a valid link verifies");
	is_int(0, embed_verify(KEY, "execution", "e1", "2000000000", "alice", EXEC_SIG, NOW),
	       "a valid link with a user verifies");
	for (size_t i = 0; i <= 64; i++)
		upper[i] = (char)(ALERT_SIG[i] >= 'a' && ALERT_SIG[i] <= 'f' ? ALERT_SIG[i] - 32 : ALERT_SIG[i]);
	is_int(0, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, upper, NOW),
	       "upper-case hex is the same signature");
	is_int(-EKEYEXPIRED, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, ALERT_SIG, 2000000001),
	       "a second after exp the link has expired");
	is_int(0, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, ALERT_SIG, 2000000000),
	       "at exp itself it is still valid");
	is_int(-EACCES,
	       embed_verify(KEY, "alert", ALERT, "2000000000", NULL,
			    "19ed57536b3b34b854b992e28ed2cb4d9eb753055e81eb9ed6b6fa2324ac5c6e", NOW),
	       "a signature with one digit changed is refused");
	is_int(-EACCES, embed_verify(KEY, "alert", ALERT, "2100000000", NULL, ALERT_SIG, NOW),
	       "a later exp with the old signature (an extended link) is refused");
	is_int(-EACCES, embed_verify(KEY, "alert", ALERT, "2000000000", "mallory", ALERT_SIG, NOW),
	       "adding user= to a link without one is refused");
	is_int(-EACCES, embed_verify(KEY, "execution", "e1", "2000000000", "bob", EXEC_SIG, NOW),
	       "another user on a link is refused");
	is_int(-EACCES, embed_verify(KEY, "execution", ALERT, "2000000000", NULL, ALERT_SIG, NOW),
	       "an alert link does not open the execution page of the same id (wrong kind)");
	is_int(-EACCES,
	       embed_verify(KEY, "alert", "3f1c2a9e-0000-4000-8000-000000000002", "2000000000", NULL, ALERT_SIG, NOW),
	       "an alert link does not open another alert (wrong id)");
	is_int(-EACCES, embed_verify("another-key", "alert", ALERT, "2000000000", NULL, ALERT_SIG, NOW),
	       "a link signed with another key is refused");
	is_int(-EACCES, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, "19ed5753", NOW),
	       "a cut-short signature is refused");
	is_int(-EACCES,
	       embed_verify(KEY, "alert", ALERT, "2000000000", NULL,
			    "zzed57536b3b34b854b992e28ed2cb4d9eb753055e81eb9ed6b6fa2324ac5c6f", NOW),
	       "a signature that is not hex is refused");
	is_int(-ENOKEY, embed_verify(NULL, "alert", ALERT, "2000000000", NULL, ALERT_SIG, NOW),
	       "without a configured key every link is refused (no key)");
	is_int(-ENOKEY, embed_verify("", "alert", ALERT, "2000000000", NULL, ALERT_SIG, NOW),
	       "an empty key counts as none");
	is_int(-EINVAL, embed_verify(KEY, "alert", ALERT, NULL, NULL, ALERT_SIG, NOW), "a missing exp is malformed");
	is_int(-EINVAL, embed_verify(KEY, "alert", ALERT, "2000000000", NULL, NULL, NOW), "a missing sig is malformed");
	is_int(-EINVAL, embed_verify(KEY, "alert", ALERT, "2e9", NULL, ALERT_SIG, NOW), "exp must be digits");
	is_int(-EINVAL, embed_verify(KEY, "alert", ALERT, "-1", NULL, ALERT_SIG, NOW), "a negative exp is malformed");
}

static void test_link_query(void)
{
	struct buf b = { 0 };
	char want[256];

	ok(embed_link_query(&b, KEY, "alert", ALERT, 2000000000, NULL) == 0, "embed_link_query succeeds");
	snprintf(want, sizeof(want), "exp=2000000000&sig=%s", ALERT_SIG);
	is_string(want, b.data, "without a user: exp and sig");
	buf_free(&b);
	embed_link_query(&b, KEY, "execution", "e1", 2000000000, "alice");
	snprintf(want, sizeof(want), "exp=2000000000&sig=%s&user=alice", EXEC_SIG);
	is_string(want, b.data, "with a user: exp, sig and user");
	buf_free(&b);
	embed_link_query(&b, KEY, "alert", ALERT, 2000000000, "a b&c=d/\xc3\xa9");
	is_contains("&user=a%20b%26c%3Dd%2F%C3%A9", b.data, "the user is percent-encoded in the query");
	buf_free(&b);
}

static void test_ttl(void)
{
	long s = 0;

	ok(embed_parse_ttl("30d", &s) == 0 && s == 30 * 86400, "30d is 30 days");
	ok(embed_parse_ttl("12h", &s) == 0 && s == 12 * 3600, "12h is 12 hours");
	ok(embed_parse_ttl("15m", &s) == 0 && s == 900, "15m is 900 seconds");
	ok(embed_parse_ttl("3600", &s) == 0 && s == 3600, "a plain number is seconds");
	ok(embed_parse_ttl("90s", &s) == 0 && s == 90, "90s is 90 seconds");
	is_int(-EINVAL, embed_parse_ttl("0", &s), "0 is refused");
	is_int(-EINVAL, embed_parse_ttl("-5", &s), "a negative TTL is refused");
	is_int(-EINVAL, embed_parse_ttl("30w", &s), "an unknown unit is refused");
	is_int(-EINVAL, embed_parse_ttl("3dd", &s), "trailing text is refused");
	is_int(-EINVAL, embed_parse_ttl("d", &s), "a unit without a number is refused");
	is_int(-EINVAL, embed_parse_ttl("5000d", &s), "more than ten years is refused");
}

/* The parsed form as "name=[v1|v2] ..." in the object's order. */
static char *form_of(const char *body, size_t len, int *rc)
{
	json_t *form = NULL, *values, *v;
	struct buf b = { 0 };
	const char *name;
	size_t i;

	*rc = embed_form_parse(body, len, &form);
	if (*rc < 0)
		return NULL;
	json_object_foreach(form, name, values) {
		buf_printf(&b, "%s%s=[", b.len ? " " : "", name);
		json_array_foreach(values, i, v)
			buf_printf(&b, "%s%s", i ? "|" : "", json_string_value(v));
		buf_puts(&b, "]");
	}
	json_decref(form);
	buf_puts(&b, "");
	return buf_steal(&b);
}

static void form_is(const char *body, const char *want, const char *why)
{
	int rc;
	char *got = form_of(body, strlen(body), &rc);

	is_string(want, got, "%s", why);
	free(got);
}

static void test_form(void)
{
	int rc;
	char *got;

	form_is("helpful=true&rating=4", "helpful=[true] rating=[4]", "two fields");
	form_is("comments=disk+was+full", "comments=[disk was full]", "+ is a space");
	form_is("comments=100%25+%3Cb%3E%26%3D", "comments=[100% <b>&=]", "%XX is a byte, in either case");
	form_is("comments=%c3%a9t%C3%A9", "comments=[\xc3\xa9t\xc3\xa9]", "UTF-8 arrives as %XX bytes");
	form_is("a=1&a=2&b=3&a=4", "a=[1|2|4] b=[3]", "a repeated name keeps every value in order");
	form_is("a+b%20c=x", "a b c=[x]", "names are decoded too");
	form_is("flag&x=", "flag=[] x=[]", "a name without = or value has the empty value");
	form_is("&&x=1&", "x=[1]", "empty pairs are skipped");
	form_is("x=%zz%4&y=%", "x=[%zz%4] y=[%]", "malformed escapes stay as written");
	form_is("x=a=b", "x=[a=b]", "only the first = splits");
	form_is("", "", "an empty body is an empty form");
	got = form_of("x=%00", 5, &rc);
	is_int(-EILSEQ, rc, "an encoded NUL is refused");
	free(got);
	got = form_of("x=%ff%fe", 8, &rc);
	is_int(-EILSEQ, rc, "a value that is not UTF-8 is refused");
	free(got);
	got = form_of("%ff=1", 5, &rc);
	is_int(-EILSEQ, rc, "a name that is not UTF-8 is refused");
	free(got);
	got = form_of("x=1\0y=2", 7, &rc);
	is_int(-EILSEQ, rc, "a raw NUL in the body is refused");
	free(got);
	got = form_of("x=1&y=2garbage", 7, &rc);
	is_string("x=[1] y=[2]", got, "the body's length is honoured, not its NUL");
	free(got);
}

int main(void)
{
	plan_lazy();
	test_escape();
	test_sign();
	test_verify();
	test_link_query();
	test_ttl();
	test_form();
	return done_testing();
}
