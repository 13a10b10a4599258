/*
 * libuv: both ends opened as uv_pipe_t streams and read with
 * uv_read_start; the alloc callback hands out a MSG_SIZE buffer, so after
 * a full read libuv reads again and stops at EAGAIN by itself, and the
 * read callback echoes with uv_try_write (one write(2), no request).  See
 * pingpong.h: the same syscalls as every other contender.
 */
#include <uv.h>

#include "pingpong.h"

static struct pp_state st;
static uv_pipe_t pipes[2];
static char bufs[2][MSG_SIZE];

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	int end = h == (uv_handle_t *)&pipes[0] ? 0 : 1;

	(void)suggested;
	*buf = uv_buf_init(bufs[end], MSG_SIZE);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	int end = s == (uv_stream_t *)&pipes[0] ? 0 : 1;
	uv_buf_t out;

	if (n == 0)
		return;			/* EAGAIN: drained */
	if (n < 0)
		pp_die("uv read", (int)n);
	if (pp_account(&st, end, (size_t)n)) {
		out = uv_buf_init(buf->base, (unsigned)n);
		if (uv_try_write(s, &out, 1) != n)
			pp_die("uv_try_write", EIO);
	}
	if (st.over) {
		uv_read_stop((uv_stream_t *)&pipes[0]);
		uv_read_stop((uv_stream_t *)&pipes[1]);
		uv_stop(s->loop);
	}
}

int
main(int argc, char **argv)
{
	uv_loop_t loop;
	long long t0;
	int sv[2], end, rc;

	st.rounds = pp_rounds(argc, argv);
	pp_socketpair(sv);
	if ((rc = uv_loop_init(&loop)) < 0)
		pp_die("uv_loop_init", rc);
	for (end = 0; end < 2; end++) {
		if ((rc = uv_pipe_init(&loop, &pipes[end], 0)) < 0 ||
		    (rc = uv_pipe_open(&pipes[end], sv[end])) < 0)
			pp_die("uv_pipe_open", rc);
		if (st.rounds > 0 && (rc = uv_read_start(
		    (uv_stream_t *)&pipes[end], on_alloc, on_read)) < 0)
			pp_die("uv_read_start", rc);
	}
	t0 = pp_now_ns();
	pp_serve(sv[0], st.rounds);
	if (st.rounds > 0)
		uv_run(&loop, UV_RUN_DEFAULT);
	pp_report("libuv", st.rounds, pp_now_ns() - t0);
	for (end = 0; end < 2; end++)
		uv_close((uv_handle_t *)&pipes[end], NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}
