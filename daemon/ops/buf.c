/*
 * Output buffers (buf.h).  They double as they grow: a /metrics page of
 * a large configuration is built in a few reallocations, and its memory
 * is kept for the next scrape of the same client.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/buf.h"

/* Room for n more bytes: 0, or -1 with nomem set. */
static int
buf_room(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->nomem)
		return -1;
	if (b->cap - b->len > n)
		return 0;
	cap = b->cap != 0 ? b->cap : 1024;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->nomem = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->nomem = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (buf_room(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_room(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Counters are printed often: without printf's format parsing. */
void
buf_u64(struct buf *b, uint64_t v)
{
	char tmp[20], *e = tmp + sizeof(tmp), *s = e;

	do {
		*--s = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, s, (size_t)(e - s));
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->off = 0;
	b->nomem = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
