/*
 * mio_strerror() for Windows (error.c's on POSIX; mio_version() is
 * version.c's on both).
 * The C runtime's strerror() knows only the classic errno values below
 * 100; mingw-w64's POSIX supplement (EADDRINUSE = 100 and up), which
 * carries every socket error libmio returns, gets glibc's wording here
 * so that messages read the same on both systems.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "mio.h"

static const struct {
	int		 err;
	const char	*text;
} error_texts[] = {
	{ EADDRINUSE,		"Address already in use" },
	{ EADDRNOTAVAIL,	"Cannot assign requested address" },
	{ EAFNOSUPPORT,		"Address family not supported by protocol" },
	{ EALREADY,		"Operation already in progress" },
	{ ECANCELED,		"Operation canceled" },
	{ ECONNABORTED,		"Software caused connection abort" },
	{ ECONNREFUSED,		"Connection refused" },
	{ ECONNRESET,		"Connection reset by peer" },
	{ EDESTADDRREQ,		"Destination address required" },
	{ EHOSTUNREACH,		"No route to host" },
	{ EINPROGRESS,		"Operation now in progress" },
	{ EISCONN,		"Transport endpoint is already connected" },
	{ ELOOP,		"Too many levels of symbolic links" },
	{ EMSGSIZE,		"Message too long" },
	{ ENETDOWN,		"Network is down" },
	{ ENETRESET,		"Network dropped connection on reset" },
	{ ENETUNREACH,		"Network is unreachable" },
	{ ENOBUFS,		"No buffer space available" },
	{ ENOPROTOOPT,		"Protocol not available" },
	{ ENOTCONN,		"Transport endpoint is not connected" },
	{ ENOTSOCK,		"Socket operation on non-socket" },
	{ ENOTSUP,		"Operation not supported" },
	{ EOPNOTSUPP,		"Operation not supported on socket" },
	{ EOVERFLOW,		"Value too large for defined data type" },
	{ EPROTONOSUPPORT,	"Protocol not supported" },
	{ EPROTOTYPE,		"Protocol wrong type for socket" },
	{ ETIMEDOUT,		"Connection timed out" },
	{ EWOULDBLOCK,		"Resource temporarily unavailable" },
};

const char *
mio_strerror(int err)
{
	const char *text;
	size_t i;

	if (err == 0)
		return "Success";
	if (err == INT_MIN)
		return "Unknown error";
	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
		if (error_texts[i].err == err)
			return error_texts[i].text;
	if (err >= 100)
		return "Unknown error";
	text = strerror(err);
	return text != NULL ? text : "Unknown error";
}
