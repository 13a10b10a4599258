/*
 * Source ports for the UDP sessions' server sockets, chosen here rather
 * than by the kernel, so that a reply can never reach the wrong client.
 *
 * A session's socket is connected to its server: the kernel hands it the
 * datagrams from that server to its local port, whoever they were meant
 * for.  Left to itself, the kernel gives a port that a session just
 * closed to the next socket that asks, and a late or duplicate reply to
 * the ended session then passes the new socket's filter and is relayed
 * to another client.  The cure is TCP's TIME_WAIT, for ports: a port
 * rests UDP_PORT_QUARANTINE_MS after its session ended, during which no
 * socket of ours holds it, so the kernel drops what arrives for it
 * (answering the server with ICMP port unreachable).  Resting costs no
 * descriptor: a port is only a number in one of two arrays.
 *
 * Every port of the kernel's ephemeral range (ip_local_port_range, less
 * ip_local_reserved_ports) is in exactly one place: in use by a session,
 * in the resting queue (oldest first), or ready.  A socket takes a ready
 * port chosen at random, as the kernel's own choice would be, so that an
 * off-path attacker cannot guess the port of a query to forge its
 * answer; ports that have rested long enough move to ready as they are
 * needed.  A port taken by another program makes bind() fail; the
 * caller gives it back to rest and takes another.
 *
 * Under a steady rate R of sessions ending, ports rest on average about
 * range / R (28,232 ports at 1,000 sessions a second: 28 s), never less
 * than the quarantine; past range / quarantine new sessions a second (14,116
 * with the defaults) no port is ready and new sessions are refused, which
 * is the price of never misdelivering.  The state belongs to the process,
 * so reloads keep it; a restart begins with every port ready.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include "relay/udp_port.h"

#define PORT_RANGE_FILE	"/proc/sys/net/ipv4/ip_local_port_range"
#define PORT_RESERVED_FILE "/proc/sys/net/ipv4/ip_local_reserved_ports"
/* Where the kernel does not say: IANA's dynamic range. */
#define PORT_DEFAULT_LO	49152
#define PORT_DEFAULT_HI	65535

struct port_rest {
	uint16_t port;
	uint32_t since;		/* the clock's low 32 bits, in ms */
};

static uint16_t		*port_ready;	/* ready ports, in any order */
static uint32_t		 port_nready;
static struct port_rest	*port_queue;	/* resting ports, a ring */
static uint32_t		 port_head, port_nresting;
static uint32_t		 port_total;	/* ports in the range: the ring's size */

/* The kernel's ephemeral range, or IANA's. */
static void
port_range(unsigned *lo, unsigned *hi)
{
	FILE *fp = fopen(PORT_RANGE_FILE, "re");

	*lo = PORT_DEFAULT_LO;
	*hi = PORT_DEFAULT_HI;
	if (fp == NULL)
		return;
	if (fscanf(fp, "%u %u", lo, hi) != 2 || *lo == 0 || *lo > *hi ||
	    *hi > 65535) {
		*lo = PORT_DEFAULT_LO;
		*hi = PORT_DEFAULT_HI;
	}
	fclose(fp);
}

/*
 * Marks in reserved[] the ports the administrator kept out of automatic
 * use ("8080,9000-9010"): binding them explicitly would succeed, but
 * they are someone's.
 */
static void
port_reserved(uint8_t *reserved)
{
	FILE *fp = fopen(PORT_RESERVED_FILE, "re");
	unsigned a, b;
	int n;

	if (fp == NULL)
		return;
	while ((n = fscanf(fp, "%u-%u", &a, &b)) >= 1) {
		if (n == 1)
			b = a;
		for (; a <= b && a <= 65535; a++)
			reserved[a] = 1;
		if (fscanf(fp, ",") == EOF)
			break;
	}
	fclose(fp);
}

int
udp_port_init(void)
{
	static uint8_t reserved[65536];
	unsigned lo, hi, p;

	if (port_ready != NULL)
		return 0;
	port_range(&lo, &hi);
	memset(reserved, 0, sizeof(reserved));
	port_reserved(reserved);
	port_total = 0;
	for (p = lo; p <= hi; p++)
		port_total += !reserved[p];
	if (port_total == 0)
		return 0;		/* every session will be refused */
	port_ready = calloc(port_total, sizeof(*port_ready));
	port_queue = calloc(port_total, sizeof(*port_queue));
	if (port_ready == NULL || port_queue == NULL) {
		udp_port_fini();
		return -ENOMEM;
	}
	port_nready = 0;
	for (p = lo; p <= hi; p++)
		if (!reserved[p])
			port_ready[port_nready++] = (uint16_t)p;
	port_head = port_nresting = 0;
	return 0;
}

void
udp_port_fini(void)
{
	free(port_ready);
	free(port_queue);
	port_ready = NULL;
	port_queue = NULL;
	port_nready = port_nresting = port_head = port_total = 0;
}

/* A uniform random number below n (n > 0), unpredictable from outside. */
static uint32_t
port_random(uint32_t n)
{
#if defined(HAVE_ARC4RANDOM_UNIFORM)
	return arc4random_uniform(n);
#else
	uint32_t r = 0;

#ifdef HAVE_GETRANDOM
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
#endif
		r = (uint32_t)random();
	return r % n;
#endif
}

/* Moves the ports that have rested long enough to the ready ones. */
static void
port_wake(uint64_t now)
{
	while (port_nresting > 0) {
		struct port_rest *r = &port_queue[port_head];

		if ((uint32_t)((uint32_t)now - r->since) <
		    UDP_PORT_QUARANTINE_MS)
			break;
		port_ready[port_nready++] = r->port;
		port_head = (port_head + 1) % port_total;
		port_nresting--;
	}
}

int
udp_port_take(uint64_t now)
{
	uint32_t i;
	uint16_t p;

	if (port_total == 0)
		return -EAGAIN;
	port_wake(now);
	if (port_nready == 0)
		return -EAGAIN;
	i = port_random(port_nready);
	p = port_ready[i];
	port_ready[i] = port_ready[--port_nready];
	return p;
}

void
udp_port_give(int p, uint64_t now)
{
	struct port_rest *r;

	/* Each port was taken once, so the ring has room for it. */
	if (port_total == 0 || port_nresting + port_nready >= port_total)
		return;
	r = &port_queue[(port_head + port_nresting) % port_total];
	r->port = (uint16_t)p;
	r->since = (uint32_t)now;
	port_nresting++;
}

uint32_t
udp_port_range_size(void)
{
	return port_total;
}

uint32_t
udp_port_resting(void)
{
	return port_nresting;
}
