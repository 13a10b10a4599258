/*
 * mioproxy: the command line of CONFIG.md.  It loads and checks the
 * configuration, then either says so (-t) or serves it (loop.c) until
 * stopped; -V reports the versions of mioproxy and libmio.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mio.h>

#include "conf/conf.h"
#include "log.h"
#include "proxy.h"

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
	    "  -c FILE   configuration (default: %s)\n"
	    "  -t        check the configuration and exit\n"
	    "  -l LEVEL  log level override: error, warn, info, debug\n"
	    "  -V        print the version and exit\n"
	    "  -h        print this help and exit\n",
	    MIOPROXY_CONF_DEFAULT);
}

int
main(int argc, char *argv[])
{
	const char *path = MIOPROXY_CONF_DEFAULT, *level_word = NULL;
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	bool check = false, help = false, version = false;
	int ch, level = -1, rc;

	opterr = 0;	/* our own messages, then the usage */
	while ((ch = getopt(argc, argv, ":c:tl:Vh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'l':
			level_word = optarg;
			break;
		case 'V':
			version = true;
			break;
		case 'h':
			help = true;
			break;
		case ':':
			fprintf(stderr, "mioproxy: option -%c needs a value\n",
			    optopt);
			usage(stderr);
			return EXIT_INVALID;
		default:
			fprintf(stderr, "mioproxy: unknown option -%c\n",
			    optopt);
			usage(stderr);
			return EXIT_INVALID;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mioproxy: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_INVALID;
	}
	if (help) {
		usage(stdout);
		return 0;
	}
	if (version) {
		printf("mioproxy %s (libmio %s)\n", PACKAGE_VERSION,
		    mio_version());
		return 0;
	}
	if (level_word != NULL &&
	    (level = log_level_parse(level_word)) < 0) {
		fprintf(stderr, "mioproxy: unknown log level \"%s\" (error, "
		    "warn, info, debug)\n", level_word);
		usage(stderr);
		return EXIT_INVALID;
	}

	rc = conf_load(path, &conf, &errs);
	if (rc != 0) {
		conf_errors_print(&errs, stderr);
		conf_errors_free(&errs);
		return EXIT_INVALID;
	}
	conf_errors_free(&errs);
	if (level >= 0)
		conf->logging.level = level;
	if (check) {
		printf("configuration ok\n");
		conf_free(conf);
		return 0;
	}
	return proxy_run(conf, path, level);
}
