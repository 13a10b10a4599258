/*
 * Allocation failure, on purpose: linked into a test build of the daemon
 * (tests/daemon/mioproxy_fi) with -Wl,--wrap for malloc, calloc and
 * realloc, so that the daemon's and libmio's own allocations come here.
 * The one numbered $MIOPROXY_FAIL_ALLOC (from 1, in the order they
 * happen) fails with ENOMEM, once, and says so on stderr; the others go
 * to the allocator.  tests/daemon/check_faults.c sweeps the number.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void	*__real_malloc(size_t size);
void	*__real_calloc(size_t n, size_t size);
void	*__real_realloc(void *p, size_t size);
void	*__wrap_malloc(size_t size);
void	*__wrap_calloc(size_t n, size_t size);
void	*__wrap_realloc(void *p, size_t size);

static long fault_count;
static long fault_at = -1;	/* -1: not read yet; 0: never */

/* Whether this allocation is the one to fail. */
static int
fault_now(void)
{
	if (fault_at < 0) {
		const char *e = getenv("MIOPROXY_FAIL_ALLOC");

		fault_at = e != NULL ? atol(e) : 0;
	}
	if (fault_at == 0 || ++fault_count != fault_at)
		return 0;
	/* write(2), not stdio: stdio may allocate. */
	{
		static const char msg[] = "faultinj: failed allocation\n";

		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	}
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t size)
{
	return fault_now() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return fault_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	return fault_now() ? NULL : __real_realloc(p, size);
}
