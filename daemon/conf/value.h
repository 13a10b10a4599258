/*
 * Scalars of the configuration, from the text libyaml gives: integers,
 * durations, sizes, CIDRs, addresses, names, and the way back to text
 * for messages.  Each parser stores a value, or fills `why` with a phrase
 * that the walker puts after the key's path and the offending text.
 *
 * Its place: the bottom of the loader (load -> check -> schema -> walk ->
 * doc -> resolve -> value); it includes only the model, conf/conf.h.
 */
#ifndef MIOPROXY_CONF_VALUE_H
#define MIOPROXY_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#define CONF_WHYMAX	160	/* the reason a scalar parser gives */

/* A decimal integer: 0, -EINVAL or -ERANGE. */
int	conf_parse_int(const char *s, int64_t *out);
/* The others: 0, or -1 with the reason in `why`. */
int	conf_parse_duration(const char *s, int64_t *ms, char *why,
	    size_t len);
int	conf_parse_size(const char *s, int64_t *bytes, char *why, size_t len);
int	conf_parse_cidr(const char *s, struct conf_cidr *out, char *why,
	    size_t len);
/*
 * What an address scalar says, before any name is looked up: a literal
 * socket address, or a host name and a port for conf_resolve_host().
 */
struct conf_addr_spec {
	struct mio_addr	addr;		/* the literal: unix:, IPv4, [IPv6] */
	char		host[256];	/* else the name; "" for a literal */
	uint16_t	port;		/* with the name */
};

/*
 * Reads the syntax of an address: IPv4:port, [IPv6]:port, unix:/path,
 * or host:port with a well-formed host name.  Looks nothing up.
 */
int	conf_parse_addr(const char *s, struct conf_addr_spec *out, char *why,
	    size_t len);
/*
 * Appends an address and where the file wrote it to *v, unless the same
 * address at the same place ends the list already (a name's duplicate
 * answers, an alias used twice in a row): 0, or -ENOMEM.
 */
int	conf_addrs_push(struct conf_addrs *v, const struct mio_addr *a,
	    struct conf_pos pos);
/*
 * Lists that grow one entry at a time (addresses, CIDRs) double their
 * room: an array of n entries is full, and must grow before the next
 * one, exactly when n is 0 or a power of two.  Linear time, not the
 * square that growing by one entry costs.
 */
bool	conf_vec_full(size_t n);
/* Names of listeners, upstreams and ACLs: [A-Za-z0-9._-]{1,64}. */
bool	conf_is_name(const char *s);
/* A duration or a size as a file would write it, for messages. */
char	*conf_duration_str(int64_t ms, char *buf, size_t len);
char	*conf_size_str(int64_t bytes, char *buf, size_t len);

#endif /* MIOPROXY_CONF_VALUE_H */
