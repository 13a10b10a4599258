/*
 * Scalars of the configuration: each parser takes the text libyaml gives
 * (libyaml resolves no types) and either stores a value or says why not in
 * a phrase the walker puts after the key's path and the offending text.
 *
 * Numbers are decimal only: no signs but a leading '-' (so that "-1" is
 * reported as negative rather than as garbage), no 0x, no exponents, so
 * that "010" is ten and "1e3" is an error rather than a surprise.
 *
 * Its place: the bottom of conf/ (value.h); it knows no YAML and no
 * schema, only text in and a value or a reason out.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/value.h"

static void value_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
value_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/*
 * Reads the decimal digits at *sp into *out, advancing *sp.  Returns 0,
 * -EINVAL when there is no digit, -ERANGE past INT64_MAX.
 */
static int
value_digits(const char **sp, int64_t *out)
{
	const char *s = *sp;
	int64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		int d = *s - '0';

		if (v > (INT64_MAX - d) / 10) {
			while (isdigit((unsigned char)*s))
				s++;
			*sp = s;
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

int
conf_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	int64_t v;
	int rc;

	if (*s == '-') {
		neg = true;
		s++;
	}
	rc = value_digits(&s, &v);
	if (rc != 0)
		return rc;
	if (*s != '\0')
		return -EINVAL;
	*out = neg ? -v : v;
	return 0;
}

/*
 * The number that starts a duration or a size: 0, or -ERANGE (too large:
 * said once the unit is known), with *p past its digits; or -1 with
 * `why` set: negative, or no number at all (`expected` says what is).
 */
static int
value_leading(const char **p, int64_t *v, const char *expected, char *why,
    size_t len)
{
	int rc;

	if (**p == '-' && isdigit((unsigned char)(*p)[1])) {
		value_why(why, len, "must not be negative");
		return -1;
	}
	if ((rc = value_digits(p, v)) == -EINVAL) {
		value_why(why, len, "%s", expected);
		return -1;
	}
	return rc;
}

/* v (as value_leading() left it, with rc) times mul into *out, or -1. */
static int
value_scale(int rc, int64_t v, int64_t mul, int64_t *out, char *why,
    size_t len)
{
	if (rc == -ERANGE || v > INT64_MAX / mul) {
		value_why(why, len, "too large");
		return -1;
	}
	*out = v * mul;
	return 0;
}

int
conf_parse_duration(const char *s, int64_t *ms, char *why, size_t len)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const char *p = s;
	int64_t v;
	size_t i;
	int rc;

	if ((rc = value_leading(&p, &v, "expected a number and a unit, "
	    "e.g. 3s", why, len)) == -1)
		return -1;
	if (*p == '\0') {
		value_why(why, len, "missing unit (ms, s, m or h)");
		return -1;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0])) {
		value_why(why, len, "unknown unit \"%.16s\" (ms, s, m or h)",
		    p);
		return -1;
	}
	return value_scale(rc, v, units[i].ms, ms, why, len);
}

int
conf_parse_size(const char *s, int64_t *bytes, char *why, size_t len)
{
	const char *p = s;
	int64_t v, mul = 1;
	int rc;

	if ((rc = value_leading(&p, &v, "expected a number with an optional "
	    "k or m suffix", why, len)) == -1)
		return -1;
	if (*p != '\0') {
		if ((*p == 'k' || *p == 'K') && p[1] == '\0')
			mul = 1024;
		else if ((*p == 'm' || *p == 'M') && p[1] == '\0')
			mul = 1024 * 1024;
		else {
			value_why(why, len, "unknown suffix \"%.16s\" (k or m)",
			    p);
			return -1;
		}
	}
	return value_scale(rc, v, mul, bytes, why, len);
}

int
conf_parse_cidr(const char *s, struct conf_cidr *out, char *why, size_t len)
{
	char host[INET6_ADDRSTRLEN + 1], net[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned bits, i;
	int64_t prefix;

	memset(out, 0, sizeof(*out));
	if (hlen >= sizeof(host)) {
		value_why(why, len, "not an IPv4 or IPv6 address");
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	out->family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, host, out->addr) != 1) {
		value_why(why, len, "not an IPv4 or IPv6 address");
		return -1;
	}
	bits = out->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		/* A bare address is the network of that one host. */
		out->prefix = bits;
		return 0;
	}
	if (conf_parse_int(slash + 1, &prefix) != 0 || slash[1] == '-' ||
	    prefix > bits) {
		value_why(why, len, "the prefix length must be 0 to %u", bits);
		return -1;
	}
	out->prefix = (unsigned)prefix;
	/*
	 * Bits past the prefix are refused rather than masked: 10.1.2.3/8
	 * is more often a typo for /32 or /24 than a way to write 10/8.
	 */
	for (i = out->prefix; i < bits; i++) {
		if (out->addr[i / 8] & (0x80u >> (i % 8)))
			break;
	}
	if (i < bits) {
		for (; i < bits; i++)
			out->addr[i / 8] &= ~(0x80u >> (i % 8));
		inet_ntop(out->family, out->addr, net, sizeof(net));
		value_why(why, len,
		    "bits are set past the prefix (the network is %s/%u)",
		    net, out->prefix);
		return -1;
	}
	return 0;
}

/* Names of listeners, upstreams and ACLs: [A-Za-z0-9._-]{1,64}. */
bool
conf_is_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

bool
conf_vec_full(size_t n)
{
	return n == 0 || (n & (n - 1)) == 0;
}

int
conf_addrs_push(struct conf_addrs *v, const struct mio_addr *a,
    struct conf_pos pos)
{
	struct conf_addr *nv;
	size_t i;

	/*
	 * The same address at the same place is kept once: getaddrinfo()
	 * may name one address twice (hosts file and DNS), and an alias
	 * used twice in a row repeats a scalar.  Such copies are appended
	 * one after the other, so only the entries at this place at the end
	 * of the list are searched: a list of n addresses costs n, not n
	 * squared (30,000 binds took seconds, in the loop on a reload).
	 */
	for (i = v->n; i > 0 && v->v[i - 1].pos.line == pos.line &&
	    v->v[i - 1].pos.column == pos.column; i--)
		if (mio_addr_equal(&v->v[i - 1].addr, a))
			return 0;
	if (conf_vec_full(v->n)) {
		nv = realloc(v->v, (v->n == 0 ? 1 : 2 * v->n) * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		v->v = nv;
	}
	nv = &v->v[v->n];
	memset(nv, 0, sizeof(*nv));
	nv->addr = *a;
	nv->pos = pos;
	v->n++;
	return 0;
}

static bool
value_is_hostname(const char *h)
{
	const char *p;

	if (*h == '\0' || strlen(h) > 253)
		return false;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

/* The path after "unix:": absolute, and short enough for sun_path. */
static int
value_addr_unix(const char *path, struct mio_addr *a, char *why, size_t len)
{
	if (*path != '/') {
		value_why(why, len, "expected an absolute path after unix:");
		return -1;
	}
	if (strlen(path) >= sizeof(a->u.un.sun_path)) {
		value_why(why, len, "the path is longer than %zu bytes",
		    sizeof(a->u.un.sun_path) - 1);
		return -1;
	}
	a->u.un.sun_family = AF_UNIX;
	strcpy(a->u.un.sun_path, path);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + 1);
	return 0;
}

/*
 * Splits "host:port" or "[IPv6]:port" into the host's text (not
 * terminated: *host and *hlen) and the port's (*ports).  0, or -1 with
 * the reason in `why`.
 */
static int
value_split_host(const char *s, const char **host, size_t *hlen,
    const char **ports, char *why, size_t len)
{
	const char *colon, *end;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			value_why(why, len, "missing ] after the IPv6 address");
			return -1;
		}
		if (end[1] != ':') {
			value_why(why, len, "missing port, e.g. [::1]:8080");
			return -1;
		}
		*host = s + 1;
		*hlen = (size_t)(end - *host);
		*ports = end + 2;
		return 0;
	}
	if ((colon = strrchr(s, ':')) == NULL) {
		value_why(why, len, "missing port, e.g. %s:8080", s);
		return -1;
	}
	if (strchr(s, ':') != colon) {
		value_why(why, len, "an IPv6 address needs brackets, "
		    "e.g. [::1]:8080");
		return -1;
	}
	*host = s;
	*hlen = (size_t)(colon - s);
	*ports = colon + 1;
	return 0;
}

/* An IP literal: IPv6 when it was bracketed, else IPv4. */
static int
value_addr_ip(const char *host, bool v6, uint16_t port, struct mio_addr *a,
    char *why, size_t len)
{
	if (v6) {
		if (inet_pton(AF_INET6, host, &a->u.in6.sin6_addr) != 1) {
			value_why(why, len, "not an IPv6 address");
			return -1;
		}
		a->u.in6.sin6_family = AF_INET6;
		a->u.in6.sin6_port = htons(port);
		a->len = sizeof(a->u.in6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &a->u.in4.sin_addr) != 1) {
		value_why(why, len, "not an IPv4 address");
		return -1;
	}
	a->u.in4.sin_family = AF_INET;
	a->u.in4.sin_port = htons(port);
	a->len = sizeof(a->u.in4);
	return 0;
}

int
conf_parse_addr(const char *s, struct conf_addr_spec *out, char *why,
    size_t len)
{
	const char *host, *ports;
	bool bracketed = *s == '[';
	size_t hlen;
	int64_t port;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "unix:", 5) == 0)
		return value_addr_unix(s + 5, &out->addr, why, len);
	if (value_split_host(s, &host, &hlen, &ports, why, len) != 0)
		return -1;
	if (conf_parse_int(ports, &port) != 0 || *ports == '-' || port < 1 ||
	    port > 65535) {
		value_why(why, len, "the port must be a number from 1 to "
		    "65535");
		return -1;
	}
	if (hlen == 0) {
		value_why(why, len, "missing host (0.0.0.0 or [::] mean every "
		    "address)");
		return -1;
	}
	if (hlen >= sizeof(out->host)) {
		value_why(why, len, "the host name is too long");
		return -1;
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (uint16_t)port;
	/* Bracketed, or all digits and dots: an IP literal or nothing. */
	if (bracketed || strspn(out->host, "0123456789.") == hlen) {
		rc = value_addr_ip(out->host, bracketed, out->port,
		    &out->addr, why, len);
		out->host[0] = '\0';
		return rc;
	}
	if (!value_is_hostname(out->host)) {
		value_why(why, len, "not an address or a host name");
		return -1;
	}
	return 0;
}

/* Writes `ms` in the largest unit that divides it, as a file would. */
char *
conf_duration_str(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRId64 "h", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
	return buf;
}

char *
conf_size_str(int64_t bytes, char *buf, size_t len)
{
	if (bytes != 0 && bytes % (1024 * 1024) == 0)
		snprintf(buf, len, "%" PRId64 "m", bytes / (1024 * 1024));
	else if (bytes != 0 && bytes % 1024 == 0)
		snprintf(buf, len, "%" PRId64 "k", bytes / 1024);
	else
		snprintf(buf, len, "%" PRId64, bytes);
	return buf;
}
