/* core/kb_cli.h - `salvectl kb ...`: the knowledge base from the shell. */
#ifndef SALVE_KB_CLI_H
#define SALVE_KB_CLI_H

#include "config.h"

/* argv after "kb": "sync DIR [--both] [--editor NAME]".  The exit status:
 * 0, 1 when a file was skipped or the database failed, 2 for bad usage. */
int kb_cli(const struct salve_config *cfg, int argc, char **argv);

#endif
