/*
 * What a broken invariant does in a fuzz target: says which, and aborts,
 * which libFuzzer and the replay driver both report as a crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}
