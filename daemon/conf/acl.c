/*
 * The ACL test (acl.h): prefixes compared byte by byte, then the last
 * partial byte under a mask, so that no address is ever converted.
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "conf/acl.h"

static int
acl_cidr_match(const struct conf_cidr *c, int family, const uint8_t *ip)
{
	unsigned bytes = c->prefix / 8, bits = c->prefix % 8;

	if (c->family != family)
		return 0;
	if (memcmp(c->addr, ip, bytes) != 0)
		return 0;
	return bits == 0 ||
	    ((c->addr[bytes] ^ ip[bytes]) & (uint8_t)(0xff00u >> bits)) == 0;
}

/* The address bytes of an IP sockaddr, or NULL for any other. */
static const uint8_t *
acl_ip(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	if (sa->sa_family == AF_INET6)
		return (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
	return NULL;
}

int
conf_trusted(const struct conf_cidrs *trusted, const struct sockaddr *sa)
{
	const uint8_t *ip = acl_ip(sa);
	size_t i;

	if (ip == NULL)
		return 1;
	for (i = 0; i < trusted->n; i++)
		if (acl_cidr_match(&trusted->v[i], sa->sa_family, ip))
			return 1;
	return 0;
}

int
conf_acl_allows(const struct conf_acl *acl, const struct sockaddr *sa)
{
	const uint8_t *ip;
	int family = sa->sa_family, allowed = 0;
	size_t i;

	if (acl == NULL || (ip = acl_ip(sa)) == NULL)
		return 1;
	for (i = 0; i < acl->deny.n; i++)
		if (acl_cidr_match(&acl->deny.v[i], family, ip))
			return 0;
	for (i = 0; i < acl->allow.n && !allowed; i++)
		allowed = acl_cidr_match(&acl->allow.v[i], family, ip);
	return allowed;
}
