/*
 * The local ports of the UDP sessions' server sockets, chosen by the
 * daemon and kept out of use for a while after each session ends: see
 * udp_port.c.
 */
#ifndef MIOPROXY_UDP_PORT_H
#define MIOPROXY_UDP_PORT_H

#include <stdint.h>

/*
 * How long a port rests after its session ended before any session may
 * have it again.  A reply the server sends later than this to a session
 * that ended may reach the session that has the port next.
 */
#define UDP_PORT_QUARANTINE_MS	2000

/* Reads the kernel's ephemeral range once: 0 or -ENOMEM. */
int	udp_port_init(void);
void	udp_port_fini(void);

/*
 * A port that no session of this process used for the last
 * UDP_PORT_QUARANTINE_MS, chosen at random among all such ports; or
 * -EAGAIN when every port of the range is in use or resting.
 */
int	udp_port_take(uint64_t now);

/* Port p, taken before, is free again: it rests from now on. */
void	udp_port_give(int p, uint64_t now);

/* Ports in the range, and ports resting now (for tests and logs). */
uint32_t udp_port_range_size(void);
uint32_t udp_port_resting(void);

#endif
