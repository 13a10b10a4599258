/*
 * The entry point every fuzz target defines (libFuzzer's), so that one
 * target can be linked either with libFuzzer (--enable-fuzzing) or with
 * the corpus replay driver, replay.c, that `make check` runs everywhere.
 */
#ifndef MIOPROXY_FUZZ_H
#define MIOPROXY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; aborts (a crash to the fuzzer) when an invariant fails. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort()s with a message when `cond` is false: a finding, not an error. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

void	fuzz_fail(const char *file, int line, const char *what)
	    __attribute__((noreturn));

#endif /* MIOPROXY_FUZZ_H */
