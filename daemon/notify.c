/*
 * The systemd notify protocol: one datagram per state change to the
 * Unix socket named by NOTIFY_SOCKET ("/path" or "@abstract").  Nothing
 * happens without the variable, so the daemon runs the same anywhere.
 * The socket is sent through libmio like every other; a notification
 * that cannot be sent is dropped (systemd would time out and say so).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <mio.h>

#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static int notify_ready = -1;	/* -1: not looked up yet; 0: no socket */

/*
 * Connected once, before privileges are dropped: a path socket checks
 * write permission at connect time, and the daemon may not be allowed to
 * reach it later as an unprivileged user.
 */
void
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct mio_addr addr;
	char text[sizeof(addr.u.un.sun_path) + 8];
	int rc;

	if (notify_ready >= 0)
		return;
	notify_ready = 0;
	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	snprintf(text, sizeof(text), "unix:%s", path);
	if ((rc = mio_addr_parse(&addr, text)) != 0) {
		log_warn("NOTIFY_SOCKET %s: %s", path, mio_strerror(rc));
		return;
	}
	if ((notify_fd = mio_unix_dgram_unbound()) < 0) {
		log_warn("NOTIFY_SOCKET: %s", mio_strerror(notify_fd));
		return;
	}
	if ((rc = mio_unix_dgram_connect(notify_fd, &addr)) != 0) {
		log_warn("NOTIFY_SOCKET %s: %s", path, mio_strerror(rc));
		mio_close(notify_fd);
		notify_fd = -1;
		return;
	}
	notify_ready = 1;
}

void
notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;
	ssize_t rc;

	notify_init();
	if (!notify_ready)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	rc = mio_send(notify_fd, msg, (size_t)n);
	if (rc < 0)
		log_debug("notify: %s", mio_strerror((int)rc));
}

void
notify_close(void)
{
	if (notify_fd >= 0)
		mio_close(notify_fd);
	notify_fd = -1;
	notify_ready = -1;
}

int
notify_active(void)
{
	return notify_ready > 0;
}

void
notify_disable(void)
{
	if (notify_fd >= 0)
		mio_close(notify_fd);
	notify_fd = -1;
	notify_ready = 0;
}
