/*
 * A system without io_uring, made in a test's own process: a seccomp
 * filter that refuses io_uring_setup(2) with EPERM, as Docker's default
 * profile does.  It holds for the process and everything it forks and
 * execs, so install it in a child (tests/lib/check_ring.c: the library
 * says -ENOTSUP; tests/daemon/check_io_auto.c: the daemon relays on
 * readiness).
 */
#ifndef TESTS_DENY_URING_H
#define TESTS_DENY_URING_H

#include <errno.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/*
 * Installs the filter: 0, or -errno where the kernel takes no seccomp
 * filter (the caller skips).  The number is compared without the
 * architecture: a call of another ABI that has the same number would be
 * refused too, which no test here makes.
 */
static inline int
deny_uring_setup(void)
{
#ifdef __NR_io_uring_setup
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO |
		    (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
		.filter = code,
	};

	/* Unprivileged filters need it, and it keeps the filter honest
	 * across exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

#endif /* TESTS_DENY_URING_H */
