/*
 * The systemd notify protocol; every call is a no-op without
 * NOTIFY_SOCKET.
 */
#ifndef MIOPROXY_NOTIFY_H
#define MIOPROXY_NOTIFY_H

void	notify_init(void);
void	notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	notify_close(void);
/* A supervisor's worker: never notify (the supervisor speaks for all);
 * closes what was inherited. */
void	notify_disable(void);
/* Whether a notify socket is in use. */
int	notify_active(void);

#endif /* MIOPROXY_NOTIFY_H */
