/*
 * Socket addresses as text, both ways, without name lookup.
 *
 *   127.0.0.1:80          IPv4: inet_pton(3)'s strict dotted quad
 *   [::1]:80              IPv6 in brackets, always with a port
 *   [fe80::1%eth0]:80     a scope as an interface name or an index
 *   unix:/path/to/sock    a path (relative paths too), NUL-terminated
 *   unix:@name            Linux abstract name: sun_path[0] is NUL, the
 *                         name follows without a trailing NUL, and the
 *                         length says where it ends
 *   unix:                 an unnamed socket (formatting only)
 *
 * Ports are one to five decimal digits up to 65535.  Formatting writes
 * the canonical form (inet_ntop(3)), so format(parse(t)) == t for text
 * already in that form; a numeric scope comes back as the interface's
 * name when one has that index.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "mio.h"
#include "net.h"

#define ADDR_UNIX_PREFIX	"unix:"
#define ADDR_SUN_OFF		offsetof(struct sockaddr_un, sun_path)

/* Parses n (1..10) decimal digits, all of s, into a value <= max. */
static int
addr_number(const char *s, size_t n, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
addr_port(const char *s, uint16_t *port)
{
	unsigned long long v;
	size_t n = strlen(s);

	if (n > 5 || addr_number(s, n, 65535, &v) < 0)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

static int
addr_parse_unix(struct mio_addr *out, const char *name)
{
	struct sockaddr_un *un = &out->u.un;
	size_t n = strlen(name);

	un->sun_family = AF_UNIX;
	if (name[0] == '@') {
		/* Abstract: the name's bytes after a NUL, no terminator. */
		n--;
		if (n > sizeof(un->sun_path) - 1)
			return -ENAMETOOLONG;
		un->sun_path[0] = '\0';
		memcpy(un->sun_path + 1, name + 1, n);
		out->len = (socklen_t)(ADDR_SUN_OFF + 1 + n);
		return 0;
	}
	/* "unix:" alone names nothing that can be bound or reached. */
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	memcpy(un->sun_path, name, n + 1);
	out->len = (socklen_t)(ADDR_SUN_OFF + n + 1);
	return 0;
}

static int
addr_parse_in6(struct mio_addr *out, const char *text)
{
	struct sockaddr_in6 *in6 = &out->u.in6;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	const char *rb, *pct;
	unsigned long long scope;
	size_t n;

	if ((rb = strchr(text, ']')) == NULL || rb[1] != ':')
		return -EINVAL;
	n = (size_t)(rb - (text + 1));
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text + 1, n);
	host[n] = '\0';
	in6->sin6_family = AF_INET6;
	if ((pct = strchr(host, '%')) != NULL) {
		const char *id = pct + 1;

		host[pct - host] = '\0';
		if (addr_number(id, strlen(id), UINT32_MAX, &scope) == 0)
			in6->sin6_scope_id = (uint32_t)scope;
		else if (*id == '\0' || strlen(id) >= IF_NAMESIZE ||
		    (in6->sin6_scope_id = if_nametoindex(id)) == 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
		return -EINVAL;
	if (addr_port(rb + 2, &in6->sin6_port) < 0)
		return -EINVAL;
	out->len = sizeof(*in6);
	return 0;
}

static int
addr_parse_in4(struct mio_addr *out, const char *text)
{
	struct sockaddr_in *in4 = &out->u.in4;
	char host[INET_ADDRSTRLEN];
	const char *colon;
	size_t n;

	if ((colon = strrchr(text, ':')) == NULL)
		return -EINVAL;
	n = (size_t)(colon - text);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	in4->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	if (addr_port(colon + 1, &in4->sin_port) < 0)
		return -EINVAL;
	out->len = sizeof(*in4);
	return 0;
}

/*
 * Parses an address (see the top of this file).  Returns 0, -EINVAL
 * for anything that is not exactly one of the forms, -ENAMETOOLONG for
 * a Unix name longer than sun_path holds.
 */
int
mio_addr_parse(struct mio_addr *out, const char *text)
{
	if (out == NULL || text == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (strncmp(text, ADDR_UNIX_PREFIX, strlen(ADDR_UNIX_PREFIX)) == 0)
		return addr_parse_unix(out, text + strlen(ADDR_UNIX_PREFIX));
	if (text[0] == '[')
		return addr_parse_in6(out, text);
	return addr_parse_in4(out, text);
}

/* snprintf(3) into buf, with -ENOSPC when it does not fit. */
static int
addr_put(char *buf, size_t size, int n)
{
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

static int
addr_format_unix(const struct mio_addr *a, char *buf, size_t size)
{
	const char *path = a->u.un.sun_path;
	size_t n;

	if (a->len > sizeof(struct sockaddr_un))
		return -EINVAL;
	if (a->len <= ADDR_SUN_OFF)
		return addr_put(buf, size, snprintf(buf, size, "unix:"));
	n = a->len - ADDR_SUN_OFF;
	if (path[0] == '\0') {
		/* Abstract: n - 1 bytes of name, with no NUL of its own. */
		if (memchr(path + 1, '\0', n - 1) != NULL)
			return -EINVAL;
		return addr_put(buf, size, snprintf(buf, size, "unix:@%.*s",
		    (int)(n - 1), path + 1));
	}
	/* A path may fill sun_path with no terminator: never read past it. */
	n = strnlen(path, n);
	return addr_put(buf, size, snprintf(buf, size, "unix:%.*s", (int)n,
	    path));
}

/*
 * Formats a into buf (see the top of this file).  Returns the length
 * without the NUL, -ENOSPC if buf is too small (buf then holds "" when
 * size > 0), -EINVAL for an address with no text form.
 */
int
mio_addr_format(const struct mio_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	const struct sockaddr_in6 *in6;

	if (a == NULL || (buf == NULL && size > 0) ||
	    a->len < sizeof(sa_family_t))
		return -EINVAL;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		if (a->len < sizeof(struct sockaddr_in) ||
		    inet_ntop(AF_INET, &a->u.in4.sin_addr, host,
		    sizeof(host)) == NULL)
			return -EINVAL;
		return addr_put(buf, size, snprintf(buf, size, "%s:%u", host,
		    (unsigned)ntohs(a->u.in4.sin_port)));
	case AF_INET6:
		in6 = &a->u.in6;
		if (a->len < sizeof(struct sockaddr_in6) ||
		    inet_ntop(AF_INET6, &in6->sin6_addr, host,
		    sizeof(host)) == NULL)
			return -EINVAL;
		if (in6->sin6_scope_id == 0)
			return addr_put(buf, size, snprintf(buf, size,
			    "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port)));
		if (if_indextoname(in6->sin6_scope_id, ifname) != NULL)
			return addr_put(buf, size, snprintf(buf, size,
			    "[%s%%%s]:%u", host, ifname,
			    (unsigned)ntohs(in6->sin6_port)));
		return addr_put(buf, size, snprintf(buf, size, "[%s%%%u]:%u",
		    host, (unsigned)in6->sin6_scope_id,
		    (unsigned)ntohs(in6->sin6_port)));
	case AF_UNIX:
		return addr_format_unix(a, buf, size);
	default:
		return -EINVAL;
	}
}

/*
 * The bytes that name a Unix socket: a path up to its NUL (a length that
 * counts the NUL or not names the same file), an abstract name whole
 * (its leading NUL included, so it never equals a path), or nothing for
 * the unnamed address.
 */
static const char *
addr_unix_name(const struct mio_addr *a, size_t *n)
{
	const char *path = a->u.un.sun_path;
	size_t len = a->len > sizeof(struct sockaddr_un) ?
	    sizeof(struct sockaddr_un) : a->len;

	*n = len <= ADDR_SUN_OFF ? 0 : len - ADDR_SUN_OFF;
	if (*n > 0 && path[0] != '\0')
		*n = strnlen(path, *n);
	return path;
}

static int
addr_cmp_bytes(const void *a, const void *b, size_t n)
{
	int c = memcmp(a, b, n);

	return (c > 0) - (c < 0);
}

static int
addr_cmp_unix(const struct mio_addr *a, const struct mio_addr *b)
{
	const char *na, *nb;
	size_t la, lb;

	na = addr_unix_name(a, &la);
	nb = addr_unix_name(b, &lb);
	if (la != lb)
		return la < lb ? -1 : 1;
	return addr_cmp_bytes(na, nb, la);
}

static int
addr_cmp_in6(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
	int c;

	if ((c = addr_cmp_bytes(&a->sin6_addr, &b->sin6_addr,
	    sizeof(a->sin6_addr))) != 0)
		return c;
	if (a->sin6_scope_id != b->sin6_scope_id)
		return a->sin6_scope_id < b->sin6_scope_id ? -1 : 1;
	return addr_cmp_bytes(&a->sin6_port, &b->sin6_port,
	    sizeof(a->sin6_port));
}

/*
 * Family, then what names the socket in that family: IPv4 address and
 * port; IPv6 address, scope and port (the flow label is no part of the
 * name); the Unix name.  Addresses and ports compare in network order,
 * so IPv4 sorts numerically.  Other families compare their bytes within
 * the length.  The length of an IP address beyond its structure is
 * ignored.  A NULL address sorts first.
 */
int
mio_addr_cmp(const struct mio_addr *a, const struct mio_addr *b)
{
	int c;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return a->u.sa.sa_family < b->u.sa.sa_family ? -1 : 1;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		if ((c = addr_cmp_bytes(&a->u.in4.sin_addr,
		    &b->u.in4.sin_addr, sizeof(a->u.in4.sin_addr))) != 0)
			return c;
		return addr_cmp_bytes(&a->u.in4.sin_port, &b->u.in4.sin_port,
		    sizeof(a->u.in4.sin_port));
	case AF_INET6:
		return addr_cmp_in6(&a->u.in6, &b->u.in6);
	case AF_UNIX:
		return addr_cmp_unix(a, b);
	default:
		if (a->len != b->len)
			return a->len < b->len ? -1 : 1;
		return addr_cmp_bytes(&a->u, &b->u,
		    a->len > sizeof(a->u) ? sizeof(a->u) : a->len);
	}
}

/* Defined by the order, so that its ties are exactly this. */
int
mio_addr_equal(const struct mio_addr *a, const struct mio_addr *b)
{
	return mio_addr_cmp(a, b) == 0;
}

/* net.h's check that a fits family, for every socket call. */
int
mio__check_family(const struct mio_addr *a, int family)
{
	if (a == NULL || a->len < sizeof(sa_family_t) ||
	    a->len > sizeof(a->u))
		return -EINVAL;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		if (family != AF_INET && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < sizeof(struct sockaddr_in) ? -EINVAL : 0;
	case AF_INET6:
		if (family != AF_INET6 && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < sizeof(struct sockaddr_in6) ? -EINVAL : 0;
	case AF_UNIX:
		return family == AF_UNIX ? 0 : -EAFNOSUPPORT;
	default:
		return -EAFNOSUPPORT;
	}
}
