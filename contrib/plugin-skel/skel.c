/*
 * skel.c - the smallest useful salve plugin, built out of tree.
 *
 * It answers GET /api/v1/plugins/skel/hello with {"hello":"<greeting>"},
 * where greeting comes from its config (default "world").  Copy this
 * directory, rename skel everywhere (the descriptor's name must equal the
 * file name without ".so"), and grow from here.
 *
 * It is a source because every plugin kind needs its ops table and the
 * source one is the simplest; alerts it ever receives would be stored with
 * source "skel".
 */
#include <salve/plugin.h>

#include <stddef.h>
#include <string.h>

struct skel_ctx {
	char *greeting; /* from the config map; the core owns it */
};

static void skel_hello(struct salve_request *req, void *userdata)
{
	struct skel_ctx *c = userdata;
	json_t *body = json_pack("{s:s}", "hello", c->greeting);
	if (body)
		salve_respond_json(req, 200, body);
	else
		salve_respond_error(req, 500, "internal_error", "out of memory");
}

static int skel_init(struct salve_plugin *p, void *ctx)
{
	/* Routes and hooks may only be registered here, in init. */
	int rc = salve_route_add(p, "GET", "/api/v1/plugins/skel/hello",
				 SALVE_ROLE_PUBLIC, skel_hello, ctx);
	if (rc < 0)
		salve_error(p, "cannot register GET /api/v1/plugins/skel/hello: %s",
			    strerror(-rc));
	return rc;
}

static const struct salve_config_entry skel_config[] = {
	{ SALVE_CFG_STRING, "greeting", "world",
	  offsetof(struct skel_ctx, greeting), "who /hello greets", 0 },
	SALVE_CONFIG_END
};

static const struct salve_source_ops skel_ops = {
	.hdr = { .size = sizeof(struct salve_source_ops), .kind = SALVE_KIND_SOURCE },
	.source = "skel",
};

static const struct salve_plugin_desc skel_desc = {
	SALVE_PLUGIN_HEADER,
	.name = "skel",
	.version = "0.1",
	.description = "out-of-tree example plugin",
	.kind = SALVE_KIND_SOURCE,
	.config = skel_config,
	.ctx_size = sizeof(struct skel_ctx),
	.init = skel_init,
	.ops = &skel_ops.hdr,
};

/* The one symbol the plugin exports (see skel.map). */
const struct salve_plugin_desc *salve_plugin_entry(void)
{
	return &skel_desc;
}
