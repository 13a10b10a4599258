/*
 * The channel between a supervisor and each of its workers: a
 * SOCK_SEQPACKET socketpair, one fixed-size message per packet, a
 * descriptor riding along (SCM_RIGHTS) with WIRE_SOCK.
 *
 *   worker -> supervisor   WIRE_READY      serving (after the first bind)
 *   supervisor -> worker   WIRE_SOCK       this worker's socket for
 *                                          (proto, addr), before a reload
 *                          WIRE_FORGET     (proto, addr) is gone: close it
 *                          WIRE_PREPARE    load the file, bind what is new
 *   worker -> supervisor   WIRE_PREPARED   rc 0, or -1 with text
 *   supervisor -> worker   WIRE_COMMIT     serve it (every worker could)
 *                          WIRE_ABORT      drop it (one could not)
 *   worker -> supervisor   WIRE_DONE       after COMMIT or ABORT
 *
 * A reload's messages carry its number (seq), which the worker echoes:
 * a late PREPARED (a worker whose lookups outlasted the supervisor's
 * wait, or one it dropped when the next reload came) is never taken for
 * the answer to another reload.
 *
 *   supervisor -> worker   WIRE_ASK        a page of its figures: rc is
 *                                          the kind, text an admin line
 *   worker -> supervisor   WIRE_PART...    the page, in pieces
 *                          WIRE_END
 */
#ifndef MIOPROXY_WIRE_H
#define MIOPROXY_WIRE_H

#include <stdint.h>

#include <mio.h>

enum wire_type {
	WIRE_READY = 1,
	WIRE_SOCK,
	WIRE_FORGET,
	WIRE_PREPARE,
	WIRE_PREPARED,
	WIRE_COMMIT,
	WIRE_ABORT,
	WIRE_DONE,
	WIRE_ASK,
	WIRE_PART,
	WIRE_END
};

/* What a WIRE_ASK asks for (its rc). */
enum wire_ask {
	WIRE_ASK_METRICS = 1,	/* the Prometheus page */
	WIRE_ASK_STATS,		/* the JSON page */
	WIRE_ASK_ADMIN		/* a command's reply; text: the line */
};

#define WIRE_TEXT_MAX	16384

struct wire_msg {
	uint32_t	 type;		/* enum wire_type */
	int32_t		 rc;
	int32_t		 proto;		/* enum conf_proto */
	uint32_t	 len;		/* of text, NUL included if any */
	uint32_t	 seq;		/* the reload a PREPARE..DONE is of */
	struct mio_addr	 addr;
	char		 text[WIRE_TEXT_MAX];	/* len bytes travel */
};

/* Sets m's text to s (cut to fit, NUL-terminated). */
void	wire_text(struct wire_msg *m, const char *s);

/*
 * One message, with fd (>= 0) attached: 0 or -errno.  On a non-blocking
 * channel a full one is waited for (up to a few seconds: the other end
 * is reading; a page is a few hundred kilobytes at most).
 */
int	wire_send(int s, const struct wire_msg *m, int fd);
/*
 * One message and its descriptor (*fd, -1: none): 1, 0 at the end of
 * the channel, or -errno (-EAGAIN: nothing yet on a non-blocking one).
 */
int	wire_recv(int s, struct wire_msg *m, int *fd);

#endif /* MIOPROXY_WIRE_H */
