/*
 * "Nothing allocates after setup" (API.md) on Windows, measured: the
 * C runtime's allocators that libmio.dll imports (malloc, calloc,
 * realloc, from msvcrt or the UCRT) and kernel32's HeapAlloc are
 * patched in the DLL's import table to count calls, so every heap
 * allocation libmio itself makes is seen; then waits, wakes,
 * (de)registrations, reads, writes, datagrams and accepts run in loops
 * with the count checked before and after.  (Winsock's own user-space
 * allocations, in ws2_32 and below, are not libmio's and not counted,
 * as the Linux suite does not count the kernel's.)
 */
#include "config.h"

#include "wintest.h"

static volatile LONG alloc_count;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static LPVOID (WINAPI *real_heapalloc)(HANDLE, DWORD, SIZE_T);

static void *
count_malloc(size_t n)
{
	InterlockedIncrement(&alloc_count);
	return real_malloc(n);
}

static void *
count_calloc(size_t n, size_t size)
{
	InterlockedIncrement(&alloc_count);
	return real_calloc(n, size);
}

static void *
count_realloc(void *p, size_t n)
{
	InterlockedIncrement(&alloc_count);
	return real_realloc(p, n);
}

static LPVOID WINAPI
count_heapalloc(HANDLE h, DWORD flags, SIZE_T n)
{
	InterlockedIncrement(&alloc_count);
	return real_heapalloc(h, flags, n);
}

/* Points `name`'s slot of mod's import table at fn; 1 if found. */
static int
patch_import(HMODULE mod, const char *name, void *fn, void **orig)
{
	unsigned char *base = (unsigned char *)mod;
	IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base +
	    ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	IMAGE_DATA_DIRECTORY dir =
	    nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
	IMAGE_IMPORT_DESCRIPTOR *imp;
	int found = 0;

	for (imp = (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress);
	    imp->Name != 0; imp++) {
		IMAGE_THUNK_DATA *names = (IMAGE_THUNK_DATA *)(base +
		    imp->OriginalFirstThunk);
		IMAGE_THUNK_DATA *slots = (IMAGE_THUNK_DATA *)(base +
		    imp->FirstThunk);

		for (; names->u1.AddressOfData != 0; names++, slots++) {
			IMAGE_IMPORT_BY_NAME *ibn;
			DWORD old;

			if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
				continue;
			ibn = (IMAGE_IMPORT_BY_NAME *)(base +
			    names->u1.AddressOfData);
			if (strcmp((const char *)ibn->Name, name) != 0)
				continue;
			VirtualProtect(&slots->u1.Function, sizeof(void *),
			    PAGE_READWRITE, &old);
			*orig = (void *)slots->u1.Function;
			slots->u1.Function = (ULONG_PTR)fn;
			VirtualProtect(&slots->u1.Function, sizeof(void *),
			    old, &old);
			found = 1;
		}
	}
	return found;
}

static void
hook_libmio(void)
{
	static int done;
	HMODULE mod;
	int n = 0;

	if (done)
		return;
	mod = GetModuleHandleW(L"libmio.dll");
	ck_assert_msg(mod != NULL, "libmio.dll is not loaded");
	n += patch_import(mod, "malloc", (void *)count_malloc,
	    (void **)&real_malloc);
	n += patch_import(mod, "calloc", (void *)count_calloc,
	    (void **)&real_calloc);
	n += patch_import(mod, "realloc", (void *)count_realloc,
	    (void **)&real_realloc);
	(void)patch_import(mod, "HeapAlloc", (void *)count_heapalloc,
	    (void **)&real_heapalloc);
	/* libmio allocates with malloc and calloc: both must be caught. */
	ck_assert_int_ge(n, 2);
	done = 1;
}

static long
allocs(void)
{
	return InterlockedCompareExchange(&alloc_count, 0, 0);
}

START_TEST(test_counter_works)
{
	struct mio_poll *p;
	long before;

	hook_libmio();
	before = allocs();
	ck_assert_int_eq(mio_poll_new(&p), 0);		/* setup allocates */
	ck_assert_int_gt(allocs(), before);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_registrations_allocate_nothing)
{
	struct mio_poll *p;
	struct mio_event ev[8];
	mio_sock s[2];
	long before = 0;
	int i, bad = 0;

	hook_libmio();
	p = tu_poll();
	tu_tcp_pair(s);
	for (i = 0; i < 2000; i++) {
		if (i == 1000)
			before = allocs();	/* after the warm-up */
		bad += mio_register(p, s[0], 2, MIO_READABLE |
		    MIO_WRITABLE) != 0;
		if (i % 2)
			bad += mio_poll_wait(p, ev, 8, 0) < 0;
		bad += mio_reregister(p, s[0], 3, MIO_READABLE) != 0;
		bad += mio_deregister(p, s[0]) != 0;
		if (i % 3)
			bad += mio_poll_wait(p, ev, 8, 0) < 0;
	}
	ck_assert_int_eq(allocs() - before, 0);
	ck_assert_int_eq(bad, 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_wait_and_wake_allocate_nothing)
{
	struct mio_poll *p;
	struct mio_waker *w;
	struct mio_event ev[8];
	long before;
	int i, bad = 0;

	hook_libmio();
	p = tu_poll();
	ck_assert_int_eq(mio_waker_new(p, 1, &w), 0);
	before = allocs();
	for (i = 0; i < 2000; i++) {
		bad += mio_waker_wake(w) != 0;
		bad += mio_poll_wait(p, ev, 8, 1000) != 1;
	}
	ck_assert_int_eq(allocs() - before, 0);
	ck_assert_int_eq(bad, 0);
	mio_waker_free(w);
	mio_poll_free(p);
}
END_TEST

/* The forwarding path: events, reads to -EAGAIN, writes, re-arms. */
START_TEST(test_io_allocates_nothing)
{
	struct mio_poll *p;
	struct mio_event ev[8];
	mio_sock s[2];
	char buf[256];
	long before = 0;
	int i, bad = 0;

	hook_libmio();
	p = tu_poll();
	tu_tcp_pair(s);
	bad += mio_register(p, s[1], 1, MIO_READABLE) != 0;
	for (i = 0; i < 1000; i++) {
		if (i == 100)
			before = allocs();
		bad += mio_write(s[0], "ping", 4) != 4;
		bad += mio_poll_wait(p, ev, 8, 5000) != 1;
		bad += mio_read(s[1], buf, sizeof(buf)) != 4;
		bad += mio_read(s[1], buf, sizeof(buf)) != -EAGAIN;
	}
	ck_assert_int_eq(allocs() - before, 0);
	ck_assert_int_eq(bad, 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_udp_and_accept_allocate_nothing)
{
	enum { CLIENTS = 12 };	/* within tu_listener()'s backlog */
	struct mio_poll *p;
	struct mio_event ev[8];
	struct mio_addr any, a, b, from;
	mio_sock l;
	int u1, u2, c[CLIENTS], accepted = 0, i, s;
	char buf[64];
	long before;
	int bad = 0;

	hook_libmio();
	p = tu_poll();
	ck_assert_int_eq(mio_addr_parse(&any, "127.0.0.1:0"), 0);
	ck_assert_int_ge(u1 = mio_udp_bind(&any), 0);
	ck_assert_int_ge(u2 = mio_udp_bind(&any), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)u2, &b), 0);
	ck_assert_int_eq(mio_register(p, (mio_sock)u2, 2, MIO_READABLE), 0);
	l = tu_listener("127.0.0.1:0", &a);
	ck_assert_int_eq(mio_register(p, l, 3, MIO_READABLE), 0);
	for (i = 0; i < 20; i++) {	/* warm-up */
		bad += mio_udp_send_to((mio_sock)u1, "dg", 2, &b) != 2;
		bad += mio_poll_wait(p, ev, 8, 5000) < 1;
		bad += mio_udp_recv_from((mio_sock)u2, buf, sizeof(buf),
		    &from) != 2;
		bad += mio_udp_recv_from((mio_sock)u2, buf, sizeof(buf),
		    &from) != -EAGAIN;
	}
	for (i = 0; i < CLIENTS; i++)
		ck_assert_int_ge(c[i] = mio_tcp_connect(&a), 0);
	before = allocs();
	for (i = 0; i < 1000; i++) {
		bad += mio_udp_send_to((mio_sock)u1, "dg", 2, &b) != 2;
		bad += mio_poll_wait(p, ev, 8, 5000) < 1;
		while (mio_udp_recv_from((mio_sock)u2, buf, sizeof(buf),
		    &from) == 2)
			;
		while ((s = mio_tcp_accept(l, NULL)) >= 0) {
			accepted++;
			bad += mio_close((mio_sock)s) != 0;
		}
		if (accepted == CLIENTS)
			break;
	}
	ck_assert_int_eq(allocs() - before, 0);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(accepted, CLIENTS);
	for (i = 0; i < CLIENTS; i++)
		mio_close((mio_sock)c[i]);
	mio_close(l);
	mio_close((mio_sock)u1);
	mio_close((mio_sock)u2);
	mio_poll_free(p);
}
END_TEST

static Suite *
alloc_suite(void)
{
	Suite *s = suite_create("alloc-iocp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_counter_works);
	tcase_add_test(tc, test_registrations_allocate_nothing);
	tcase_add_test(tc, test_wait_and_wake_allocate_nothing);
	tcase_add_test(tc, test_io_allocates_nothing);
	tcase_add_test(tc, test_udp_and_accept_allocate_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tap_main(alloc_suite());
}
