/*
 * The `admin` section: `socket`, the path of the admin socket.  Checked
 * here rather than at bind time, so that `mioproxy -t` and a reload
 * refuse a path the daemon could never bind, with the file's position.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf/conf.h"
#include "conf/schema_admin.h"

static conf_fn schema_admin_socket;

const struct conf_key conf_admin_keys[] = {
	{ .name = "socket", .type = CONF_T_FUNC, .flags = CONF_K_REQUIRED,
	  .fn = schema_admin_socket },
	{ .name = NULL }
};

/*
 * An absolute path that fits sun_path with its NUL: a relative one would
 * depend on the directory the daemon was started from, which neither
 * systemd nor `ctl` can know.
 */
static int
schema_admin_socket(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_admin *a = base;
	struct sockaddr_un un;
	const char *s;
	char desc[64];

	(void)k;
	if (node->type != YAML_SCALAR_NODE || conf_is_null(node)) {
		conf_err(ctx, node, "expected an absolute path; got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	s = (const char *)node->data.scalar.value;
	if (s[0] != '/') {
		conf_err(ctx, node, "expected an absolute path; got \"%s\"",
		    s);
		return 0;
	}
	if (strlen(s) >= sizeof(un.sun_path)) {
		conf_err(ctx, node, "a socket path has at most %zu bytes",
		    sizeof(un.sun_path) - 1);
		return 0;
	}
	free(a->socket);
	if ((a->socket = strdup(s)) == NULL)
		return -ENOMEM;
	return 0;
}
