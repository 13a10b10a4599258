/*
 * The TCP wing, as the rest of the daemon sees it: the handler of TCP
 * (and Unix stream) listeners, and the loop's module.
 */
#ifndef MIOPROXY_RELAY_TCP_H
#define MIOPROXY_RELAY_TCP_H

extern const struct lstn_proto tcp_listen_proto;
extern const struct loop_module tcp_module;

#endif /* MIOPROXY_RELAY_TCP_H */
