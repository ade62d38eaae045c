// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod: the sekisho SSL-VPN gateway daemon.
 *
 *   sekishod [-c FILE] [-f] [-t | -T]
 *     -c FILE  bootstrap configuration (default /etc/sekisho/sekishod.conf)
 *     -f       stay in the foreground, log to stderr as well
 *     -t       check what the start needs (check.c) and exit
 *     -T       check the syntax of the configuration file only and exit
 *   sekishod -V | --version   print the release and exit
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: sekishod [-c FILE] [-f] [-t | -T]\n"
		   "       sekishod -V | --version\n"
		   "  -c FILE  bootstrap configuration (default %s)\n"
		   "  -f       foreground (log to stderr too)\n"
		   "  -t       check what the start needs (configuration, user and group,\n"
		   "           files, key and certificate, store) and exit: 0 no errors\n"
		   "  -T       check the syntax of the configuration only and exit\n"
		   "  -V       print the release and exit\n", SKD_CONF_DEFAULT);
}

int main(int argc, char **argv)
{
	const char *path = SKD_CONF_DEFAULT;
	bool fg = false;
	int test = 0;	/* 't' everything, 'T' the syntax */
	struct skd *d;
	char err[1024];	/* the store's messages are in two languages */
	int c, ret;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("sekishod %s\n", SK_VERSION);
		return 0;
	}
	while ((c = getopt(argc, argv, "c:ftThV")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 't':
		case 'T':
			test = c;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sekishod %s\n", SK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d = malloc(sizeof(*d));
	if (!d || skd_init(d)) {
		fprintf(stderr, "sekishod: out of memory\n");
		return 1;
	}
	if (skd_conf_load(&d->conf, path, err, sizeof(err))) {
		fprintf(stderr, "sekishod: %s\n", err);
		skd_shutdown(d);
		free(d);
		return 2;
	}
	d->conf_path = path;
	if (fg)
		d->conf.foreground = true;
	if (test == 'T') {
		printf("sekishod: %s: configuration syntax ok\n", path);
		skd_shutdown(d);
		free(d);
		return 0;
	}
	if (test) {
		ret = skd_check(&d->conf, path, stdout);
		skd_shutdown(d);
		free(d);
		return ret;
	}
	if (skd_startup(d, err, sizeof(err))) {
		fprintf(stderr, "sekishod: %s\n", err);
		skd_shutdown(d);
		free(d);
		return 1;
	}
	skd_log("ready: %d TCP listener(s), DTLS port %u, device %s", d->n_tcp,
		d->conf.dtls_port, d->conf.device);
	ret = skd_loop(d);
	if (ret)
		fprintf(stderr, "sekishod: event loop: %s\n", strerror(-ret));
	skd_shutdown(d);
	free(d);
	return ret ? 1 : 0;
}
