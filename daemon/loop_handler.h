/*
 * An object that says for itself who handles its events: the loop hands
 * an event whose token carries LOOP_TAG_OPS (loop.h) to the handler at
 * the token's address.  Apart from loop.h so that what hosts such
 * objects for the loop's caller (rchan.h) needs neither the loop's
 * context nor its modules.
 */
#ifndef MIOPROXY_LOOP_HANDLER_H
#define MIOPROXY_LOOP_HANDLER_H

#include <stdint.h>

/*
 * The object begins with this.  Such objects are few (the operators'
 * endpoints and their clients, a worker's channel to its supervisor, the
 * io_uring ring's descriptor, c-ares' sockets), so they share one tag
 * rather than take one each.
 */
struct loop_handler {
	void		(*event)(struct loop_handler *self, uint32_t flags);
};

#endif /* MIOPROXY_LOOP_HANDLER_H */
