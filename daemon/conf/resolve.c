/*
 * Name resolution at load time (resolve.h says when it runs and why it
 * blocks): getaddrinfo(3), and each IPv4 and IPv6 answer as a socket
 * address with the file's port.
 *
 * Its place: conf/, called by the walker (walk -> resolve -> value); it
 * uses the value layer only to append to an address list.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/resolve.h"
#include "conf/value.h"

int
conf_resolve_host(const char *host, uint16_t port, struct conf_pos pos,
    struct conf_addrs *v, char *why, size_t len)
{
	struct addrinfo hints, *res, *ai;
	struct mio_addr a;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	/* One socket type, or each address comes back once per type. */
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == EAI_MEMORY)
		return -ENOMEM;
	if (rc != 0) {
		snprintf(why, len, "cannot resolve \"%s\": %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	rc = 0;
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		memset(&a, 0, sizeof(a));
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen == sizeof(a.u.in4)) {
			memcpy(&a.u.in4, ai->ai_addr, sizeof(a.u.in4));
			a.u.in4.sin_port = htons(port);
			a.len = sizeof(a.u.in4);
		} else if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen == sizeof(a.u.in6)) {
			memcpy(&a.u.in6, ai->ai_addr, sizeof(a.u.in6));
			a.u.in6.sin6_port = htons(port);
			a.len = sizeof(a.u.in6);
		} else
			continue;
		rc = conf_addrs_push(v, &a, pos);
	}
	freeaddrinfo(res);
	return rc;
}

