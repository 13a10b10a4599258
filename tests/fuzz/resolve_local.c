/*
 * The loader's name lookup as the fuzz targets link it, in place of
 * daemon/conf/resolve.c: a fuzzer must never reach a resolver, nor
 * anything on the network, whatever name the input writes.  Numeric
 * hosts (getaddrinfo(3) with AI_NUMERICHOST, which looks nothing up) and
 * "localhost" (127.0.0.1 and ::1) resolve; any other name fails at once,
 * as an unknown name does in the daemon.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/resolve.h"
#include "conf/value.h"

static int
local_push(struct conf_addrs *v, int family, const void *ip, uint16_t port,
    struct conf_pos pos)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.u.in4.sin_family = AF_INET;
		memcpy(&a.u.in4.sin_addr, ip, sizeof(a.u.in4.sin_addr));
		a.u.in4.sin_port = htons(port);
		a.len = sizeof(a.u.in4);
	} else {
		a.u.in6.sin6_family = AF_INET6;
		memcpy(&a.u.in6.sin6_addr, ip, sizeof(a.u.in6.sin6_addr));
		a.u.in6.sin6_port = htons(port);
		a.len = sizeof(a.u.in6);
	}
	return conf_addrs_push(v, &a, pos);
}

int
conf_resolve_host(const char *host, uint16_t port, struct conf_pos pos,
    struct conf_addrs *v, char *why, size_t len)
{
	struct addrinfo hints, *res, *ai;
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };
	int rc;

	if (strcmp(host, "localhost") == 0) {
		if ((rc = local_push(v, AF_INET, lo4, port, pos)) != 0)
			return rc;
		return local_push(v, AF_INET6, lo6, port, pos);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == EAI_MEMORY)
		return -ENOMEM;
	if (rc != 0) {
		snprintf(why, len, "cannot resolve \"%s\": not numeric nor "
		    "localhost (fuzz build)", host);
		return -1;
	}
	rc = 0;
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			rc = local_push(v, AF_INET, &((struct sockaddr_in *)
			    (void *)ai->ai_addr)->sin_addr, port, pos);
		else if (ai->ai_family == AF_INET6)
			rc = local_push(v, AF_INET6, &((struct sockaddr_in6 *)
			    (void *)ai->ai_addr)->sin6_addr, port, pos);
	}
	freeaddrinfo(res);
	return rc;
}
