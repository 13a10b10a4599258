/*
 * Library information: the version and error texts.
 */
#include "config.h"

#include <string.h>

#include "mio.h"

const char *
mio_version(void)
{
	return MIO_VERSION_STRING;
}

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
	if (err < 0)
		err = -err;
#ifdef HAVE_STRERRORDESC_NP
	text = strerrordesc_np(err);
#else
	text = strerror(err);
#endif
	return text != NULL ? text : "Unknown error";
}
