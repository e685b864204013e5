/*
 * t/unit/buf.c - the growable buffer and its JSON writers: what they write
 * must parse back to the same strings, whatever bytes the strings hold.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "buf.h"
#include "tap.h"

/* Writes s with buf_json_string and parses it back. */
static char *round_trip(const char *s)
{
	struct buf b = { 0 };
	json_t *parsed;
	char *back;

	buf_json_string(&b, s);
	parsed = json_loads(b.data, JSON_DECODE_ANY, NULL);
	back = json_is_string(parsed) ? strdup(json_string_value(parsed)) : NULL;
	json_decref(parsed);
	buf_free(&b);
	return back;
}

static void test_buf(void)
{
	struct buf b = { 0 };
	char *stolen;

	buf_puts(&b, "alerts");
	buf_printf(&b, " %d/%s", 42, "ok");
	is_string("alerts 42/ok", b.data, "buf_puts and buf_printf append in order");
	is_int(12, (long)b.len, "len counts the bytes appended");
	for (int i = 0; i < 1000; i++)
		buf_append(&b, "0123456789", 10);
	is_int(10012, (long)b.len, "the buffer grows past its first allocation");
	stolen = buf_steal(&b);
	ok(b.data == NULL && b.len == 0, "buf_steal leaves the buffer empty");
	is_int(10012, (long)strlen(stolen), "and hands over the whole text");
	free(stolen);
	stolen = buf_steal(&b);
	is_string("", stolen, "stealing from an empty buffer gives an empty string");
	free(stolen);
}

static void test_json_string(void)
{
	static const char *cases[] = {
		"plain", "quote \" and backslash \\", "new\nline\ttab\r", "\x01\x1f control",
		"UTF-8: d\xc3\xa9j\xc3\xa0 \xe2\x9c\x93", "</script><b>", "$(reboot); rm -rf /", "",
	};
	struct buf b = { 0 };
	json_t *map, *parsed;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *back = round_trip(cases[i]);
		is_string(cases[i], back, "buf_json_string case %zu parses back unchanged", i);
		free(back);
	}
	buf_json_string(&b, NULL);
	is_string("null", b.data, "a NULL string is written as null");
	buf_free(&b);

	buf_json_string_map(&b, NULL);
	is_string("{}", b.data, "a NULL map is written as {}");
	buf_free(&b);

	map = json_pack("{s:s,s:s,s:s}", "alertname", "Disk \"full\"", "instance", "db-1:9187",
			"we\nird", "va\\lue");
	buf_json_string_map(&b, map);
	parsed = json_loads(b.data, 0, NULL);
	ok(parsed != NULL, "buf_json_string_map writes valid JSON");
	ok(json_equal(map, parsed), "and it parses back to the same object");
	json_decref(parsed);
	json_decref(map);
	buf_free(&b);
}

int main(void)
{
	plan_lazy();
	test_buf();
	test_json_string();
	return done_testing();
}
