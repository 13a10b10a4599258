/*
 * The Ancillary Function Driver (\Device\Afd) interface that the IOCP
 * backend polls sockets through: the wepoll strategy, as mio's
 * src/sys/windows/afd.rs does it.  None of it is in the Windows SDK's
 * public headers; the layouts below are the driver's, unchanged since
 * Windows Vista, and wine implements them (wine 8: ntdll/afd).
 *
 * One AFD handle serves many sockets: each IOCTL_AFD_POLL names the
 * socket's *base* handle (SIO_BASE_HANDLE, which strips layered service
 * providers) and completes once, through the completion port the AFD
 * handle is associated with, when any of the asked events holds.
 */
#ifndef MIO_SYS_AFD_H
#define MIO_SYS_AFD_H

#include <winsock2.h>
#include <windows.h>
#include <winternl.h>

#define MIO__AFD_POLL_RECEIVE		0x0001u
#define MIO__AFD_POLL_RECEIVE_EXPEDITED	0x0002u
#define MIO__AFD_POLL_SEND		0x0004u
#define MIO__AFD_POLL_DISCONNECT	0x0008u
#define MIO__AFD_POLL_ABORT		0x0010u
#define MIO__AFD_POLL_LOCAL_CLOSE	0x0020u
#define MIO__AFD_POLL_ACCEPT		0x0080u
#define MIO__AFD_POLL_CONNECT_FAIL	0x0100u

/* IOCTL_AFD_POLL: FSCTL code 9 of FILE_DEVICE_NETWORK (0x12), buffered. */
#define MIO__IOCTL_AFD_POLL		0x00012024u

struct mio__afd_poll_handle {
	HANDLE		 handle;
	ULONG		 events;
	NTSTATUS	 status;
};

/* The poll request and its answer: one socket per request here. */
struct mio__afd_poll_info {
	LARGE_INTEGER			timeout;
	ULONG				number_of_handles;
	ULONG				exclusive;
	struct mio__afd_poll_handle	handles[1];
};

/*
 * Opens an AFD helper handle associated with port under completion key
 * `key`; 0 or -errno.
 */
int mio__afd_open(HANDLE port, ULONG_PTR key, HANDLE *out);
/*
 * Starts a poll of info->handles[0] on afd; its completion arrives on
 * the port with lpOverlapped == (OVERLAPPED *)iosb.  iosb and info must
 * stay put until then.  0 (pending, or already completed: the port gets
 * the completion either way) or -errno.
 */
int mio__afd_poll(HANDLE afd, struct mio__afd_poll_info *info,
    IO_STATUS_BLOCK *iosb);
/* Asks for iosb's poll to end early (STATUS_CANCELLED); 0 or -errno. */
int mio__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb);
/* The socket under any layered providers; INVALID_SOCKET on failure. */
SOCKET mio__afd_base_socket(SOCKET s);

#endif /* MIO_SYS_AFD_H */
