/*
 * The ACL test, in conf/ because it reads only a struct conf_acl: the
 * relay's listeners and the operators' endpoints (ops/) both ask it, and
 * neither may reach into the other's layer.
 */
#ifndef MIOPROXY_CONF_ACL_H
#define MIOPROXY_CONF_ACL_H

struct conf_acl;
struct conf_cidrs;
struct sockaddr;

/*
 * Whether the ACL lets this client in (NULL: no ACL, yes): a deny match
 * refuses, then an allow match admits, and no match refuses.  Non-IP
 * clients (Unix) are admitted: the socket file's mode guards them.
 */
int	conf_acl_allows(const struct conf_acl *acl, const struct sockaddr *sa);

/*
 * Whether a peer may send a PROXY protocol header (a listener's
 * proxy_protocol.trusted): an IP peer in one of the prefixes; a Unix
 * peer always, as for the ACL.
 */
int	conf_trusted(const struct conf_cidrs *trusted,
	    const struct sockaddr *sa);

#endif /* MIOPROXY_CONF_ACL_H */
