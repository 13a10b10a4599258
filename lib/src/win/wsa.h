/*
 * Winsock helpers of the Windows socket layer (win/wsa.c).
 */
#ifndef MIO_WIN_WSA_H
#define MIO_WIN_WSA_H

#include <sys/socket.h>		/* compat/: Winsock and the wrappers */

#include "mio.h"

/* WSAStartup once per process; 0 or -errno. */
int mio__wsa_init(void);
/* -errno of WSAGetLastError(). */
int mio__wsa_neg(void);
/* s as the int the constructors return, or -EMFILE (s closed). */
int mio__win_checked(SOCKET s);
/* A non-blocking, non-inheritable socket as an int, or -errno. */
int mio__win_socket(int domain, int type);

#endif /* MIO_WIN_WSA_H */
