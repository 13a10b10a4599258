/*
 * process_* figures (proc.h).  CPU time and the descriptor limit come
 * from portable calls; the resident size and the open descriptors from
 * /proc where there is one (Linux), else /dev/fd for the descriptors
 * and nothing for the size: a page without a figure is better than a
 * wrong one (ru_maxrss is the peak, not the current size).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "model/keep.h"
#include "ops/proc.h"

static uint64_t
proc_rss(void)
{
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *fp;
	int n;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	n = fscanf(fp, "%llu %llu", &size, &resident);
	fclose(fp);
	return n == 2 && page > 0 ? resident * (uint64_t)page : 0;
}

/* Entries of the descriptor directory, less the one reading it. */
static uint64_t
proc_fds(void)
{
	struct dirent *de;
	uint64_t n = 0;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL &&
	    (d = opendir("/dev/fd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

void
proc_read(struct proc_info *pi)
{
	struct rlimit rl;
	struct rusage ru;

	pi->cpu_us = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		pi->cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u +
		    (uint64_t)ru.ru_utime.tv_usec +
		    (uint64_t)ru.ru_stime.tv_sec * 1000000u +
		    (uint64_t)ru.ru_stime.tv_usec;
	pi->max_fds = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		pi->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX :
		    (uint64_t)rl.rlim_cur;
	pi->rss_bytes = proc_rss();
	pi->open_fds = proc_fds();
	pi->start_time = keep_proc.started;
}
