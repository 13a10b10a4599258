/*
 * mio_version(), from the header's numbers so that the library and the
 * header agree; the same text on POSIX and on Windows.
 */
#include "config.h"

#include "mio.h"

#define VERSION_STR(x)	#x
#define VERSION_XSTR(x)	VERSION_STR(x)

const char *
mio_version(void)
{
	return VERSION_XSTR(MIO_VERSION_MAJOR) "."
	    VERSION_XSTR(MIO_VERSION_MINOR) "." VERSION_XSTR(MIO_VERSION_PATCH);
}
