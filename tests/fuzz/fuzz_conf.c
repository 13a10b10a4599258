/*
 * Fuzz target: the daemon's whole configuration loader (daemon/conf/),
 * from bytes to a struct conf or a list of errors, everything freed.
 *
 * The bytes are handed to conf_load() as a file, as a reload reads one:
 * an anonymous memory file on Linux (no disk, no name), else a temporary
 * file removed again.  Names resolve only as resolve_local.c allows, so
 * no input reaches a resolver.
 *
 * Beyond "no crash, no leak, no undefined behaviour", each outcome must
 * keep conf.h's promises: a configuration that loads is whole (every
 * listener named, bound, tied to its upstream and ACL, its values
 * resolved); one that does not has errors, bounded, sorted, each with a
 * place inside the input and a message with no control byte in it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "conf/conf.h"
#include "conf/doc.h"
#include "conf/value.h"
#include "fuzz.h"

/* Writes the input to a file of its own: its fd, and its path in `path`. */
static int
conf_input(const uint8_t *data, size_t size, char *path, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

#ifdef __linux__
	fd = memfd_create("fuzz_conf", MFD_CLOEXEC);
	if (fd >= 0)
		snprintf(path, len, "/proc/self/fd/%d", fd);
#else
	fd = -1;
#endif
	if (fd < 0) {
		snprintf(path, len, "/tmp/fuzz_conf.XXXXXX");
		fd = mkstemp(path);
		FUZZ_ASSERT(fd >= 0);
	}
	while (off < size) {
		n = write(fd, data + off, size - off);
		FUZZ_ASSERT(n > 0);
		off += (size_t)n;
	}
	return fd;
}

static void
conf_check_ok(const struct conf *conf)
{
	const struct conf_listener *l;
	const struct conf_upstream *u;
	size_t i, j;

	FUZZ_ASSERT(conf->version == 1);
	FUZZ_ASSERT(conf->nlisteners >= 1);
	for (i = 0; i < conf->nlisteners; i++) {
		l = &conf->listeners[i];
		FUZZ_ASSERT(l->name != NULL && conf_is_name(l->name));
		FUZZ_ASSERT(l->bind.n >= 1);
		FUZZ_ASSERT(l->upstream != NULL);
		FUZZ_ASSERT(strcmp(l->upstream->name, l->upstream_name) == 0);
		FUZZ_ASSERT((l->acl_name == NULL) == (l->acl == NULL));
		FUZZ_ASSERT(l->timeouts.connect_ms >= 0 &&
		    l->timeouts.idle_ms >= 0 && l->timeouts.half_close_ms >= 0 &&
		    l->timeouts.udp_session_ms >= 0);
		FUZZ_ASSERT(l->limits.max_connections >= 0 &&
		    l->limits.buffer_size >= 0);
		FUZZ_ASSERT(l->udp.session_timeout_ms ==
		    l->timeouts.udp_session_ms);
		for (j = 0; l->protocol == CONF_PROTO_UDP && j < l->bind.n;
		    j++)
			FUZZ_ASSERT(l->bind.v[j].addr.u.sa.sa_family !=
			    AF_UNIX);
	}
	for (i = 0; i < conf->nupstreams; i++) {
		u = &conf->upstreams[i];
		FUZZ_ASSERT(u->name != NULL && conf_is_name(u->name));
		FUZZ_ASSERT(u->nservers >= 1 &&
		    u->nservers <= CONF_SERVERS_MAX);
		FUZZ_ASSERT(u->connect_timeout_ms >= 0);
		FUZZ_ASSERT(u->connect_tries >= 1);
	}
	for (i = 0; i < conf->nacls; i++)
		FUZZ_ASSERT(conf->acls[i].name != NULL &&
		    conf_is_name(conf->acls[i].name));
}

/* The errors of a failed load: bounded, placed, sorted, printable. */
static void
conf_check_errors(const struct conf_errors *errs, size_t size)
{
	const struct conf_error *e, *p;
	const unsigned char *s;
	char *buf = NULL;
	size_t i, blen = 0;
	FILE *fp;

	FUZZ_ASSERT(errs->n >= 1 || errs->nomem);
	FUZZ_ASSERT(errs->n <= CONF_ERRORS_MAX + 1);
	for (i = 0; i < errs->n; i++) {
		e = &errs->v[i];
		FUZZ_ASSERT(e->file != NULL && e->message != NULL);
		/* libyaml counts \r, \n and Unicode breaks alike. */
		FUZZ_ASSERT(e->line <= size + 2 && e->column <= size + 2);
		FUZZ_ASSERT((e->line == 0) == (e->column == 0));
		for (s = (const unsigned char *)e->message; *s != '\0'; s++)
			FUZZ_ASSERT(*s >= 0x20 && *s != 0x7f);
		/* Sorted, but for "N more errors not shown" at the end. */
		if (i > 0 && !(i == errs->n - 1 && e->line == 0)) {
			p = &errs->v[i - 1];
			FUZZ_ASSERT(p->line < e->line || (p->line == e->line &&
			    p->column <= e->column));
		}
	}
	fp = open_memstream(&buf, &blen);
	FUZZ_ASSERT(fp != NULL);
	conf_errors_print(errs, fp);
	FUZZ_ASSERT(fclose(fp) == 0);
	FUZZ_ASSERT(blen >= errs->n);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors errs;
	struct conf *conf = NULL;
	char path[64];
	int fd, rc;

	memset(&errs, 0, sizeof(errs));
	fd = conf_input(data, size, path, sizeof(path));
	rc = conf_load(path, &conf, &errs);
	if (strncmp(path, "/tmp/", 5) == 0)
		unlink(path);
	close(fd);
	if (rc == 0) {
		FUZZ_ASSERT(conf != NULL && errs.n == 0 && !errs.nomem);
		conf_check_ok(conf);
	} else {
		FUZZ_ASSERT(conf == NULL);
		FUZZ_ASSERT(rc == -EINVAL || rc == -ENOMEM);
		if (rc == -EINVAL)
			conf_check_errors(&errs, size);
	}
	conf_free(conf);
	conf_errors_free(&errs);
	return 0;
}
