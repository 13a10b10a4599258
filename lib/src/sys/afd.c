/*
 * The AFD driver's three calls (afd.h): open a helper handle, start a
 * poll, cancel one.  ntdll's NtCreateFile/NtDeviceIoControlFile/
 * NtCancelIoFileEx are documented but not in the SDK's import headers
 * for user mode, hence the declarations below.
 *
 * Traps:
 *  - the device name must be under \Device\Afd\ (any suffix): opening
 *    \Device\Afd itself gives an endpoint, not a helper;
 *  - FILE_SKIP_SET_EVENT_ON_HANDLE, or every completion also signals the
 *    handle for nothing; FILE_SKIP_COMPLETION_PORT_ON_SUCCESS must NOT
 *    be set: the backend relies on each poll completing through the
 *    port, even one that succeeds at once;
 *  - the IO_STATUS_BLOCK is the OVERLAPPED the port hands back (the
 *    ApcContext argument), so it must live until that completion, not
 *    until the call returns.
 */
#include "config.h"

#include <errno.h>

#include "sys/afd.h"

#ifndef STATUS_PENDING
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#endif
#ifndef STATUS_NOT_FOUND
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#endif

NTSTATUS NTAPI NtCancelIoFileEx(HANDLE file, IO_STATUS_BLOCK *iosb,
    IO_STATUS_BLOCK *status);

static int
afd_status_errno(NTSTATUS st)
{
	switch ((unsigned long)st) {
	case 0xC0000017UL:	/* STATUS_NO_MEMORY */
	case 0xC000009AUL:	/* STATUS_INSUFFICIENT_RESOURCES */
		return -ENOMEM;
	case 0xC0000008UL:	/* STATUS_INVALID_HANDLE */
		return -EBADF;
	case 0xC0000034UL:	/* STATUS_OBJECT_NAME_NOT_FOUND */
	case 0xC000003AUL:	/* STATUS_OBJECT_PATH_NOT_FOUND */
		return -ENOTSUP;
	default:
		return -EIO;
	}
}

int
mio__afd_open(HANDLE port, ULONG_PTR key, HANDLE *out)
{
	static const WCHAR name[] = L"\\Device\\Afd\\Mio";
	UNICODE_STRING uname = {
		sizeof(name) - sizeof(WCHAR), sizeof(name), (PWSTR)name
	};
	OBJECT_ATTRIBUTES attrs;
	IO_STATUS_BLOCK iosb;
	HANDLE h;
	NTSTATUS st;

	InitializeObjectAttributes(&attrs, &uname, 0, NULL, NULL);
	st = NtCreateFile(&h, SYNCHRONIZE, &attrs, &iosb, NULL, 0,
	    FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, NULL, 0);
	if (st < 0)
		return afd_status_errno(st);
	if (CreateIoCompletionPort(h, port, key, 0) == NULL ||
	    !SetFileCompletionNotificationModes(h,
	    FILE_SKIP_SET_EVENT_ON_HANDLE)) {
		CloseHandle(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

int
mio__afd_poll(HANDLE afd, struct mio__afd_poll_info *info,
    IO_STATUS_BLOCK *iosb)
{
	NTSTATUS st;

	iosb->Status = STATUS_PENDING;
	st = NtDeviceIoControlFile(afd, NULL, NULL, iosb, iosb,
	    MIO__IOCTL_AFD_POLL, info, sizeof(*info), info, sizeof(*info));
	if (st == STATUS_PENDING || st >= 0)
		return 0;
	return afd_status_errno(st);
}

int
mio__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb)
{
	IO_STATUS_BLOCK res;
	NTSTATUS st;

	if (iosb->Status != STATUS_PENDING)
		return 0;	/* completed already: its packet is queued */
	st = NtCancelIoFileEx(afd, iosb, &res);
	if (st >= 0 || st == STATUS_NOT_FOUND)
		return 0;
	return afd_status_errno(st);
}

/* One socket ioctl answering a SOCKET; INVALID_SOCKET if it fails. */
static SOCKET
afd_ioctl_socket(SOCKET s, DWORD code)
{
	SOCKET out;
	DWORD n;

	if (WSAIoctl(s, code, NULL, 0, &out, sizeof(out), &n, NULL,
	    NULL) == SOCKET_ERROR || n != sizeof(out))
		return INVALID_SOCKET;
	return out;
}

/*
 * SIO_BASE_HANDLE (0x48000022) names the base provider's socket.  Some
 * layered providers (LSPs) fail it, or intercept it wrongly; the base
 * handle is then asked of them as select() and WSAPoll() would ask it:
 * SIO_BSP_HANDLE_SELECT (0x4800001C), then SIO_BSP_HANDLE_POLL
 * (0x4800001D), the first that answers.
 */
SOCKET
mio__afd_base_socket(SOCKET s)
{
	static const DWORD bsp[] = { 0x4800001Cu, 0x4800001Du };
	SOCKET base;
	size_t i;

	if ((base = afd_ioctl_socket(s, 0x48000022u)) != INVALID_SOCKET)
		return base;
	for (i = 0; i < sizeof(bsp) / sizeof(bsp[0]); i++)
		if ((base = afd_ioctl_socket(s, bsp[i])) != INVALID_SOCKET)
			return base;
	return INVALID_SOCKET;
}
