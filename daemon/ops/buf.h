/*
 * An output buffer for the operators' endpoints: appends that grow it,
 * and one sticky out-of-memory flag checked once at the end, so that a
 * page of a hundred lines needs no error test on each.
 */
#ifndef MIOPROXY_OPS_BUF_H
#define MIOPROXY_OPS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char		*p;
	size_t		 len;		/* bytes held */
	size_t		 off;		/* bytes already sent, from p */
	size_t		 cap;
	int		 nomem;		/* an append failed: contents cut */
};

void	buf_add(struct buf *b, const void *data, size_t n);
void	buf_str(struct buf *b, const char *s);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_u64(struct buf *b, uint64_t v);
/* Empties b, keeping its memory for the next page. */
void	buf_reset(struct buf *b);
void	buf_free(struct buf *b);

#endif /* MIOPROXY_OPS_BUF_H */
