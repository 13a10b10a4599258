/*
 * The UDP wing, as the rest of the daemon sees it: the handler of UDP
 * listeners, and the loop's module.
 */
#ifndef MIOPROXY_RELAY_UDP_H
#define MIOPROXY_RELAY_UDP_H

extern const struct lstn_proto udp_listen_proto;
extern const struct loop_module udp_module;

#endif /* MIOPROXY_RELAY_UDP_H */
