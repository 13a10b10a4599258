/*
 * A Check-compatible shim for the Windows build, where mingw-w64 has no
 * Check: the subset the libmio suites use (START_TEST, loop tests and
 * their _i, ck_assert_*,
 * suites and cases, TAP output for automake's driver), run in-process
 * with a longjmp out of a failed assertion (Check forks; Windows
 * cannot).  A test that cannot run here says why with tu_skip(), and
 * shows as "ok N - name # SKIP reason" in the TAP stream.
 */
#ifndef MIO_TESTS_WIN_CHECK_H
#define MIO_TESTS_WIN_CHECK_H

#include <fcntl.h>
#include <inttypes.h>
#include <io.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* A test; _i is the loop index of tcase_add_loop_test() (else 0). */
typedef void (*ck_fn)(int _i);

#define CK_MAX_TESTS	128

typedef struct TCase {
	const char	*name;
	const char	*names[CK_MAX_TESTS];
	ck_fn		 fns[CK_MAX_TESTS];
	int		 from[CK_MAX_TESTS];	/* _i from .. to - 1 */
	int		 to[CK_MAX_TESTS];
	int		 n;
} TCase;

typedef struct Suite {
	const char	*name;
	TCase		*cases[8];
	int		 n;
} Suite;

static jmp_buf ck_jmp;
static char ck_msg[512];
static int ck_skipped;

#define START_TEST(name)	static void name(int _i)
#define END_TEST

static inline Suite *
suite_create(const char *name)
{
	static Suite s;

	s.name = name;
	return &s;
}

static inline TCase *
tcase_create(const char *name)
{
	static TCase c[8];
	static int used;

	c[used].name = name;
	return &c[used++];
}

static inline void
tcase_set_timeout(TCase *tc, double seconds)
{
	(void)tc; (void)seconds;	/* the runner's wall clock bounds it */
}

#define tcase_add_test(tc, fn)	ck_add((tc), #fn, (fn), 0, 1)
#define tcase_add_loop_test(tc, fn, s, e) ck_add((tc), #fn, (fn), (s), (e))

static inline void
ck_add(TCase *tc, const char *name, ck_fn fn, int from, int to)
{
	tc->names[tc->n] = name;
	tc->from[tc->n] = from;
	tc->to[tc->n] = to;
	tc->fns[tc->n++] = fn;
}

static inline void
suite_add_tcase(Suite *s, TCase *tc)
{
	s->cases[s->n++] = tc;
}

#define ck_fail_at(...)							\
	do {								\
		snprintf(ck_msg, sizeof(ck_msg), __VA_ARGS__);		\
		longjmp(ck_jmp, 1);					\
	} while (0)

#define ck_assert_msg(cond, ...)					\
	do {								\
		if (!(cond)) {						\
			char ck_m2[400];				\
			snprintf(ck_m2, sizeof(ck_m2), __VA_ARGS__);	\
			ck_fail_at("%s:%d: %s: %s", __FILE__, __LINE__,	\
			    #cond, ck_m2);				\
		}							\
	} while (0)
#define ck_assert(cond)		ck_assert_msg(cond, "failed")

#define ck_assert_int_op(a, op, b)					\
	do {								\
		intmax_t ck_a = (intmax_t)(a), ck_b = (intmax_t)(b);	\
		if (!(ck_a op ck_b))					\
			ck_fail_at("%s:%d: %s %s %s (%" PRIdMAX " vs %"	\
			    PRIdMAX ")", __FILE__, __LINE__, #a, #op, #b,	\
			    ck_a, ck_b);				\
	} while (0)
#define ck_assert_int_eq(a, b)	ck_assert_int_op(a, ==, b)
#define ck_assert_int_ne(a, b)	ck_assert_int_op(a, !=, b)
#define ck_assert_int_lt(a, b)	ck_assert_int_op(a, <, b)
#define ck_assert_int_le(a, b)	ck_assert_int_op(a, <=, b)
#define ck_assert_int_gt(a, b)	ck_assert_int_op(a, >, b)
#define ck_assert_int_ge(a, b)	ck_assert_int_op(a, >=, b)
#define ck_assert_uint_eq(a, b)	ck_assert_int_op(a, ==, b)
#define ck_assert_uint_ne(a, b)	ck_assert_int_op(a, !=, b)
#define ck_assert_uint_lt(a, b)	ck_assert_int_op(a, <, b)
#define ck_assert_uint_le(a, b)	ck_assert_int_op(a, <=, b)
#define ck_assert_uint_gt(a, b)	ck_assert_int_op(a, >, b)
#define ck_assert_uint_ge(a, b)	ck_assert_int_op(a, >=, b)
#define ck_assert_ptr_null(p)	ck_assert_msg((p) == NULL, "not NULL")
#define ck_assert_ptr_nonnull(p) ck_assert_msg((p) != NULL, "NULL")
#define ck_assert_str_eq(a, b)						\
	ck_assert_msg(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
#define ck_assert_mem_eq(a, b, n)					\
	ck_assert_msg(memcmp((a), (b), (n)) == 0, "bytes differ")

/* Ends the test as skipped, with the reason in the TAP line. */
#define tu_skip(...)							\
	do {								\
		snprintf(ck_msg, sizeof(ck_msg), __VA_ARGS__);		\
		ck_skipped = 1;						\
		longjmp(ck_jmp, 1);					\
	} while (0)

/* One test: 0 passed, 1 failed, 2 skipped (ck_msg says why). */
static inline int
ck_run_one(ck_fn fn, int i)
{
	ck_skipped = 0;
	ck_msg[0] = '\0';
	if (setjmp(ck_jmp) == 0) {
		fn(i);
		return 0;
	}
	return ck_skipped ? 2 : 1;
}

/* Runs every test of s; TAP on stdout; exit status 1 if any failed. */
static inline int
tap_main(Suite *s)
{
	int c, i, j, total = 0, failed = 0, k = 0;

	/* TAP wants "\n", not the console's "\r\n". */
	_setmode(_fileno(stdout), _O_BINARY);
	for (c = 0; c < s->n; c++)
		for (i = 0; i < s->cases[c]->n; i++)
			total += s->cases[c]->to[i] - s->cases[c]->from[i];
	printf("1..%d\n", total);
	fflush(stdout);
	for (c = 0; c < s->n; c++)
		for (i = 0; i < s->cases[c]->n; i++)
		for (j = s->cases[c]->from[i]; j < s->cases[c]->to[i]; j++) {
			char name[160];

			if (s->cases[c]->to[i] - s->cases[c]->from[i] > 1)
				snprintf(name, sizeof(name), "%s/%d",
				    s->cases[c]->names[i], j);
			else
				snprintf(name, sizeof(name), "%s",
				    s->cases[c]->names[i]);
			switch (ck_run_one(s->cases[c]->fns[i], j)) {
			case 0:
				printf("ok %d - %s\n", ++k, name);
				break;
			case 2:
				printf("ok %d - %s # SKIP %s\n", ++k, name,
				    ck_msg);
				break;
			default:
				failed++;
				printf("not ok %d - %s: %s\n", ++k, name,
				    ck_msg);
			}
			fflush(stdout);
		}
	return failed ? 1 : 0;
}

#endif /* MIO_TESTS_WIN_CHECK_H */
