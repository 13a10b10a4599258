/*
 * The baseline: a hand-written edge-triggered epoll loop, as a careful
 * programmer would write it without a library.  Both ends registered once
 * with EPOLLIN | EPOLLET; each event drains its end until EAGAIN, echoing
 * what it reads (see pingpong.h for the pattern every contender shares).
 */
#include <sys/epoll.h>

#include "pingpong.h"

int
main(int argc, char **argv)
{
	struct pp_state st = { .rounds = pp_rounds(argc, argv) };
	struct epoll_event ev, evs[64];
	char buf[MSG_SIZE];
	long long t0;
	int sv[2], ep, i, n, end;
	ssize_t r;

	pp_socketpair(sv);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		pp_die("epoll_create1", errno);
	for (end = 0; end < 2; end++) {
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u64 = (unsigned)end;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[end], &ev) < 0)
			pp_die("epoll_ctl", errno);
	}
	t0 = pp_now_ns();
	pp_serve(sv[0], st.rounds);
	while (!st.over && st.rounds > 0) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pp_die("epoll_wait", errno);
		}
		for (i = 0; i < n; i++) {
			int fd;

			end = (int)evs[i].data.u64;
			fd = sv[end];
			if (!(evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				continue;
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
		}
	}
	pp_report("epoll", st.rounds, pp_now_ns() - t0);
	close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
