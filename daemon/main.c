/*
 * mioproxy: the command line of CONFIG.md.  It loads and checks the
 * configuration, then either says so (-t) or serves it (loop.c) until
 * stopped; -V reports the versions of mioproxy and libmio.  `ctl`
 * (ctl.c) talks to a running daemon's admin socket instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mio.h>

#include "conf/conf.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "names.h"
#include "supervisor.h"

#ifndef MIOPROXY_CONF_DEFAULT
#define MIOPROXY_CONF_DEFAULT	"/etc/mioproxy/mioproxy.yaml"
#endif

/* Exit statuses of CONFIG.md. */
#define EXIT_INVALID	1	/* invalid configuration or usage */
#define EXIT_NOSTART	2	/* could not start */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mioproxy [-c FILE] [-t] [-l LEVEL] [-V] [-h]\n"
	    "       mioproxy [-c FILE | -S SOCKET] ctl COMMAND...\n"
	    "  -c FILE   configuration (default: %s)\n"
	    "  -t        check the configuration and exit\n"
	    "  -l LEVEL  log level override: error, warn, info, debug\n"
	    "  -V        print the version and exit\n"
	    "  -h        print this help and exit\n"
	    "  -S SOCKET the admin socket (default: admin.socket of the "
	    "configuration)\n"
	    "  ctl       send COMMAND to a running mioproxy's admin socket "
	    "(try: ctl help)\n",
	    MIOPROXY_CONF_DEFAULT);
}

/* What the command line asks for. */
struct main_opts {
	const char	*path;
	const char	*level_word;
	const char	*socket;	/* -S */
	int		 ctl;		/* argv index of ctl's command; 0: none */
	int		 level;		/* -1: the file's */
	bool		 check;
	bool		 help;
	bool		 version;
};

/* Reads the command line into o: 0, or EXIT_INVALID after saying why. */
static int
main_options(int argc, char *argv[], struct main_opts *o)
{
	int ch;

	opterr = 0;	/* our own messages, then the usage */
	/* "+": stop at the first word, so that ctl's words stay its own. */
	while ((ch = getopt(argc, argv, "+:c:tl:VhS:")) != -1) {
		switch (ch) {
		case 'c':
			o->path = optarg;
			break;
		case 't':
			o->check = true;
			break;
		case 'l':
			o->level_word = optarg;
			break;
		case 'V':
			o->version = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'S':
			o->socket = optarg;
			break;
		case ':':
			fprintf(stderr, "mioproxy: option -%c needs a value\n",
			    optopt);
			return EXIT_INVALID;
		default:
			fprintf(stderr, "mioproxy: unknown option -%c\n",
			    optopt);
			return EXIT_INVALID;
		}
	}
	if (optind < argc && strcmp(argv[optind], "ctl") == 0) {
		o->ctl = optind + 1;
		return 0;
	}
	if (optind < argc) {
		fprintf(stderr, "mioproxy: unexpected argument \"%s\"\n",
		    argv[optind]);
		return EXIT_INVALID;
	}
	return 0;
}

/* The -l override: 0, or EXIT_INVALID after saying why. */
static int
main_level(struct main_opts *o)
{
	if (o->level_word != NULL &&
	    (o->level = log_level_parse(o->level_word)) < 0) {
		fprintf(stderr, "mioproxy: unknown log level \"%s\" (error, "
		    "warn, info, debug)\n", o->level_word);
		return EXIT_INVALID;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct main_opts o = { .path = MIOPROXY_CONF_DEFAULT, .level = -1 };
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;

	if (main_options(argc, argv, &o) != 0) {
		usage(stderr);
		return EXIT_INVALID;
	}
	if (o.help) {
		usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("mioproxy %s (libmio %s)\n", PACKAGE_VERSION,
		    mio_version());
		return 0;
	}
	if (o.ctl > 0)
		return ctl_main(o.path, o.socket, argc - o.ctl, argv + o.ctl);
	if (main_level(&o) != 0) {
		usage(stderr);
		return EXIT_INVALID;
	}
	/* Host names asked of the file's resolver, blocking: no loop yet. */
	if (names_load_blocking(o.path, &conf, &errs) != 0) {
		conf_errors_print(&errs, stderr);
		conf_errors_free(&errs);
		return EXIT_INVALID;
	}
	conf_errors_free(&errs);
	if (o.level >= 0)
		conf->logging.level = o.level;
	if (o.check) {
		printf("configuration ok\n");
		conf_free(conf);
		return 0;
	}
	/* One worker: the single process it always was, no supervisor. */
	if (supervisor_workers(conf) > 1)
		return supervisor_run(conf, o.path, o.level);
	return loop_run(conf, o.path, o.level);
}
