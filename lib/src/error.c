/*
 * The error texts (mio_version() is version.c's).
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "mio.h"

/*
 * strerror() may write a shared buffer for unknown values; glibc's
 * strerrordesc_np() returns constant text and is safe from any thread.
 */
const char *
mio_strerror(int err)
{
	const char *text;

	if (err == 0)
		return "Success";
	if (err == INT_MIN)
		return "Unknown error";
	if (err < 0)
		err = -err;
#ifdef HAVE_STRERRORDESC_NP
	text = strerrordesc_np(err);
#else
	text = strerror(err);
#endif
	return text != NULL ? text : "Unknown error";
}
