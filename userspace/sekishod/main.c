// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod: the sekisho SSL-VPN gateway daemon.
 *
 *   sekishod [-c FILE] [-f] [-t]
 *     -c FILE  bootstrap configuration (default /etc/sekisho/sekishod.conf)
 *     -f       stay in the foreground, log to stderr as well
 *     -t       check the configuration file and exit
 *   sekishod -V | --version   print the release and exit
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: sekishod [-c FILE] [-f] [-t]\n"
		   "       sekishod -V | --version\n"
		   "  -c FILE  bootstrap configuration (default %s)\n"
		   "  -f       foreground (log to stderr too)\n"
		   "  -t       check the configuration and exit\n"
		   "  -V       print the release and exit\n", SKD_CONF_DEFAULT);
}

int main(int argc, char **argv)
{
	const char *path = SKD_CONF_DEFAULT;
	bool fg = false, test = false;
	struct skd *d;
	char err[512];
	int c, ret;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("sekishod %s\n", SK_VERSION);
		return 0;
	}
	while ((c = getopt(argc, argv, "c:fthV")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 't':
			test = true;
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
	if (test) {
		printf("sekishod: %s: configuration ok\n", path);
		skd_shutdown(d);
		free(d);
		return 0;
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
