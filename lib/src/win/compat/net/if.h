/* Windows build only: if_nametoindex() and IF_NAMESIZE are iphlpapi's. */
#include <sys/socket.h>
#include <iphlpapi.h>
#include <netioapi.h>
