/*
 * The process's own figures for the process_* metrics every Prometheus
 * client exports: read when a page is asked for, never counted.
 */
#ifndef MIOPROXY_OPS_PROC_H
#define MIOPROXY_OPS_PROC_H

#include <stdint.h>

struct proc_info {
	uint64_t	 cpu_us;	/* user + system, microseconds */
	uint64_t	 rss_bytes;	/* 0: unknown here */
	uint64_t	 open_fds;
	uint64_t	 max_fds;	/* RLIMIT_NOFILE, soft */
	int64_t		 start_time;	/* wall clock, seconds */
};

void	proc_read(struct proc_info *pi);

#endif /* MIOPROXY_OPS_PROC_H */
