/*
 * `mioproxy ctl COMMAND...` (CONFIG.md, "Command line"): the admin
 * socket's client.
 */
#ifndef MIOPROXY_CTL_H
#define MIOPROXY_CTL_H

/*
 * Sends the words argv[0..argc) as one command line to the admin socket
 * `sock`, or to the admin.socket of the configuration at conf_path when
 * sock is NULL, and prints the reply on stdout.  Returns the exit
 * status: 0 the command succeeded, 1 it was refused (or the command
 * line is wrong), 2 no daemon answered.
 */
int	ctl_main(const char *conf_path, const char *sock, int argc,
	    char *argv[]);

#endif /* MIOPROXY_CTL_H */
