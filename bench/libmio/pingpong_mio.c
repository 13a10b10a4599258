/*
 * libmio: both ends registered once for MIO_READABLE in one mio_poll;
 * each event drains its end with mio_read until -EAGAIN (the contract on
 * every backend: on poll(2) that -EAGAIN is what re-arms the end), echoing
 * what it reads with mio_write.  MIO_BACKEND=epoll|poll picks the backend.
 */
#include <mio.h>

#include "pingpong.h"

int
main(int argc, char **argv)
{
	struct pp_state st = { .rounds = pp_rounds(argc, argv) };
	struct mio_event evs[64];
	struct mio_poll *p;
	char buf[MSG_SIZE], name[32];
	long long t0;
	int sv[2], i, n, end, rc;
	ssize_t r;

	if ((rc = mio_unix_pair(SOCK_STREAM, sv)) < 0)
		pp_die("mio_unix_pair", rc);
	if ((rc = mio_poll_new(&p)) < 0)
		pp_die("mio_poll_new", rc);
	for (end = 0; end < 2; end++)
		if ((rc = mio_register(p, sv[end], (mio_token)end,
		    MIO_READABLE)) < 0)
			pp_die("mio_register", rc);
	t0 = pp_now_ns();
	pp_serve(sv[0], st.rounds);
	while (!st.over && st.rounds > 0) {
		n = mio_poll_wait(p, evs, 64, -1);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			pp_die("mio_poll_wait", n);
		}
		for (i = 0; i < n; i++) {
			int fd;

			end = (int)evs[i].token;
			fd = sv[end];
			if (!(evs[i].flags & (MIO_READABLE | MIO_ERROR)))
				continue;
			while ((r = mio_read(fd, buf, sizeof(buf))) != -EAGAIN) {
				if (r <= 0)
					pp_die("mio_read", r == 0 ? EPIPE :
					    (int)r);
				if (pp_account(&st, end, (size_t)r) &&
				    mio_write(fd, buf, (size_t)r) != r)
					pp_die("mio_write", EIO);
			}
		}
	}
	snprintf(name, sizeof(name), "mio-%s", mio_poll_backend(p));
	pp_report(name, st.rounds, pp_now_ns() - t0);
	mio_deregister(p, sv[0]);
	mio_deregister(p, sv[1]);
	mio_poll_free(p);
	mio_close(sv[0]);
	mio_close(sv[1]);
	return 0;
}
