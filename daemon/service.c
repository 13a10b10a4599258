/*
 * Running as a system service (service.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/resource.h>

#include "log.h"
#include "service.h"

static char *service_pid_file;

int
service_limits(const struct conf *conf)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conf->process.max_fds;

	if (want == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (want > rl.rlim_max) {
		log_warn("max_fds %llu is above the hard limit %llu: using "
		    "the hard limit", (unsigned long long)want,
		    (unsigned long long)rl.rlim_max);
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return 0;
}

static int
service_write_pid(const char *path)
{
	char line[32];
	int fd, n, rc = 0;

	/* No symlink followed (written as root, in a directory the account
	 * dropped to may own); 0644 whatever the umask, as documented. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n)
		rc = -EIO;
	close(fd);
	return rc;
}

/* Group first, while still allowed to change it; then the user. */
static int
service_drop(const char *user, const char *group)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	gid_t gid;

	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		log_error("user %s: no such user", user);
		return -ENOENT;
	}
	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		log_error("group %s: no such group", group);
		return -ENOENT;
	}
	if (gr != NULL || pw != NULL) {
		gid = gr != NULL ? gr->gr_gid : pw->pw_gid;
		if (setgroups(1, &gid) < 0 && errno != EPERM)
			return -errno;
		if (setgid(gid) < 0)
			return -errno;
	}
	if (pw != NULL && setuid(pw->pw_uid) < 0)
		return -errno;
	if (pw != NULL && pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("privileges were not dropped");
		return -EPERM;
	}
	return 0;
}

int
service_start(const struct conf *conf)
{
	int rc;

	if (conf->process.pid_file != NULL) {
		/* The copy first: a file written must be one we can remove. */
		rc = -ENOMEM;
		if ((service_pid_file = strdup(conf->process.pid_file)) ==
		    NULL ||
		    (rc = service_write_pid(conf->process.pid_file)) != 0) {
			log_error("pid file %s: %s", conf->process.pid_file,
			    mio_strerror(rc));
			free(service_pid_file);
			service_pid_file = NULL;
			return rc;
		}
	}
	if (conf->process.user != NULL || conf->process.group != NULL) {
		if ((rc = service_drop(conf->process.user,
		    conf->process.group)) != 0) {
			log_error("dropping privileges: %s", mio_strerror(rc));
			return rc;
		}
		log_info("running as user %s, group %s",
		    conf->process.user ? conf->process.user : "(unchanged)",
		    conf->process.group ? conf->process.group : "(its own)");
	}
	return 0;
}

void
service_stop(void)
{
	if (service_pid_file != NULL) {
		(void)unlink(service_pid_file);
		free(service_pid_file);
		service_pid_file = NULL;
	}
}

void
service_forget(void)
{
	free(service_pid_file);
	service_pid_file = NULL;
}

static int
service_str_changed(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

void
service_reload_warnings(const struct conf *old, const struct conf *conf)
{
	if (service_str_changed(old->process.user, conf->process.user) ||
	    service_str_changed(old->process.group, conf->process.group))
		log_warn("reload: process.user and process.group apply at "
		    "the next start");
	if (old->process.max_fds != conf->process.max_fds)
		log_warn("reload: process.max_fds applies at the next start");
	if (old->process.io != conf->process.io)
		log_warn("reload: process.io applies at the next start");
	if (service_str_changed(old->process.pid_file,
	    conf->process.pid_file))
		log_warn("reload: process.pid_file applies at the next start");
}
