/*
 * The UDP side of a listening socket, and the one rule of its lifetime:
 *
 *   A UDP socket outlives the listener (and the generation) that bound
 *   it for as long as sessions still reply through it.
 *
 * Each UDP session sends its replies to the client through the listening
 * socket the client wrote to, since that address is the one the client
 * expects them from.  So:
 *
 *  - a reload that keeps the address hands the socket to the new
 *    generation's listener (serve: the state moves, the registration and
 *    its token stay), and the old generation's sessions keep replying
 *    through it, with the new ones;
 *  - a reload that drops the address, or a stop, leaves the socket open,
 *    draining (release: no listener, no new clients), until its last
 *    session ends; then it closes;
 *  - a later reload that names the address again takes a draining
 *    socket back (kept, reclaim) instead of failing to bind it;
 *  - the memory of a closed socket waits for the end of the batch, since
 *    a later event of the same batch may still name it.
 *
 * Each socket also keeps its sessions in order of use, those of older
 * generations included, so that udp.max_sessions evicts across
 * generations.
 *
 * udp.c uses this file, never the other way: the datagrams are udp.c's,
 * which also makes the listener's hook table out of the functions here.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/conf.h"
#include "loop.h"
#include "relay/defer.h"
#include "relay/listener.h"
#include "relay/rport.h"
#include "relay/udp_dst.h"
#include "relay/udp_sess.h"

#define UDP_RCVBUF	(4 << 20)

static struct udp_sock *udp_draining;	/* released, sessions left */
static struct udp_sock *udp_closed;	/* freed after the batch */
static struct defer_list udp_deferred;	/* to read on: see defer.h */

static int
udp_is_wildcard(const struct mio_addr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &any6, sizeof(any6)) == 0;
	return 0;
}

/*
 * A socket on a wildcard address learns each request's destination
 * (pktinfo), so that replies leave from the address the client used.
 */
int
udp_sock_open(const struct conf_listener *cl, const struct mio_addr *addr)
{
	int fd, rc;

	(void)cl;
	if (addr->u.sa.sa_family == AF_UNIX)
		return -EAFNOSUPPORT;
	/* The supervisor binds a worker's socket: SO_REUSEPORT (rport.h). */
	fd = rport_binding ? rport_bind(addr, SOCK_DGRAM, -1) :
	    mio_udp_bind(addr);
	if (fd < 0)
		return fd;
	/* Room for bursts of many clients (the kernel caps it). */
	(void)mio_set_recv_buffer_size(fd, UDP_RCVBUF);
	if (udp_is_wildcard(addr) && (rc = udp_dst_enable(fd)) != 0) {
		mio_close(fd);
		return rc;
	}
	return fd;
}

int
udp_sock_attach(struct lsock *ls)
{
	struct udp_sock *us;

	if ((us = calloc(1, sizeof(*us))) == NULL)
		return -ENOMEM;
	us->ls = ls;
	us->fd = ls->fd;
	us->addr = ls->bind->addr;
	us->wildcard = udp_is_wildcard(&us->addr);
	ls->state = us;
	return 0;
}

int
udp_sock_serve(struct lsock *ls, struct lsock *prev)
{
	struct udp_sock *us;
	int rc;

	if (prev != NULL) {
		ls->state = prev->state;
		prev->state = NULL;
	}
	us = ls->state;
	us->ls = ls;
	us->pp = ls->l->conf->pp.accept != CONF_PP_OFF;
	if (us->registered)
		return 0;
	rc = mio_register(loop.poll, us->fd,
	    LOOP_TOKEN(us, LOOP_TAG_UDP_LISTEN), MIO_READABLE);
	us->registered = rc == 0;
	return rc;
}

/* us stopped reading before it heard -EAGAIN: see defer.h. */
void
udp_sock_defer(struct udp_sock *us)
{
	defer_push(&udp_deferred, &us->defer);
}

int
udp_sock_any_deferred(void)
{
	return defer_any(&udp_deferred);
}

/*
 * The sockets deferred in the last turn (see defer_take()); their memory
 * lasts until udp_sock_bury().
 */
struct udp_sock *
udp_sock_next_deferred(struct defer_node **list)
{
	struct defer_node *n = *list;

	if (n == NULL)
		return NULL;
	*list = n->next;
	return (struct udp_sock *)(void *)((char *)n -
	    offsetof(struct udp_sock, defer));
}

struct defer_node *
udp_sock_take_deferred(void)
{
	return defer_take(&udp_deferred);
}

/* Closes us; its memory waits for the batch's end. */
static void
udp_sock_close(struct udp_sock *us)
{
	defer_remove(&udp_deferred, &us->defer);
	if (us->registered)
		(void)mio_deregister(loop.poll, us->fd);
	mio_close(us->fd);
	us->fd = -1;
	us->next = udp_closed;
	udp_closed = us;
}

static void
udp_sock_undrain(struct udp_sock *us)
{
	struct udp_sock **pp = &udp_draining;

	while (*pp != NULL && *pp != us)
		pp = &(*pp)->next;
	if (*pp == us)
		*pp = us->next;
	us->next = NULL;
}

/*
 * ls closes.  The descriptor is this module's from then on, whatever
 * happens: with sessions still replying through it, it drains; without,
 * it closes now (and the memory waits for the batch's end).
 */
int
udp_sock_release(struct lsock *ls)
{
	struct udp_sock *us = ls->state;

	if (us == NULL)		/* the bind failed before attaching */
		return 0;
	ls->state = NULL;
	us->ls = NULL;
	if (us->nsessions > 0) {
		us->next = udp_draining;
		udp_draining = us;
	} else {
		udp_sock_close(us);
	}
	return 1;
}

static struct udp_sock *
udp_sock_find_kept(const struct mio_addr *addr)
{
	struct udp_sock *us;

	for (us = udp_draining; us != NULL; us = us->next)
		if (mio_addr_equal(&us->addr, addr))
			return us;
	return NULL;
}

int
udp_sock_kept(const struct mio_addr *addr)
{
	return udp_sock_find_kept(addr) != NULL;
}

void
udp_sock_reclaim(struct lsock *ls)
{
	struct udp_sock *us = udp_sock_find_kept(&ls->bind->addr);

	if (us == NULL)
		return;
	udp_sock_undrain(us);
	ls->fd = us->fd;
	ls->state = us;
	us->ls = ls;
}

void
udp_sock_bury(void)
{
	while (udp_closed != NULL) {
		struct udp_sock *us = udp_closed;

		udp_closed = us->next;
		free(us);
	}
}

/* --- recency ---------------------------------------------------------- */

void
udp_sock_add(struct udp_sock *us, struct udp_sess *u)
{
	u->us = us;
	udp_lru_front(us, u);
	us->nsessions++;
}

void
udp_sock_remove(struct udp_sock *us, struct udp_sess *u)
{
	udp_lru_unlink(us, u);
	if (--us->nsessions == 0 && us->ls == NULL && us->fd >= 0) {
		udp_sock_undrain(us);
		udp_sock_close(us);
	}
}

struct udp_sess *
udp_sock_victim(const struct lstn *l)
{
	struct udp_sess *v = NULL;
	uint64_t n = 0;
	size_t j;

	for (j = 0; j < l->nsocks; j++) {
		const struct udp_sock *us = l->socks[j].state;

		if (us == NULL)
			continue;
		n += us->nsessions;
		if (us->lru_tail != NULL &&
		    (v == NULL || us->lru_tail->t_last < v->t_last))
			v = us->lru_tail;
	}
	return n >= (uint64_t)l->conf->udp.max_sessions ? v : NULL;
}
