/*
 * Reuseport groups (rport.h).  Made with the system's calls, not
 * libmio's: libmio's bind has no SO_REUSEPORT, and a group is a matter
 * of the supervisor's process model, not of the readiness layer.
 *
 * The steering program, classic BPF as SO_ATTACH_REUSEPORT_CBPF runs
 * it: the packet's data starts after the UDP header, so the client's
 * address is read relative to the network header (SKF_NET_OFF) and its
 * port after the IP header (IHL for IPv4, a fixed 40 bytes for IPv6:
 * extension headers are not followed; whatever sits there is the same
 * for every datagram of that client, which is all that affinity needs).
 * The destination is the group's own address: it adds nothing.
 * A = src ^ port; A *= 2654435761 (Fibonacci hashing);
 * slot = A >> 16 (65536 slots); return slot % n, the socket's index.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/filter.h>
#endif

#include "relay/rport.h"

int rport_binding;

static int
rport_opt(int fd, int level, int name)
{
	int on = 1;

	return setsockopt(fd, level, name, &on, sizeof(on)) < 0 ? -errno : 0;
}

int
rport_bind(const struct mio_addr *a, int type, int backlog)
{
	int fd, rc;

	if ((fd = socket(a->u.sa.sa_family, type, 0)) < 0)
		return -errno;
	if ((rc = mio_set_nonblocking(fd, 1)) != 0 ||
	    (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && (rc = -errno) != 0) ||
	    (a->u.sa.sa_family == AF_INET6 &&
	    (rc = rport_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY)) != 0) ||
	    (a->u.sa.sa_family != AF_UNIX &&
	    ((rc = rport_opt(fd, SOL_SOCKET, SO_REUSEADDR)) != 0 ||
	    (rc = rport_opt(fd, SOL_SOCKET, SO_REUSEPORT)) != 0)))
		goto fail;
	if (bind(fd, &a->u.sa, a->len) < 0 ||
	    (backlog >= 0 && listen(fd, backlog) < 0)) {
		rc = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

#if defined(__linux__) && defined(SO_ATTACH_REUSEPORT_CBPF)

#define NET(k)	((unsigned)(SKF_NET_OFF + (k)))

int
rport_steer(int fd, unsigned n)
{
	struct sock_filter prog[] = {
		/* 0: version nibble */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(0)),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 7, 0),
		/* 3: IPv4: M[0] = source address; A = port after IHL */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, NET(0)),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(0)),
		BPF_STMT(BPF_LDX | BPF_MEM, 0),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_JMP | BPF_JA, 13),
		/* 10: IPv6: the four words of the source address, the port */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(8)),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(20)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, NET(40)),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		/* 23: both: hash, slot, index */
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2654435761u),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog fp;

	if (n == 0)
		return -EINVAL;
	memset(&fp, 0, sizeof(fp));	/* its padding goes to the kernel */
	fp.len = sizeof(prog) / sizeof(prog[0]);
	fp.filter = prog;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp,
	    sizeof(fp)) < 0)
		return -errno;
	return 0;
}

#else

int
rport_steer(int fd, unsigned n)
{
	(void)fd;
	(void)n;
	return -ENOTSUP;
}

#endif
