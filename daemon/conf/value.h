/*
 * Scalars of the configuration, from the text libyaml gives: integers,
 * durations, sizes, CIDRs, addresses, names, and the way back to text
 * for messages.  Each parser stores a value, or fills `why` with a phrase
 * that the walker puts after the key's path and the offending text.
 *
 * Its place: the bottom of the loader (load -> check -> schema -> walk ->
 * doc -> value); it includes only the model, conf/conf.h.
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
/* Appends every address `s` names to *v; -ENOMEM is returned as such. */
int	conf_parse_addr(const char *s, struct conf_pos pos,
	    struct conf_addrs *v, char *why, size_t len);
/* Names of listeners, upstreams and ACLs: [A-Za-z0-9._-]{1,64}. */
bool	conf_is_name(const char *s);
/* A duration or a size as a file would write it, for messages. */
char	*conf_duration_str(int64_t ms, char *buf, size_t len);
char	*conf_size_str(int64_t bytes, char *buf, size_t len);

#endif /* MIOPROXY_CONF_VALUE_H */
