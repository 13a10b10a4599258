/* Windows build only: Winsock declares it (compat/sys/socket.h). */
#include <sys/socket.h>
