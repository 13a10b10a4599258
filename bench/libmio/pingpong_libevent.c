/*
 * libevent: one persistent EV_READ event per end (level-triggered) on
 * the default (epoll) base.  The callback drains its end until EAGAIN,
 * echoing what it reads (see pingpong.h: the same syscalls as every other
 * contender).
 */
#include <event2/event.h>

#include "pingpong.h"

static struct pp_state st;
static int sv[2];
static struct event_base *base;

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	char buf[MSG_SIZE];
	int end = (int)(intptr_t)arg;
	ssize_t r;

	(void)what;
	for (;;) {
		r = read(fd, buf, sizeof(buf));
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
		    write(fd, buf, (size_t)r) != r)
			pp_die("write", errno);
	}
	if (st.over)
		event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	struct event *ev[2];
	long long t0;
	int end;

	st.rounds = pp_rounds(argc, argv);
	pp_socketpair(sv);
	if ((base = event_base_new()) == NULL)
		pp_die("event_base_new", ENOMEM);
	for (end = 0; end < 2; end++) {
		ev[end] = event_new(base, sv[end], EV_READ | EV_PERSIST,
		    on_read, (void *)(intptr_t)end);
		if (ev[end] == NULL || event_add(ev[end], NULL) < 0)
			pp_die("event_add", ENOMEM);
	}
	t0 = pp_now_ns();
	pp_serve(sv[0], st.rounds);
	if (st.rounds > 0)
		event_base_dispatch(base);
	pp_report("libevent", st.rounds, pp_now_ns() - t0);
	for (end = 0; end < 2; end++)
		event_free(ev[end]);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
