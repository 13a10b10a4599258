/*
 * The address a UDP request was sent to, and the source of its replies,
 * on a wildcard bind: the control messages of each system's way
 * (udp_dst.c says which).
 */
#ifndef MIOPROXY_RELAY_UDP_DST_H
#define MIOPROXY_RELAY_UDP_DST_H

#include <stddef.h>

struct msghdr;
struct udp_local;

/* Room for the control data of one request or reply, either way. */
#define UDP_DST_SPACE	64

/*
 * Asks the kernel for each request's destination on fd, an IPv4 or IPv6
 * socket bound to the wildcard address: 0, or -errno (-ENOPROTOOPT
 * where the system has no way to tell).
 */
int	udp_dst_enable(int fd);
/* The destination of a received request, from h's control data. */
void	udp_dst_of(struct msghdr *h, struct udp_local *local);
/*
 * Writes into buf (UDP_DST_SPACE bytes, aligned for a cmsghdr) the
 * control data that makes a reply to a client of `family` leave from
 * *local; its length.
 */
size_t	udp_dst_control(int family, const struct udp_local *local, void *buf);

#endif /* MIOPROXY_RELAY_UDP_DST_H */
