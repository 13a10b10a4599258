/*
 * The request parser (http.h).  Strict where being lenient would let a
 * request mean two things (no line folding, no bare CR, no body, Host
 * required in HTTP/1.1: RFC 9112), lenient where it costs nothing (a
 * bare LF ends a line).  Only what the endpoints use is kept: method,
 * path, version and whether to keep the connection.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "ops/http.h"

/* RFC 9110 tchar. */
static int
http_tchar(unsigned char c)
{
	/* c != 0: strchr() finds the string's own terminator. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The end of the line at p (its LF), or NULL; *bad on a bare CR. */
static const char *
http_eol(const char *p, const char *end, int *bad)
{
	const char *q = memchr(p, '\n', (size_t)(end - p)), *cr;

	if (q == NULL)
		return NULL;
	cr = memchr(p, '\r', (size_t)(q - p));
	if (cr != NULL && cr != q - 1)
		*bad = 1;
	return q;
}

/*
 * Whether the start of a request line is already wrong: its method
 * must be a token, then a space, then '/'.  Noise fails here at once
 * rather than after the timeout.
 */
static int
http_bad_start(const char *p, const char *end)
{
	while (p < end && http_tchar((unsigned char)*p))
		p++;
	return p < end && (*p != ' ' || (p + 1 < end && p[1] != '/'));
}

/* Length of a line without its CR LF or LF. */
static size_t
http_linelen(const char *p, const char *lf)
{
	return (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
}

/* METHOD SP /path[?query] SP HTTP/1.x: 0 or -status. */
static int
http_request_line(const char *p, size_t n, struct http_req *req)
{
	const char *e = p + n, *sp, *t, *q;
	size_t m;

	for (sp = p; sp < e && http_tchar((unsigned char)*sp); sp++)
		;
	if (sp == p || sp == e || *sp != ' ')
		return -400;
	m = (size_t)(sp - p);
	req->method = m == 3 && memcmp(p, "GET", 3) == 0 ? HTTP_GET :
	    m == 4 && memcmp(p, "HEAD", 4) == 0 ? HTTP_HEAD : HTTP_OTHER;
	t = sp + 1;
	if (t == e || *t != '/')
		return -400;
	for (q = t; q < e && *q > ' ' && *q != 0x7f; q++)
		;
	if (q == e || *q != ' ' || e - (q + 1) != 8)
		return -400;
	if (memcmp(q + 1, "HTTP/1.", 7) != 0) {
		if (memcmp(q + 1, "HTTP/", 5) == 0)
			return -505;
		return -400;
	}
	/* A later 1.x is answered as 1.1 (RFC 9110, 2.5). */
	if (q[8] < '0' || q[8] > '9')
		return -400;
	req->minor = q[8] != '0';
	req->path = t;
	sp = memchr(t, '?', (size_t)(q - t));
	req->pathlen = (size_t)((sp != NULL ? sp : q) - t);
	return 0;
}

/* Whether the comma-separated list v (n bytes) holds the token tok. */
static int
http_has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0, j;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (j = i; j < n && v[j] != ',' && v[j] != ' ' &&
		    v[j] != '\t'; j++)
			;
		if (j - i == tl && strncasecmp(v + i, tok, tl) == 0)
			return 1;
		i = j;
	}
	return 0;
}

struct http_hdrs {
	int		hosts;
	int		close;
	int		keep;
};

/* One header line: 0 or -400. */
static int
http_header(const char *p, size_t n, struct http_hdrs *h)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t name, i, vn;

	if (colon == NULL || colon == p)
		return -400;
	name = (size_t)(colon - p);
	for (i = 0; i < name; i++)
		if (!http_tchar((unsigned char)p[i]))
			return -400;	/* also folding, space before ':' */
	for (v = colon + 1; v < p + n && (*v == ' ' || *v == '\t'); v++)
		;
	vn = (size_t)(p + n - v);
	for (i = 0; i < vn; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return -400;
	if (name == 4 && strncasecmp(p, "host", 4) == 0)
		h->hosts++;
	else if (name == 10 && strncasecmp(p, "connection", 10) == 0) {
		h->close |= http_has_token(v, vn, "close");
		h->keep |= http_has_token(v, vn, "keep-alive");
	} else if ((name == 17 &&
	    strncasecmp(p, "transfer-encoding", 17) == 0) ||
	    (name == 14 && strncasecmp(p, "content-length", 14) == 0 &&
	    !(vn == 1 && v[0] == '0')))
		return -400;	/* a body: nothing here takes one */
	return 0;
}

long
http_parse(const char *buf, size_t len, struct http_req *req)
{
	const char *p = buf, *end = buf + len, *lf;
	struct http_hdrs h = { 0, 0, 0 };
	int bad = 0, rc, first = 1;

	memset(req, 0, sizeof(*req));
	for (;;) {
		if ((lf = http_eol(p, end, &bad)) == NULL)
			return bad || (first && http_bad_start(p, end)) ?
			    -400 : 0;
		if (bad)
			return -400;
		if (first) {
			if ((rc = http_request_line(p, http_linelen(p, lf),
			    req)) != 0)
				return rc;
			first = 0;
		} else if (http_linelen(p, lf) == 0) {
			break;
		} else if ((rc = http_header(p, http_linelen(p, lf),
		    &h)) != 0) {
			return rc;
		}
		p = lf + 1;
	}
	if (req->minor == 1 && h.hosts != 1)
		return -400;
	req->keep_alive = req->minor == 1 ? !h.close : h.keep && !h.close;
	return (long)(lf + 1 - buf);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
