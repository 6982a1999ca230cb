// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the queue, TIME_WAIT and counter selftests; see
 * tcpstate_net.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "names.h"
#include "ring_reader.h"
#include "tcpstate_net.h"

/* ---- time, processes, files ---- */

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

char *slurp(const char *path)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* seq_file: read until EOF, a page or so at a time. */
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static void sysctl_path(const char *name, char *path, size_t len)
{
	char *p;

	snprintf(path, len, "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
}

int sysctl_set(const char *name, const char *value)
{
	char path[256];

	sysctl_path(name, path, sizeof(path));
	return write_text(path, value);
}

long sysctl_get(const char *name)
{
	char path[256], *text;
	long v;

	sysctl_path(name, path, sizeof(path));
	text = slurp(path);
	if (!text)
		return -1;
	v = strtol(text, NULL, 10);
	free(text);
	return v;
}

/* ---- the module ---- */

const char *module_path(void)
{
	const char *p = getenv("TCPSTATE_KO");

	return p ? p : TS_MODULE_DEFAULT;
}

bool module_loaded(void)
{
	return access("/sys/module/tcpstate", F_OK) == 0;
}

int module_reload(const char *params)
{
	if (module_loaded() && sh("rmmod tcpstate"))
		return -1;
	return sh("insmod %s %s 2>/dev/null", module_path(), params);
}

bool traffic_only(void)
{
	const char *v = getenv("TCPSTATE_TRAFFIC_ONLY");

	return v && *v && strcmp(v, "0");
}

/* ---- network namespaces ---- */

unsigned int netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

int netns_fd(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netns_new(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return sh("ip link set lo up") ? -EIO : 0;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

bool netns_child_ehash_supported(void)
{
	return access("/proc/sys/net/ipv4/tcp_child_ehash_entries", F_OK) == 0;
}

int netns_new_ehash(unsigned int buckets)
{
	int parent, child, err;
	char text[16];

	if (!buckets)
		return netns_new();
	parent = netns_fd();
	if (parent < 0)
		return parent;
	snprintf(text, sizeof(text), "%u", buckets);
	err = sysctl_set("net.ipv4.tcp_child_ehash_entries", text);
	if (!err)
		err = netns_new();
	if (err) {
		close(parent);
		return err;
	}
	child = netns_fd();
	/* Back in the parent: later netns share its hash again. */
	err = child < 0 ? child : netns_enter(parent);
	if (!err)
		err = sysctl_set("net.ipv4.tcp_child_ehash_entries", "0");
	if (!err)
		err = netns_enter(child);
	close(parent);
	if (child >= 0)
		close(child);
	return err;
}

int sink_setup(void)
{
	static const char *const cmds[] = {
		"ip link add " SINK_DEV " type dummy",
		"ip link set " SINK_DEV " up",
		"ip addr add " SINK_ADDR4 "/24 dev " SINK_DEV,
		"ip -6 addr add " SINK_ADDR6 "/64 dev " SINK_DEV " nodad",
		"ip route add " SPOOF_PREFIX4 " dev " SINK_DEV,
		"ip -6 route add " SPOOF_PREFIX6 " dev " SINK_DEV,
	};
	static bool loaded;
	unsigned int i;
	int rc;

	if (!loaded) {
		/* Also makes dummy0 in the init netns: harmless. */
		sh("modprobe dummy 2>/dev/null");
		loaded = true;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		rc = sh("%s", cmds[i]);
		if (rc) {
			fprintf(stderr, "# sink device: '%s' failed: %d\n",
				cmds[i], rc);
			return rc;
		}
	}
	return 0;
}

/* ---- addresses ---- */

bool family_option(int opt, int *family)
{
	if (opt != '4' && opt != '6')
		return false;
	*family = opt == '4' ? AF_INET : AF_INET6;
	return true;
}

long ts_parse_num(const char *prog, const char *arg, long max,
		  const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 0 || v > max) {
		fprintf(stderr, "%s: bad %s: %s\n", prog, what, arg);
		exit(2);
	}
	return v;
}

int ts_addr_parse(int family, const char *text, struct ts_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	return inet_pton(family, text, &a->v6) == 1 ? 0 : -EINVAL;
}

void spoof_addr(int family, unsigned int i, struct ts_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		a->v4.s_addr = htonl((10U << 24) | (99U << 16) | (i & 0xffff));
	} else {
		inet_pton(AF_INET6, "fd99::", &a->v6);
		a->v6.s6_addr[14] = i >> 8;
		a->v6.s6_addr[15] = i & 0xff;
	}
}

void ts_addr_loopback(int family, struct ts_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		a->v4.s_addr = htonl(INADDR_LOOPBACK);
	else
		a->v6 = in6addr_loopback;
}

socklen_t ts_sockaddr(const struct ts_addr *a, unsigned short port,
		      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a->v6;
	return sizeof(*sin6);
}

void ts_addr_v4mapped(const struct ts_addr *v4, struct ts_addr *v6)
{
	memset(v6, 0, sizeof(*v6));
	v6->family = AF_INET6;
	v6->v6.s6_addr[10] = 0xff;
	v6->v6.s6_addr[11] = 0xff;
	memcpy(&v6->v6.s6_addr[12], &v4->v4, 4);
}

bool ts_addr_eq_raw(const struct ts_addr *a, const unsigned char raw[16])
{
	unsigned char want[16] = { 0 };

	if (a->family == AF_INET)
		memcpy(want, &a->v4, 4);
	else
		memcpy(want, &a->v6, 16);
	return !memcmp(want, raw, 16);
}

/* ---- raw SYN sender ---- */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 1) {
		sum += (p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

int raw_syn_socket(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	return fd < 0 ? -errno : fd;
}

int raw_syn_send_fd(int fd, const struct ts_addr *src, unsigned short sport,
		    const struct ts_addr *dst, unsigned short dport,
		    uint32_t seq)
{
	unsigned char pkt[sizeof(struct ip6_hdr) + sizeof(struct tcphdr) + 4];
	const size_t tcplen = sizeof(struct tcphdr) + 4;
	struct sockaddr_storage ss;
	struct tcphdr *th;
	unsigned char *opt;
	uint32_t sum = 0;
	size_t iplen;
	socklen_t sl;
	ssize_t n;

	if (src->family != dst->family)
		return -EINVAL;
	memset(pkt, 0, sizeof(pkt));
	iplen = src->family == AF_INET ? sizeof(struct iphdr) :
					 sizeof(struct ip6_hdr);
	th = (struct tcphdr *)(pkt + iplen);
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->doff = tcplen / 4;
	th->syn = 1;
	th->window = htons(64240);
	opt = (unsigned char *)(th + 1);
	opt[0] = TCPOPT_MAXSEG;
	opt[1] = TCPOLEN_MAXSEG;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;

	if (src->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)pkt;
		uint16_t len = htons(tcplen);

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->tot_len = htons(iplen + tcplen);
		ip->saddr = src->v4.s_addr;
		ip->daddr = dst->v4.s_addr;
		/*
		 * The kernel fills in the IP checksum (and id) for
		 * IP_HDRINCL; compute it anyway so the header is complete.
		 */
		ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
		sum = csum_add(sum, &ip->saddr, 4);
		sum = csum_add(sum, &ip->daddr, 4);
		sum += IPPROTO_TCP;
		sum = csum_add(sum, &len, 2);
	} else {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;
		uint32_t len = htonl(tcplen);

		ip6->ip6_flow = htonl(6U << 28);
		ip6->ip6_plen = htons(tcplen);
		ip6->ip6_nxt = IPPROTO_TCP;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = src->v6;
		ip6->ip6_dst = dst->v6;
		sum = csum_add(sum, &ip6->ip6_src, 16);
		sum = csum_add(sum, &ip6->ip6_dst, 16);
		sum = csum_add(sum, &len, 4);
		sum += IPPROTO_TCP;
	}
	sum = csum_add(sum, th, tcplen);
	th->check = csum_fold(sum);

	sl = ts_sockaddr(dst, 0, &ss);
	n = sendto(fd, pkt, iplen + tcplen, 0, (struct sockaddr *)&ss, sl);
	if (n < 0)
		n = -errno;
	return n == (ssize_t)(iplen + tcplen) ? 0 : (n < 0 ? n : -EIO);
}

int raw_syn_send(const struct ts_addr *src, unsigned short sport,
		 const struct ts_addr *dst, unsigned short dport,
		 uint32_t seq)
{
	int fd = raw_syn_socket(src->family), err;

	if (fd < 0)
		return fd;
	err = raw_syn_send_fd(fd, src, sport, dst, dport, seq);
	close(fd);
	return err;
}

/* ---- sockets ---- */

int tcp_listen(int family, const struct ts_addr *addr, unsigned short port,
	       int backlog)
{
	struct sockaddr_storage ss;
	struct ts_addr lo;
	int fd, one = 1;
	socklen_t len;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!addr) {
		ts_addr_loopback(family, &lo);
		addr = &lo;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	len = ts_sockaddr(addr, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int tcp_listen_dual(unsigned short port, int backlog)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6, .sin6_port = htons(port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, one = 1, zero = 0;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    listen(fd, backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

unsigned short sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET ?
		     ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_connect_flags(const struct ts_addr *dst, unsigned short cport,
			     unsigned short port, int flags)
{
	struct sockaddr_storage ss;
	struct ts_addr lo;
	int fd, one = 1;
	socklen_t len;

	fd = socket(dst->family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return -errno;
	if (cport) {
		ts_addr_loopback(dst->family, &lo);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		len = ts_sockaddr(&lo, cport, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len))
			goto fail;
	}
	len = ts_sockaddr(dst, port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	one = -errno;
	close(fd);
	return one;
}

int tcp_connect(int family, unsigned short cport, unsigned short port)
{
	struct ts_addr lo;

	ts_addr_loopback(family, &lo);
	return tcp_connect_flags(&lo, cport, port, 0);
}

int tcp_connect_nb(int family, unsigned short port)
{
	struct ts_addr lo;

	ts_addr_loopback(family, &lo);
	return tcp_connect_flags(&lo, 0, port, SOCK_NONBLOCK);
}

int tcp_connect_from(const struct ts_addr *dst, unsigned short cport,
		     unsigned short port)
{
	return tcp_connect_flags(dst, cport, port, 0);
}

int tcp_connect_to(const struct ts_addr *dst, unsigned short port,
		   bool nonblock)
{
	return tcp_connect_flags(dst, 0, port, nonblock ? SOCK_NONBLOCK : 0);
}

void tcp_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int tcp_exchange(int cfd, int afd)
{
	char byte = 'x';

	if (write(cfd, &byte, 1) != 1 || read(afd, &byte, 1) != 1 ||
	    write(afd, &byte, 1) != 1 || read(cfd, &byte, 1) != 1)
		return -EIO;
	return 0;
}

/* Read EOF on @fd, then close it; -EIO if something else came. */
static int close_on_eof(int fd)
{
	char byte;
	int err = read(fd, &byte, 1) == 0 ? 0 : -EIO;

	close(fd);
	return err;
}

/* The ending @how of a connection whose two ends are @cfd and @afd. */
static int connection_end(int cfd, int afd, enum ts_close how, int *server_fd)
{
	struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
	int first, second, err;
	char byte;

	switch (how) {
	case CLOSE_CLIENT:
		close(cfd);
		return close_on_eof(afd);
	case CLOSE_SERVER:
		close(afd);
		return close_on_eof(cfd);
	case CLOSE_CLIENT_KEEP_SERVER:
		close(cfd);
		*server_fd = afd;
		return 0;
	case RESET_CLIENT:
		if (setsockopt(cfd, SOL_SOCKET, SO_LINGER, &abort_now,
			       sizeof(abort_now))) {
			err = -errno;
			close(cfd);
			close(afd);
			return err;
		}
		close(cfd);
		/* The RST makes the server's read fail: ECONNRESET. */
		err = read(afd, &byte, 1) < 0 && errno == ECONNRESET ? 0 : -EIO;
		close(afd);
		return err;
	case SHUTDOWN_CLIENT:
	case SHUTDOWN_SERVER:
		first = how == SHUTDOWN_CLIENT ? cfd : afd;
		second = first == cfd ? afd : cfd;
		if (shutdown(first, SHUT_WR)) {
			err = -errno;
			close(first);
			close(second);
			return err;
		}
		err = close_on_eof(second);
		if (err) {
			close(first);
			return err;
		}
		return close_on_eof(first);
	}
	close(cfd);
	close(afd);
	return -EINVAL;
}

int loopback_connection(int lfd, int family, unsigned short cport,
			enum ts_close how, unsigned short *cport_used,
			int *server_fd)
{
	int cfd, afd;

	cfd = tcp_connect(family, cport, sock_port(lfd));
	if (cfd < 0)
		return cfd;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0) {
		afd = -errno;
		close(cfd);
		return afd;
	}
	if (cport_used)
		*cport_used = sock_port(cfd);
	if (tcp_exchange(cfd, afd)) {
		close(cfd);
		close(afd);
		return -EIO;
	}
	return connection_end(cfd, afd, how, server_fd);
}

int client_closed_connections(int lfd, int family, int n,
			      unsigned short *cports, int *server_fds)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = loopback_connection(lfd, family, cports ? cports[i] : 0,
					  server_fds ? CLOSE_CLIENT_KEEP_SERVER :
						       CLOSE_CLIENT,
					  cports ? &cports[i] : NULL,
					  server_fds ? &server_fds[i] : NULL);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the kernel's figures ---- */

long long mib_get(const char *section, const char *field)
{
	static const char *const files[] = { "/proc/net/netstat",
					     "/proc/net/snmp" };
	size_t slen = strlen(section);
	long long value = -1;
	unsigned int f;

	for (f = 0; f < 2 && value < 0; f++) {
		char *text = slurp(files[f]), *line, *save = NULL;
		char *names = NULL;

		if (!text)
			continue;
		/* A line of names, then a line of values, each "Section: ..." */
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *ns, *vs, *nt, *vt;

			if (strncmp(line, section, slen) || line[slen] != ':')
				continue;
			if (!names) {
				names = line + slen + 1;
				continue;
			}
			nt = strtok_r(names, " ", &ns);
			vt = strtok_r(line + slen + 1, " ", &vs);
			while (nt && vt) {
				if (!strcmp(nt, field)) {
					value = strtoll(vt, NULL, 10);
					break;
				}
				nt = strtok_r(NULL, " ", &ns);
				vt = strtok_r(NULL, " ", &vs);
			}
			break;
		}
		free(text);
	}
	return value;
}

long long sockstat_tw(void)
{
	char *text = slurp("/proc/net/sockstat"), *p;
	long long tw = -1;

	if (!text)
		return -1;
	p = strstr(text, "\nTCP: ");
	if (p) {
		p = strstr(p, " tw ");
		if (p)
			tw = strtoll(p + 4, NULL, 10);
	}
	free(text);
	return tw;
}

int proc_tcp_scan(int family,
		  void (*fn)(const struct proc_tcp_row *row, void *arg),
		  void *arg)
{
	char *text = slurp(family == AF_INET ? "/proc/net/tcp" :
					       "/proc/net/tcp6");
	char *line, *save = NULL;
	bool header = true;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct proc_tcp_row row = { 0 };
		unsigned int txq;
		char laddr[40], raddr[40];
		int n;

		if (header) {
			header = false;
			continue;
		}
		/* ... st tx:rx tr:when retrnsmt uid timeout inode ref pointer */
		n = sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %x:%x %*s %*s %*s %*s %*s %*s %llx",
			   laddr, &row.lport, raddr, &row.rport, &row.st, &txq,
			   &row.rxq, &row.sk);
		if (n < 7)
			continue;
		fn(&row, arg);
	}
	free(text);
	return 0;
}

struct row_count {
	unsigned int st, lport;
	int n, rxq;
};

static void count_row(const struct proc_tcp_row *row, void *arg)
{
	struct row_count *rc = arg;

	if (row->st == rc->st && (!rc->lport || row->lport == rc->lport)) {
		rc->n++;
		rc->rxq = row->rxq;
	}
}

int proc_tcp_rows(int family, unsigned int st, unsigned short lport)
{
	struct row_count rc = { .st = st, .lport = lport };

	if (proc_tcp_scan(family, count_row, &rc))
		return -1;
	return rc.n;
}

int proc_tcp_rows_all(unsigned int st, unsigned short lport)
{
	int v4 = proc_tcp_rows(AF_INET, st, lport);
	int v6 = proc_tcp_rows(AF_INET6, st, lport);

	return v4 < 0 || v6 < 0 ? -1 : v4 + v6;
}

int proc_tcp_listen_rxq(int family, unsigned short lport)
{
	struct row_count rc = { .st = 0x0a, .lport = lport, .rxq = -1 };

	if (proc_tcp_scan(family, count_row, &rc) || rc.n != 1)
		return -1;
	return rc.rxq;
}

/* ---- the kernel's own record: tracefs ---- */

struct transition transition_of_event(const struct tcpstate_event *ev)
{
	return (struct transition){
		.family = ev->family, .sport = ev->sport, .dport = ev->dport,
		.oldstate = ev->oldstate, .newstate = ev->newstate,
	};
}

int transitions_mismatch(const struct transition *a, int na,
			 const struct transition *b, int nb)
{
	bool *used;
	int i, j;

	if (na != nb)
		return na < nb ? na : nb;
	used = calloc(nb ? nb : 1, sizeof(*used));
	if (!used)
		return 0;
	for (i = 0; i < na; i++) {
		/* The first unused row of @b with the same socket key. */
		for (j = 0; j < nb; j++)
			if (!used[j] && a[i].family == b[j].family &&
			    a[i].sport == b[j].sport && a[i].dport == b[j].dport)
				break;
		if (j == nb || !transition_same(&a[i], &b[j]))
			break;
		used[j] = true;
	}
	free(used);
	return i == na ? -1 : i;
}

bool tracefs_start(void)
{
	return access(SET_STATE_EVENT, W_OK) == 0 &&
	       !write_text(TRACEFS "/trace_clock", "global") &&
	       !write_text(TRACEFS "/trace", "") &&
	       !write_text(TRACEFS "/tracing_on", "1") &&
	       !write_text(SET_STATE_EVENT, "1");
}

static int state_from_name(const char *name)
{
	unsigned int s;

	for (s = 1; s <= 12; s++)
		if (!strcmp(name, tcpstate_state_name(s)))
			return s;
	return -1;
}

int tracefs_collect(struct transition *out, int max)
{
	char line[1024], old[32], new[32], fam[16];
	FILE *f;
	int n = 0;

	write_text(SET_STATE_EVENT, "0");
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		const char *p = strstr(line, "inet_sock_set_state: family=");
		struct transition *t = &out[n];

		if (!p || !strstr(p, "protocol=IPPROTO_TCP"))
			continue;
		if (sscanf(p, "inet_sock_set_state: family=%15s", fam) != 1 ||
		    sscanf(strstr(p, "sport="), "sport=%u dport=%u",
			   &t->sport, &t->dport) != 2 ||
		    sscanf(strstr(p, "oldstate="),
			   "oldstate=TCP_%31s newstate=TCP_%31s", old, new) != 2)
			continue;
		t->family = strcmp(fam, "AF_INET6") ? AF_INET : AF_INET6;
		t->oldstate = state_from_name(old);
		t->newstate = state_from_name(new);
		t->seq = n;
		n++;
	}
	fclose(f);
	return n;
}

/* ---- tcpstate's figures ---- */

int ts_watch_open(struct ts_watch *w, bool no_reader, char *err, size_t len)
{
	int status;

	w->module = !traffic_only();
	w->ring = false;
	if (w->module && !module_loaded()) {
		status = module_reload("");
		if (status) {
			snprintf(err, len, "insmod %s: exit status %d",
				 module_path(), status);
			return -1;
		}
	}
	if (!w->module || no_reader)
		return 0;
	if (tcpstate_reader_open(&w->reader, TCPSTATE_DEVICE, err, len))
		return -1;
	w->ring = true;
	return 0;
}

const char *ts_watch_limits(const struct ts_watch *w)
{
	if (!w->module)
		return "TCPSTATE_TRAFFIC_ONLY: checking the kernel's figures only";
	if (!w->ring)
		return "no reader holds the ring: checking the counters only";
	return NULL;
}

void ts_watch_close(struct ts_watch *w)
{
	if (w->ring)
		tcpstate_reader_close(&w->reader);
	w->ring = false;
}

/*
 * The reader's names (userspace/names.c): parsing the module's
 * /proc/net/tcpstate with them checks that the two tables agree.
 */
const char *counter_name(unsigned int idx)
{
	const char *name = tcpstate_counter_name(idx);

	return name ? name : "?";
}

int counters_proc(struct ts_counters *c)
{
	char *text = slurp("/proc/net/tcpstate"), *line, *save = NULL;
	bool seen[TCPSTATE_NR_COUNTERS] = { false };
	int err = 0;
	unsigned int i;

	if (!text)
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long long v;

		if (sscanf(line, "%63s %llu", name, &v) != 2) {
			err = -EPROTO;
			continue;
		}
		for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
			if (!strcmp(name, counter_name(i)))
				break;
		if (i == TCPSTATE_NR_COUNTERS || seen[i]) {
			err = -EPROTO;
			continue;
		}
		seen[i] = true;
		c->v[i] = v;
	}
	free(text);
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		if (!seen[i])
			err = -EPROTO;
	return err;
}

int counters_ioctl(struct ts_counters *c, struct tcpstate_counters *raw)
{
	struct tcpstate_counters tc;
	int fd = open(TCPSTATE_DEVICE, O_RDWR | O_CLOEXEC), err = 0;
	unsigned int i;

	if (fd < 0)
		return -errno;
	memset(&tc, 0xa5, sizeof(tc));
	if (ioctl(fd, TCPSTATE_IOC_GET_COUNTERS, &tc))
		err = -errno;
	close(fd);
	if (err)
		return err;
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		c->v[i] = tc.value[i];
	if (raw)
		*raw = tc;
	return 0;
}

unsigned long long counter_get(unsigned int idx)
{
	struct ts_counters c;

	if (counters_proc(&c))
		return -1ULL;
	return c.v[idx];
}

/* ---- before and after ---- */

const struct ts_mib_field ts_mibs[NR_MIBS] = {
	[M_OVERFLOWS] = { "TcpExt", "ListenOverflows" },
	[M_DROPS] = { "TcpExt", "ListenDrops" },
	[M_QFULL] = { "TcpExt", "TCPReqQFullDrop" },
	[M_COOKIES] = { "TcpExt", "SyncookiesSent" },
	[M_SYNRETRANS] = { "TcpExt", "TCPSynRetrans" },
	[M_DOCOOKIES] = { "TcpExt", "TCPReqQFullDoCookies" },
	[M_TW] = { "TcpExt", "TW" },
	[M_TWKILLED] = { "TcpExt", "TWKilled" },
	[M_RECYCLED] = { "TcpExt", "TWRecycled" },
	[M_PASSIVE] = { "Tcp", "PassiveOpens" },
	[M_INSEGS] = { "Tcp", "InSegs" },
};

const unsigned int ts_mirrors[NR_MIRRORS] = {
	[M_OVERFLOWS] = TCPSTATE_C_ACCEPT_OVERFLOWS,
	[M_DROPS] = TCPSTATE_C_LISTEN_DROPS,
	[M_QFULL] = TCPSTATE_C_SYN_QUEUE_FULL_DROPS,
	[M_COOKIES] = TCPSTATE_C_SYNCOOKIES_SENT,
};

const char *snapshot_read(struct ts_snapshot *s, bool counters)
{
	unsigned int i;

	for (i = 0; i < NR_MIBS; i++) {
		s->mib[i] = mib_get(ts_mibs[i].section, ts_mibs[i].field);
		if (s->mib[i] < 0)
			return ts_mibs[i].field;
	}
	s->sockstat_tw = sockstat_tw();
	if (s->sockstat_tw < 0)
		return "tw of /proc/net/sockstat";
	if (counters && counters_proc(&s->c))
		return "/proc/net/tcpstate (missing or malformed)";
	return NULL;
}

/* ---- the ring ---- */

int ev_log_init(struct ev_log *log, int cap, unsigned int netns)
{
	memset(log, 0, sizeof(*log));
	log->ev = calloc(cap, sizeof(*log->ev));
	if (!log->ev)
		return -ENOMEM;
	log->cap = cap;
	log->netns = netns;
	return 0;
}

void ev_log_free(struct ev_log *log)
{
	free(log->ev);
	log->ev = NULL;
	log->n = log->cap = 0;
}

static int ev_log_add(const struct tcpstate_event *ev, void *arg)
{
	struct ev_log *log = arg;

	if (log->netns && ev->netns != log->netns)
		return 0;
	if (log->n < log->cap)
		log->ev[log->n++] = *ev;
	return 0;
}

long ev_log_drain(struct tcpstate_reader *r, struct ev_log *log)
{
	long n = tcpstate_ring_drain(&r->ring, ev_log_add, log);

	tcpstate_ring_stats(&r->ring, NULL, &log->dropped);
	return n;
}

bool ev_log_wait(struct tcpstate_reader *r, struct ev_log *log,
		 bool (*pred)(const struct ev_log *, void *), void *arg,
		 int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		if (ev_log_drain(r, log) < 0)
			return false;
		if (pred(log, arg))
			return true;
		if (now_ms() > deadline)
			return false;
		tcpstate_reader_wait(r, 50);
	}
}

int ev_count(const struct ev_log *log, unsigned int type, int reason)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		if ((!type || log->ev[i].type == type) &&
		    (reason < 0 || log->ev[i].reason == reason))
			n++;
	return n;
}

struct ev_want {
	unsigned int type;
	int reason, n;
};

static bool have_events(const struct ev_log *log, void *arg)
{
	const struct ev_want *w = arg;

	return ev_count(log, w->type, w->reason) >= w->n;
}

bool ev_log_wait_for(struct tcpstate_reader *r, struct ev_log *log,
		     unsigned int type, int reason, int n, int timeout_ms)
{
	struct ev_want want = { .type = type, .reason = reason, .n = n };

	return ev_log_wait(r, log, have_events, &want, timeout_ms);
}

const char *ev_type_name(unsigned int type)
{
	const char *name = tcpstate_event_type_name(type);

	return name ? name : "UNKNOWN";
}

const char *ev_str(const struct tcpstate_event *ev, char *buf, size_t len)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

	inet_ntop(ev->family == AF_INET6 ? AF_INET6 : AF_INET, ev->saddr, sa,
		  sizeof(sa));
	inet_ntop(ev->family == AF_INET6 ? AF_INET6 : AF_INET, ev->daddr, da,
		  sizeof(da));
	snprintf(buf, len,
		 "%s fam %u id %016llx peer %016llx %s:%u -> %s:%u %s -> %s reason %u count %u qlen %u qmax %u",
		 ev_type_name(ev->type), ev->family,
		 (unsigned long long)ev->sock_id,
		 (unsigned long long)ev->peer_id, sa, ev->sport, da, ev->dport,
		 tcpstate_state_name(ev->oldstate),
		 tcpstate_state_name(ev->newstate), ev->reason, ev->count,
		 ev->qlen, ev->qmax);
	return buf;
}

int ts_cmd_int(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/* ---- ABI 2: owner, task, cause and sequence numbers of an event ---- */

const char *rst_reason_name(unsigned int reason)
{
	static const char *const names[TCPSTATE_NR_RST_REASONS] =
		TCPSTATE_RST_NAMES;

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] :
							      "?";
}

const char *ev_str_full(const struct tcpstate_event *ev, char *buf,
			size_t len)
{
	char base[256];

	snprintf(buf, len,
		 "%s valid %#x err %u cgroup %llu uid %u tgid %u pid %u comm '%.*s' seq %u ack %u iss %u irs %u",
		 ev_str(ev, base, sizeof(base)), ev->valid, ev->err,
		 (unsigned long long)ev->cgroup_id, ev->uid, ev->tgid, ev->pid,
		 TCPSTATE_COMM_LEN, ev->comm, ev->seq, ev->ack, ev->iss,
		 ev->irs);
	return buf;
}

static bool ev_matches(const struct tcpstate_event *ev,
		       const struct ev_match *m)
{
	return (!m->type || ev->type == m->type) &&
	       (!m->sock_id || ev->sock_id == m->sock_id) &&
	       (!m->peer_id || ev->peer_id == m->peer_id) &&
	       (!m->oldstate || ev->oldstate == m->oldstate) &&
	       (!m->newstate || ev->newstate == m->newstate) &&
	       (!m->sport || ev->sport == m->sport) &&
	       (!m->dport || ev->dport == m->dport);
}

const struct tcpstate_event *ev_find(const struct ev_log *log,
				     const struct ev_match *m)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (ev_matches(&log->ev[i], m))
			return &log->ev[i];
	return NULL;
}

static bool have_match(const struct ev_log *log, void *arg)
{
	return ev_find(log, arg) != NULL;
}

const struct tcpstate_event *ev_log_wait_match(struct tcpstate_reader *r,
					       struct ev_log *log,
					       const struct ev_match *m,
					       int timeout_ms)
{
	ev_log_wait(r, log, have_match, (void *)m, timeout_ms);
	return ev_find(log, m);
}

bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* ---- cgroup v2 ---- */

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

int cgroup2_ensure(void)
{
	struct statfs sfs;

	if (!statfs(CGROUP2_ROOT, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	if (mount("cgroup2", CGROUP2_ROOT, "cgroup2", 0, NULL))
		return -errno;
	return 0;
}

int cgroup_make(const char *name, char *path, size_t len, __u64 *id)
{
	struct stat st;

	snprintf(path, len, "%s/%s", CGROUP2_ROOT, name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int cgroup_join(const char *path)
{
	char procs[512];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	/* "0": the writing process itself. */
	return write_text(procs, "0");
}

__u64 cgroup_self_id(void)
{
	char *text = slurp("/proc/self/cgroup"), *line, path[4096];
	struct stat st;
	__u64 id = 0;

	if (!text)
		return 0;
	/* The v2 line is "0::/path". */
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, sizeof(path), "%s%.*s", CGROUP2_ROOT,
				 (int)strcspn(line + 3, "\n"), line + 3);
			if (!stat(path, &st))
				id = st.st_ino;
			break;
		}
	}
	free(text);
	return id;
}
