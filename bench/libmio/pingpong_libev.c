/*
 * libev: one ev_io watcher per end (EV_READ, level-triggered) on an epoll
 * loop.  The callback drains its end until EAGAIN, echoing what it reads
 * (see pingpong.h: the same syscalls as every other contender).
 */
#include <ev.h>

#include "pingpong.h"

static struct pp_state st;
static int sv[2];

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	char buf[MSG_SIZE];
	int end = w->fd == sv[0] ? 0 : 1;
	ssize_t r;

	(void)revents;
	for (;;) {
		r = read(w->fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			pp_die("read", errno);
		}
		if (r == 0)
			pp_die("read", EPIPE);
		if (pp_account(&st, end, (size_t)r) &&
		    write(w->fd, buf, (size_t)r) != r)
			pp_die("write", errno);
	}
	if (st.over)
		ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	ev_io w[2];
	long long t0;
	int end;

	st.rounds = pp_rounds(argc, argv);
	pp_socketpair(sv);
	if ((loop = ev_loop_new(EVBACKEND_EPOLL)) == NULL &&
	    (loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		pp_die("ev_loop_new", ENOMEM);
	for (end = 0; end < 2; end++) {
		ev_io_init(&w[end], on_read, sv[end], EV_READ);
		ev_io_start(loop, &w[end]);
	}
	t0 = pp_now_ns();
	pp_serve(sv[0], st.rounds);
	if (st.rounds > 0)
		ev_run(loop, 0);
	pp_report("libev", st.rounds, pp_now_ns() - t0);
	for (end = 0; end < 2; end++)
		ev_io_stop(loop, &w[end]);
	ev_loop_destroy(loop);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
