// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_synsend: send SYNs from spoofed sources through a raw socket,
 * so that a listener gets half-open connections whose SYN-ACKs go nowhere.
 *
 *   tcpstate_synsend -4|-6 [-d DST] -p PORT [-n COUNT] [-i FIRST] [-s SPORT]
 *
 * SYN number k (0 <= k < COUNT) comes from the spoofed source FIRST + k
 * (10.99.x.y or fd99::x, see spoof_addr()) and source port SPORT + k, to
 * DST (default the sink address, 10.77.0.1 or fd77::1) port PORT. Route
 * the spoofed prefix into a device that drops packets (`--sink` sets up
 * the dummy device of tcpstate_net.h in the current netns first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpstate_net.h"

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
		"usage: tcpstate_synsend -4|-6 [-d DST] -p PORT [-n COUNT] [-i FIRST] [-s SPORT] [--sink]\n");
	return opt == 'h' ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sink", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int first = 1, count = 1, sport = 40000, port = 0, k;
	const char *dst_text = NULL;
	int family = AF_INET, c, err;
	struct ts_addr dst, src;
	bool sink = false;

	while ((c = getopt_long(argc, argv, "46d:p:n:i:s:h", opts, NULL)) != -1) {
		if (family_option(c, &family))
			continue;
		switch (c) {
		case 'd':
			dst_text = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			first = strtoul(optarg, NULL, 0);
			break;
		case 's':
			sport = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			sink = true;
			break;
		default:
			return usage(c);
		}
	}
	if (!port || port > 65535 || sport + count > 65536 || !first)
		return usage('?');
	if (!dst_text)
		dst_text = family == AF_INET ? SINK_ADDR4 : SINK_ADDR6;
	if (ts_addr_parse(family, dst_text, &dst)) {
		fprintf(stderr, "tcpstate_synsend: bad address %s\n", dst_text);
		return 2;
	}
	if (sink && sink_setup()) {
		fprintf(stderr, "tcpstate_synsend: cannot set up the sink device\n");
		return 1;
	}
	for (k = 0; k < count; k++) {
		spoof_addr(family, first + k, &src);
		err = raw_syn_send(&src, sport + k, &dst, port,
				   0x10000000U * (k % 16) + k);
		if (err) {
			fprintf(stderr, "tcpstate_synsend: send: %s\n",
				strerror(-err));
			return 1;
		}
	}
	return 0;
}
