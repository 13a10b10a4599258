/*
 * "No function allocates memory after setup" (API.md), measured: every
 * heap allocation in the process is counted, and thousands of waits,
 * (de)registrations, wakes and I/O calls must add none.
 *
 * Counting: in a plain build this program defines malloc and friends
 * over glibc's __libc_* entry points, which the dynamic linker binds
 * for libmio too; under AddressSanitizer, whose allocator must stay in
 * charge, the sanitizer's allocation hook counts instead.
 */
#include "config.h"

#include <stdatomic.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "testutil.h"

static atomic_long alloc_count;

#ifdef MIO__KQUEUE_EMULATED
/*
 * On Linux the kqueue backend runs on libkqueue, which allocates in user
 * space for its own bookkeeping where a BSD kernel allocates nothing in
 * the process.  Its kevent() is wrapped here so that what it allocates
 * is counted apart: the assertions are about libmio's own allocations.
 */
#include <dlfcn.h>
#include <sys/event.h>

static _Thread_local int in_libkqueue;
static atomic_long libkqueue_allocs;

int
kevent(int kq, const struct kevent *changes, int nchanges,
    struct kevent *events, int nevents, const struct timespec *timeout)
{
	static int (*real)(int, const struct kevent *, int, struct kevent *,
	    int, const struct timespec *);
	int rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "kevent");
	in_libkqueue++;
	rc = real(kq, changes, nchanges, events, nevents, timeout);
	in_libkqueue--;
	return rc;
}
#define ALLOC_COUNTER	(in_libkqueue ? &libkqueue_allocs : &alloc_count)
#else
#define ALLOC_COUNTER	(&alloc_count)
#endif

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime's allocator interface (its header is not
 * always installed with GCC). */
int __sanitizer_install_malloc_and_free_hooks(
    void (*)(const volatile void *, size_t), void (*)(const volatile void *));

static void
count_malloc(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	atomic_fetch_add_explicit(ALLOC_COUNTER, 1, memory_order_relaxed);
}

static void
count_free(const volatile void *ptr)
{
	(void)ptr;
}

static void
counting_start(void)
{
	__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static void
counted(void)
{
	atomic_fetch_add_explicit(ALLOC_COUNTER, 1, memory_order_relaxed);
}

void *
malloc(size_t n)
{
	counted();
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	counted();
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	counted();
	return __libc_realloc(p, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	counted();
	return __libc_memalign(align, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	counted();
	*out = __libc_memalign(align, n);
	return *out == NULL ? ENOMEM : 0;
}

void
free(void *p)
{
	__libc_free(p);
}

static void
counting_start(void)
{
}
#endif

static long
allocs(void)
{
	return atomic_load(&alloc_count);
}

/* Proves the counter counts, so that a zero below means something. */
START_TEST(test_counter_works)
{
	struct mio_poll *p;
	long before;
	void *volatile x;

	counting_start();
	before = allocs();
	x = malloc(32);
	free(x);
	ck_assert_int_gt(allocs(), before);
	before = allocs();
	ck_assert_int_eq(mio_poll_new(&p), 0);	/* setup allocates */
	ck_assert_int_gt(allocs(), before);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_steady_state_allocates_nothing)
{
	enum { ROUNDS = 5000 };
	struct mio_poll *p;
	struct mio_waker *w;
	struct mio_event ev[8];
	mio_sock sp[2];
	char buf[64];
	long before = 0, after;
	int i, bad = 0;

	counting_start();
	p = tu_poll();
	ck_assert_int_eq(mio_waker_new(p, 1, &w), 0);
	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sp), 0);
	/*
	 * One warm-up round grows whatever tables the backend keeps.  No
	 * ck_assert inside the loops: Check allocates to record each one.
	 */
	for (i = 0; i < ROUNDS + 1; i++) {
		if (i == 1)
			before = allocs();
		bad += mio_register(p, sp[0], 2,
		    MIO_READABLE | MIO_WRITABLE) != 0;
		bad += mio_write(sp[1], "ping", 4) != 4;
		bad += mio_poll_wait(p, ev, 8, 5000) < 1;
		bad += mio_read(sp[0], buf, sizeof(buf)) != 4;
		bad += mio_read(sp[0], buf, sizeof(buf)) != -EAGAIN;
		bad += mio_reregister(p, sp[0], 3, MIO_READABLE) != 0;
		bad += mio_waker_wake(w) != 0;
		bad += mio_waker_wake(w) != 0;
		bad += mio_poll_wait(p, ev, 8, 5000) < 1;
		bad += mio_deregister(p, sp[0]) != 0;
		bad += mio_poll_wait(p, ev, 8, 0) < 0;
	}
	after = allocs();
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(after - before, 0);
	mio_close(sp[0]);
	mio_close(sp[1]);
	mio_waker_free(w);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_wait_and_wake_allocate_nothing)
{
	enum { ROUNDS = 20000 };
	struct mio_poll *p;
	struct mio_waker *w;
	struct mio_event ev[4];
	long before, after;
	int i, bad = 0;

	counting_start();
	p = tu_poll();
	ck_assert_int_eq(mio_waker_new(p, 9, &w), 0);
	before = allocs();
	for (i = 0; i < ROUNDS; i++) {
		bad += mio_waker_wake(w) != 0;
		bad += mio_poll_wait(p, ev, 4, 5000) != 1;
		bad += ev[0].token != 9;
	}
	after = allocs();
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(after - before, 0);
	mio_waker_free(w);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_many_registrations_amortised)
{
	enum { N = 500, ROUNDS = 20 };
	struct mio_poll *p;
	static int efd[N];
	long before = 0, after;
	int i, r, bad = 0;

	counting_start();
	tu_nofile(N + 64);
	p = tu_poll();
	for (i = 0; i < N; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ck_assert_int_ge(efd[i], 0);
	}
	/* Warm-up: the first pass may grow tables; later ones must not. */
	for (r = 0; r < ROUNDS; r++) {
		struct mio_event ev[4];

		if (r == 1)
			before = allocs();
		for (i = 0; i < N; i++)
			bad += mio_register(p, efd[i], (mio_token)i,
			    MIO_READABLE) != 0;
		for (i = 0; i < N; i++)
			bad += mio_deregister(p, efd[i]) != 0;
		bad += mio_poll_wait(p, ev, 4, 0) != 0;
	}
	after = allocs();
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(after - before, 0);
	for (i = 0; i < N; i++)
		mio_close(efd[i]);
	mio_poll_free(p);
}
END_TEST

/*
 * Registering and deregistering with no wait in between (a burst of
 * accepts and closes, or other threads while the waiter is busy): the
 * tables must not grow with the number of calls.
 */
START_TEST(test_churn_between_waits_allocates_nothing)
{
	enum { CALLS = 100000 };
	struct mio_poll *p;
	long before, after;
	int i, bad = 0, fds[2];

	counting_start();
	p = tu_poll();
	ck_assert_int_eq(mio_pipe(fds), 0);
	/* Warm-up. */
	for (i = 0; i < 1000; i++) {
		bad += mio_register(p, fds[0], 1, MIO_READABLE) != 0;
		bad += mio_deregister(p, fds[0]) != 0;
	}
	before = allocs();
	for (i = 0; i < CALLS; i++) {
		bad += mio_register(p, fds[0], 1, MIO_READABLE) != 0;
		bad += mio_deregister(p, fds[0]) != 0;
	}
	after = allocs();
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(after - before, 0);
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

static Suite *
alloc_suite(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("steady");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_counter_works);
	tcase_add_test(tc, test_steady_state_allocates_nothing);
	tcase_add_test(tc, test_wait_and_wake_allocate_nothing);
	tcase_add_test(tc, test_many_registrations_amortised);
	tcase_add_test(tc, test_churn_between_waits_allocates_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(alloc_suite());
}
