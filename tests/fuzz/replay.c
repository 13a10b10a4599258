/*
 * The corpus replay driver: a main() for a fuzz target without libFuzzer,
 * so that every build (gcc, the sanitizers' too) runs each input of a
 * corpus through the target in `make check`, and an input that once
 * crashed stays a test.
 *
 *   replay_T [-t [-r N]] PATH...
 *
 * Each PATH is a file, or a directory whose files are run in name order.
 * A failed invariant aborts, as under the fuzzer.  With -t, each input
 * is timed and the slowest, and the worst in milliseconds per kilobyte
 * (over inputs of 1 KiB or more), are reported: the loader's cost per
 * kilobyte is a reload's stall of the event loop.  -r N runs each input
 * N times and keeps its best time: a first run pays for cold caches and
 * fresh heap pages, which a daemon's reload does not.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "fuzz.h"

struct replay {
	bool		 timed;
	int		 repeat;	/* runs per input, the best one counts */
	size_t		 ninputs;
	size_t		 nbytes;
	double		 slowest_ms;
	char		*slowest;
	size_t		 slowest_size;
	double		 worst_per_kb;
	char		*worst;
	size_t		 worst_size;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
replay_note(char **dst, const char *path)
{
	free(*dst);
	if ((*dst = strdup(path)) == NULL) {
		perror("replay");
		exit(2);
	}
}

/* Reads `path` whole into a buffer of exactly its size; runs it. */
static int
replay_file(struct replay *r, const char *path)
{
	uint8_t *data = NULL;
	size_t size = 0, n;
	double t0, ms = 0;
	int i;
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	size = (size_t)st.st_size;
	/* malloc(0) may be NULL: one spare byte, never handed over. */
	if ((data = malloc(size + 1)) == NULL ||
	    (n = fread(data, 1, size, fp)) != size) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(data);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	for (i = 0; i < r->repeat; i++) {
		t0 = now_ms();
		LLVMFuzzerTestOneInput(data, size);
		t0 = now_ms() - t0;
		if (i == 0 || t0 < ms)
			ms = t0;
	}
	free(data);
	r->ninputs++;
	r->nbytes += size;
	if (ms > r->slowest_ms) {
		r->slowest_ms = ms;
		r->slowest_size = size;
		replay_note(&r->slowest, path);
	}
	if (size >= 1024 && ms / ((double)size / 1024) > r->worst_per_kb) {
		r->worst_per_kb = ms / ((double)size / 1024);
		r->worst_size = size;
		replay_note(&r->worst, path);
	}
	return 0;
}

static int
replay_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
replay_dir(struct replay *r, const char *dir)
{
	struct dirent **names;
	char path[4096];
	int i, n, rc = 0;

	if ((n = scandir(dir, &names, NULL, replay_name_cmp)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && rc == 0)
			rc = replay_file(r, path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct replay r;
	struct stat st;
	int i = 1, rc = 0;

	memset(&r, 0, sizeof(r));
	r.repeat = 1;
	if (i < argc && strcmp(argv[i], "-t") == 0) {
		r.timed = true;
		i++;
	}
	if (r.timed && i + 1 < argc && strcmp(argv[i], "-r") == 0) {
		r.repeat = atoi(argv[i + 1]);
		if (r.repeat < 1)
			r.repeat = 1;
		i += 2;
	}
	if (i == argc) {
		fprintf(stderr, "usage: %s [-t [-r N]] FILE|DIR...\n",
		    argv[0]);
		return 2;
	}
	for (; i < argc && rc == 0; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode))
			rc = replay_dir(&r, argv[i]);
		else
			rc = replay_file(&r, argv[i]);
	}
	printf("%s: %zu inputs, %zu bytes replayed%s\n", argv[0], r.ninputs,
	    r.nbytes, rc == 0 ? "" : " (stopped by an error)");
	if (r.timed && r.slowest != NULL)
		printf("slowest: %s (%zu bytes) %.3f ms\n", r.slowest,
		    r.slowest_size, r.slowest_ms);
	if (r.timed && r.worst != NULL)
		printf("worst per KiB: %s (%zu bytes) %.3f ms/KiB\n", r.worst,
		    r.worst_size, r.worst_per_kb);
	free(r.slowest);
	free(r.worst);
	return rc == 0 && r.ninputs > 0 ? 0 : 1;
}
