/*
 * The platform extensions (Linux), once per backend: sendmsg/recvmsg
 * with IP_PKTINFO so that a wildcard-bound socket replies from the
 * address a client used, sendmmsg/recvmmsg batches, and splice between
 * sockets through a pipe, with its two-sided re-arm.  Where the build
 * has no struct mmsghdr or no splice (--disable-linux-extensions, or a
 * system without them), their calls must say -ENOTSUP instead.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nettest.h"

START_TEST(test_pktinfo_reply_source)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr sa, ca, to, from;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct in_pktinfo pi;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	char buf[32], text[MIO_ADDR_STRLEN], b1[MIO_ADDR_STRLEN];
	int srv, cli, found = 0;

	/* 0.0.0.0:P takes everything in 127.0.0.0/8 on Linux. */
	sa = nt_addr("0.0.0.0:0");
	srv = mio_udp_bind(&sa);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_eq(mio_udp_set_pktinfo(srv, 1), 0);
	ck_assert_int_eq(mio_udp_set_pktinfo(0x7fff, 1), -EBADF);
	ck_assert_int_eq(mio_local_addr(srv, &sa), 0);
	snprintf(text, sizeof(text), "127.0.0.2:%u",
	    (unsigned)ntohs(sa.u.in4.sin_port));
	to = nt_addr(text);
	ca = nt_addr("127.0.0.1:0");
	cli = mio_udp_bind(&ca);
	ck_assert_int_ge(cli, 0);
	ck_assert_int_eq(mio_local_addr(cli, &ca), 0);

	ck_assert_int_eq(mio_register(p, srv, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_udp_send_to(cli, "who", 3, &to), 3);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_name = &from.u.ss;
	msg.msg_namelen = sizeof(from.u);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	ck_assert_int_eq(mio_recvmsg(srv, &msg, 0), 3);
	from.len = msg.msg_namelen;
	ck_assert_str_eq(nt_fmt(&from, b1), nt_fmt(&ca, text));
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			found = 1;
		}
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(inet_ntop(AF_INET, &pi.ipi_addr, text,
	    sizeof(text)), "127.0.0.2");
	ck_assert_int_eq(mio_recvmsg(srv, &msg, 0), -EAGAIN);

	/* Reply from the address the client used. */
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = "me";
	iov.iov_len = 2;
	msg.msg_name = &from.u.ss;
	msg.msg_namelen = from.len;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memset(&pi.ipi_addr, 0, sizeof(pi.ipi_addr));
	pi.ipi_ifindex = 0;
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));	/* ipi_spec_dst kept */
	ck_assert_int_eq(mio_sendmsg(srv, &msg, 0), 2);
	test_sleep_ms(5);
	ck_assert_int_eq(mio_udp_recv_from(cli, buf, sizeof(buf), &from), 2);
	ck_assert_str_eq(nt_fmt(&from, b1), nt_fmt(&to, text));
	ck_assert_int_eq(mio_sendmsg(srv, NULL, 0), -EINVAL);
	ck_assert_int_eq(mio_recvmsg(srv, NULL, 0), -EINVAL);
	mio_close(cli);
	mio_close(srv);
	mio_poll_free(p);
}
END_TEST

#define BATCH	5

#ifdef HAVE_STRUCT_MMSGHDR
START_TEST(test_mmsg_batch)
{
	struct mio_poll *p = tu_poll();
	struct mmsghdr out[BATCH], in[BATCH + 3];
	struct iovec oiov[BATCH], iiov[BATCH + 3];
	struct mio_addr sa, froms[BATCH + 3];
	char data[BATCH][16], bufs[BATCH + 3][16], b1[MIO_ADDR_STRLEN],
	    b2[MIO_ADDR_STRLEN];
	mio_sock srv, cli;
	int i, n;

	sa = nt_addr("127.0.0.1:0");
	srv = mio_udp_bind(&sa);
	cli = mio_udp_bind(&sa);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_ge(cli, 0);
	ck_assert_int_eq(mio_local_addr(srv, &sa), 0);
	ck_assert_int_eq(mio_udp_connect(cli, &sa), 0);
	memset(out, 0, sizeof(out));
	for (i = 0; i < BATCH; i++) {
		snprintf(data[i], sizeof(data[i]), "datagram-%d", i);
		oiov[i].iov_base = data[i];
		oiov[i].iov_len = strlen(data[i]) - (size_t)(i == 2 ? 9 : 0);
		out[i].msg_hdr.msg_iov = &oiov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	ck_assert_int_eq(mio_register(p, srv, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_sendmmsg(cli, out, BATCH, 0), BATCH);
	for (i = 0; i < BATCH; i++)
		ck_assert_uint_eq(out[i].msg_len, oiov[i].iov_len);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);

	memset(in, 0, sizeof(in));
	for (i = 0; i < BATCH + 3; i++) {
		iiov[i].iov_base = bufs[i];
		iiov[i].iov_len = sizeof(bufs[i]);
		in[i].msg_hdr.msg_iov = &iiov[i];
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_name = &froms[i].u.ss;
		in[i].msg_hdr.msg_namelen = sizeof(froms[i].u);
	}
	/*
	 * Loopback delivers within sendmmsg: all are queued at once, and
	 * recvmmsg(2) takes them in one call; the fallback of systems
	 * without it takes one per call.
	 */
	for (n = 0; n < BATCH; n += i) {
		i = mio_recvmmsg(srv, in + n, BATCH + 3 - (unsigned)n, 0);
		ck_assert_int_ge(i, 1);
	}
	ck_assert_int_eq(n, BATCH);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(in[i].msg_len, oiov[i].iov_len);
		ck_assert_int_eq(memcmp(bufs[i], data[i], in[i].msg_len), 0);
		froms[i].len = in[i].msg_hdr.msg_namelen;
		ck_assert_str_eq(nt_fmt(&froms[i], b1), nt_name(cli, 0, b2));
	}
	ck_assert_int_eq(mio_recvmmsg(srv, in, BATCH + 3, 0), -EAGAIN);
	/* Drained: the next batch is a new event. */
	nt_quiet(p, NT_QUIET_MS);
	ck_assert_int_eq(mio_sendmmsg(cli, out, 2, 0), 2);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_recvmmsg(srv, in, 1, 0), 1);
	ck_assert_int_eq(mio_recvmmsg(srv, in, 4, 0), 1);
	ck_assert_int_eq(mio_recvmmsg(srv, NULL, 4, 0), -EINVAL);
	ck_assert_int_eq(mio_sendmmsg(srv, NULL, 4, 0), -EINVAL);
	ck_assert_int_eq(mio_sendmmsg(cli, out, 0, 0), 0);
	/* The first message fails: its error, nothing sent. */
	ck_assert_int_eq(mio_sendmmsg(srv, out, 2, 0), -EDESTADDRREQ);
	mio_close(cli);
	mio_close(srv);
	mio_poll_free(p);
}
END_TEST
#else /* !HAVE_STRUCT_MMSGHDR */
/* No batch type at all: the calls exist, and say so; nothing is read. */
START_TEST(test_mmsg_batch)
{
	struct mio_addr sa = nt_addr("127.0.0.1:0"), from;
	mio_sock srv = mio_udp_bind(&sa), cli = mio_udp_bind(&sa);
	char buf[8];

	ck_assert_int_ge(srv, 0);
	ck_assert_int_ge(cli, 0);
	ck_assert_int_eq(mio_local_addr(srv, &sa), 0);
	ck_assert_int_eq(mio_udp_send_to(cli, "one", 3, &sa), 3);
	test_sleep_ms(5);
	ck_assert_int_eq(mio_sendmmsg(cli, NULL, 0, 0), -ENOTSUP);
	ck_assert_int_eq(mio_recvmmsg(srv, NULL, 0, 0), -ENOTSUP);
	ck_assert_int_eq(mio_udp_recv_from(srv, buf, sizeof(buf), &from), 3);
	mio_close(cli);
	mio_close(srv);
}
END_TEST
#endif /* HAVE_STRUCT_MMSGHDR */

#ifdef HAVE_SPLICE
/*
 * A relay hop without user-space copies: c1 -> s1 -> pipe -> c2 -> s2,
 * 1 MiB of a pattern arriving intact.
 */
START_TEST(test_splice_relay)
{
	static unsigned char src[1 << 20], dst[1 << 20];
	size_t sent = 0, got = 0, i;
	mio_sock c1, s1, c2, s2, pp[2];
	int64_t end = test_now_ms() + 20000;
	ssize_t n, inpipe = 0;
	int eof = 0;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 7 + (i >> 10));
	nt_tcp_pair("127.0.0.1:0", &c1, &s1);
	nt_tcp_pair("127.0.0.1:0", &c2, &s2);
	ck_assert_int_eq(mio_pipe(pp), 0);
	while (got < sizeof(dst) && test_now_ms() < end) {
		int moved = 0;

		if (sent < sizeof(src)) {
			n = mio_write(c1, src + sent, sizeof(src) - sent);
			if (n > 0) {
				sent += (size_t)n;
				moved = 1;
			} else
				ck_assert_int_eq(n, -EAGAIN);
			if (sent == sizeof(src))
				ck_assert_int_eq(mio_tcp_shutdown(c1,
				    SHUT_WR), 0);
		}
		if (!eof) {
			n = mio_splice(s1, pp[1], 65536, SPLICE_F_MOVE);
			if (n > 0) {
				inpipe += n;
				moved = 1;
			} else if (n == 0)
				eof = 1;
			else
				ck_assert_int_eq(n, -EAGAIN);
		}
		if (inpipe > 0) {
			n = mio_splice(pp[0], c2, (size_t)inpipe,
			    SPLICE_F_MOVE);
			if (n > 0) {
				inpipe -= n;
				moved = 1;
			} else
				ck_assert_int_eq(n, -EAGAIN);
		}
		n = mio_read(s2, dst + got, sizeof(dst) - got);
		if (n > 0) {
			got += (size_t)n;
			moved = 1;
		} else
			ck_assert_int_eq(n, -EAGAIN);
		if (!moved)
			test_sleep_ms(1);
	}
	ck_assert_uint_eq(got, sizeof(dst));
	ck_assert_int_eq(eof || mio_splice(s1, pp[1], 65536, 0) == 0, 1);
	ck_assert_int_eq(memcmp(src, dst, sizeof(src)), 0);
	ck_assert_int_eq(mio_splice(c1, c2, 10, 0), -EINVAL);	/* no pipe */
	mio_close(c1);
	mio_close(s1);
	mio_close(c2);
	mio_close(s2);
	mio_close(pp[0]);
	mio_close(pp[1]);
}
END_TEST

/*
 * -EAGAIN from splice re-arms the input's readable side and the output's
 * writable side, so an edge is never lost whichever end was not ready.
 */
START_TEST(test_splice_rearm)
{
	struct mio_poll *p = tu_poll();
	mio_sock c, s, pp[2];
	char fill[4096], buf[8];
	ssize_t n;

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_pipe(pp), 0);
	/* Input empty: -EAGAIN, and new input is a new event. */
	ck_assert_int_eq(mio_register(p, s, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	nt_put(c, "xyz", 3);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), 3);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), -EAGAIN);
	ck_assert_int_eq(mio_read(pp[0], buf, sizeof(buf)), 3);
	ck_assert_int_eq(mio_deregister(p, s), 0);

	/* Output full: -EAGAIN, and room in the pipe is a new event. */
	ck_assert_int_eq(mio_register(p, pp[1], 2, MIO_WRITABLE), 0);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_WRITABLE, NT_WAIT_MS) &
	    MIO_WRITABLE, 0);
	/* Filled by raw write(2), which re-arms nothing on poll(2). */
	memset(fill, 'f', sizeof(fill));
	while ((n = write(pp[1], fill, sizeof(fill))) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	nt_put(c, "more", 4);
	test_sleep_ms(5);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	while (mio_read(pp[0], fill, sizeof(fill)) > 0)
		;
	ck_assert_uint_ne(nt_wait(p, 2, MIO_WRITABLE, NT_WAIT_MS) &
	    MIO_WRITABLE, 0);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), 4);
	mio_close(c);
	mio_close(s);
	mio_close(pp[0]);
	mio_close(pp[1]);
	mio_poll_free(p);
}
END_TEST
#else /* !HAVE_SPLICE */
/* No splice: -ENOTSUP, and the bytes stay where they were. */
START_TEST(test_splice_relay)
{
	mio_sock c, s, pp[2];
	char buf[8];

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_pipe(pp), 0);
	nt_put(c, "xyz", 3);
	test_sleep_ms(5);
	ck_assert_int_eq(mio_splice(s, pp[1], 100, 0), -ENOTSUP);
	ck_assert_int_eq(mio_read(pp[0], buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)), 3);
	mio_close(c);
	mio_close(s);
	mio_close(pp[0]);
	mio_close(pp[1]);
}
END_TEST

START_TEST(test_splice_rearm)
{
	mio_sock pp[2];

	ck_assert_int_eq(mio_pipe(pp), 0);
	ck_assert_int_eq(mio_splice(pp[0], pp[1], 1, 0), -ENOTSUP);
	mio_close(pp[0]);
	mio_close(pp[1]);
}
END_TEST
#endif /* HAVE_SPLICE */

static Suite *
ext_suite(void)
{
	Suite *s = suite_create("ext");
	TCase *tc = tcase_create("linux");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pktinfo_reply_source);
	tcase_add_test(tc, test_mmsg_batch);
	tcase_add_test(tc, test_splice_relay);
	tcase_add_test(tc, test_splice_rearm);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(ext_suite());
}
