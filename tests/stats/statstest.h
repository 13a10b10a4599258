/*
 * Helpers of the stats suites: HTTP requests to the endpoint, and the
 * values of a scrape.
 */
#ifndef STATSTEST_H
#define STATSTEST_H

#include "../daemon/proxytest.h"

#define ST_PAGE_MAX	(256 * 1024)

/* Sends req on a new connection, reads until the proxy closes it. */
static inline size_t
st_raw(int port, const char *req, size_t reqlen, char *out, size_t size)
{
	int fd = pt_connect(port);
	size_t len = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	if (reqlen > 0)
		pt_send_all(fd, req, reqlen);
	while (len + 1 < size &&
	    (n = recv(fd, out + len, size - 1 - len, 0)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	return len;
}

/* GET path with Connection: close; the status, and the body in out. */
static inline int
st_get(int port, const char *path, char *out, size_t size)
{
	char req[512], *body;
	int status = -1;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n"
	    "Connection: close\r\n\r\n", path);
	st_raw(port, req, strlen(req), out, size);
	if (sscanf(out, "HTTP/1.1 %d", &status) != 1)
		return -1;
	if ((body = strstr(out, "\r\n\r\n")) != NULL)
		memmove(out, body + 4, strlen(body + 4) + 1);
	return status;
}

/*
 * The value of the sample `series` (name and labels as printed) in a
 * page; -1 when absent.
 */
static inline long long
st_value(const char *page, const char *series)
{
	size_t n = strlen(series);
	const char *p = page;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

#endif /* STATSTEST_H */
