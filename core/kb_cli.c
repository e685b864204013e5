/*
 * core/kb_cli.c - `salvectl kb sync DIR`: markdown files with front
 * matter into the knowledge base, with a progress bar on a terminal and a
 * summary of what was added, changed and unchanged.  A file with bad
 * front matter is reported as PATH:LINE: why, skipped, and the rest
 * still syncs.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "kb_cli.h"
#include "kb_files.h"

#define BAR_WIDTH 30

struct progress {
	int tty;
	int drawn;
};

static void show(size_t done, size_t total, const char *path, const char *problem, void *ud)
{
	struct progress *pr = ud;
	int filled = total ? (int)(done * BAR_WIDTH / total) : BAR_WIDTH;

	(void)path;
	if (problem) {
		if (pr->drawn)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "%s (skipped)\n", problem);
	}
	if (!pr->tty)
		return;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "##############################", BAR_WIDTH - filled, "",
		done, total);
	pr->drawn = 1;
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int sync_usage(void)
{
	fputs("salvectl: kb: expected \"sync DIR [--both] [--editor NAME]\"\n", stderr);
	return 2;
}

int kb_cli(const struct salve_config *cfg, int argc, char **argv)
{
	struct kb_sync_summary s;
	struct progress pr = { isatty(STDERR_FILENO), 0 };
	const char *dir = NULL, *editor = "salvectl";
	char err[512];
	int both = 0, rc;
	PGconn *db;

	if (argc < 2 || strcmp(argv[0], "sync") != 0)
		return sync_usage();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--both") == 0)
			both = 1;
		else if (strcmp(argv[i], "--editor") == 0 && i + 1 < argc)
			editor = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return sync_usage();
	}
	if (!dir)
		return sync_usage();
	if (!(db = db_connect(cfg->database.url, (int)cfg->database.connect_timeout, err, sizeof(err)))) {
		fprintf(stderr, "salvectl: cannot connect to the database: %s\n", err);
		return 1;
	}
	rc = kb_files_sync_dir(db, dir, both, editor, show, &pr, &s, err, sizeof(err));
	PQfinish(db);
	if (rc < 0) {
		fprintf(stderr, "salvectl: kb sync: %s\n", err);
		return 1;
	}
	printf("%s: %zu file%s: %zu added, %zu changed, %zu unchanged, %zu skipped", dir, s.files,
	       s.files == 1 ? "" : "s", s.added, s.changed, s.unchanged, s.failed);
	if (both)
		printf(", %zu written out", s.exported);
	putchar('\n');
	return s.failed ? 1 : 0;
}
