// SPDX-License-Identifier: GPL-2.0
/*
 * --top's loop: drain the ring into the model (top.c), and at each
 * interval take a frame and print it, full screen on a terminal or, with
 * -b, as text on stdout.
 *
 * The screen is drawn with the few escape sequences every terminal
 * since the VT100 knows (home, erase to end of line and of screen), on
 * the alternate screen when the terminal has one, so that the shell's
 * screen comes back on exit; no curses library is needed. The keyboard
 * is read without line buffering: 'q' quits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "ring_reader.h"
#include "top.h"

static volatile sig_atomic_t top_stop, top_resized;

static void on_stop(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	top_resized = 1;
}

static int set_handlers(int screen)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() returns EINTR and the loop looks. */
	sa.sa_handler = on_stop;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	if (screen) {
		sa.sa_handler = on_winch;
		if (sigaction(SIGWINCH, &sa, NULL))
			return -errno;
	}
	return 0;
}

struct screen {
	int on;
	int raw_keys;		/* stdin switched to raw: restore it */
	struct termios saved;
	unsigned int cols, rows;
};

static void screen_size(struct screen *s)
{
	struct winsize ws;

	s->cols = 80;
	s->rows = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		s->cols = ws.ws_col;
		s->rows = ws.ws_row;
	}
}

/*
 * Alternate screen, cursor hidden, keys unbuffered and not echoed; until
 * the first frame (rates need an interval), a line saying when it comes.
 */
static void screen_open(struct screen *s, __u64 interval_ms)
{
	struct termios raw;

	s->on = 1;
	screen_size(s);
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &s->saved)) {
		raw = s->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSANOW, &raw))
			s->raw_keys = 1;
	}
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	printf("tcpstate top: the first frame in %llu.%llus (q quits)\r\n",
	       interval_ms / 1000, interval_ms % 1000 / 100);
	fflush(stdout);
}

static void screen_close(struct screen *s)
{
	if (!s->on)
		return;
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (s->raw_keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	s->on = 0;
}

/*
 * One frame over the last: from the top left, each line erased to its
 * end, then the rest of the screen. Lines are cut to the width, and the
 * last row is left for the key help, so nothing scrolls.
 */
static int screen_draw(struct screen *s, struct top *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	char *line, *next;
	unsigned int n = 0;
	int rc;

	if (top_resized) {
		top_resized = 0;
		screen_size(s);
	}
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -errno;
	rc = top_print(t, mem, s->cols, s->rows > 1 ? s->rows - 1 : 1);
	if (fclose(mem) && !rc)
		rc = -errno;
	if (rc) {
		free(buf);
		return rc;
	}
	fputs("\033[H", stdout);
	for (line = buf; line && *line && n + 1 < s->rows; line = next, n++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		fputs(line, stdout);
		fputs("\033[K\r\n", stdout);
	}
	/* The rest of the screen erased; the key help on its last row. */
	printf("\033[J\033[%u;1H\033[7mq quit\033[0m\033[K", s->rows);
	free(buf);
	return fflush(stdout) == EOF ? -errno : 0;
}

/* 'q' typed on the keyboard (Ctrl-C stays a signal: ISIG is kept). */
static int quit_typed(void)
{
	char c[32];
	ssize_t n = read(STDIN_FILENO, c, sizeof(c)), i;

	for (i = 0; i < n; i++)
		if (c[i] == 'q' || c[i] == 'Q')
			return 1;
	return 0;
}

static int read_counters(struct tcpstate_counters *c, void *arg)
{
	return tcpstate_counters_read(*(int *)arg, c);
}

static int feed(const struct tcpstate_event *ev, void *arg)
{
	top_feed(arg, ev);
	return 0;
}

/*
 * Only this namespace's events through the ring (the counters and
 * sock_diag see no other): a module without the filter sends them all,
 * and top_feed() skips the others.
 */
static void filter_own_netns(struct tcpstate_reader *r, const char *device)
{
	struct tcpstate_filter f;
	struct stat st;
	int rc;

	if (stat("/proc/self/ns/net", &st))
		return;
	memset(&f, 0, sizeof(f));
	f.netns = (__u32)st.st_ino;
	rc = tcpstate_reader_set_filter(r, &f);
	if (rc && rc != -ENOTTY)
		fprintf(stderr,
			PROG ": %s: TCPSTATE_IOC_SET_FILTER: %s: other namespaces' events are skipped in userspace\n",
			device, strerror(-rc));
}

/* Frames until -c, --duration, 'q' or a signal. */
static int run(struct tcpstate_reader *r, struct top *t,
	       const struct options *opts, struct screen *s)
{
	__u64 interval = (opts->interval_set ? opts->interval_ms :
			  TOP_DEFAULT_INTERVAL_MS) * NSEC_PER_MSEC;
	__u64 start = clock_mono_ns(), next = start + interval, deadline = 0;
	__u64 dropped, dropped_seen = 0;
	unsigned long long frames = 0;
	struct pollfd pfd[2];
	long n;
	int rc;

	if (opts->duration_ms)
		deadline = start + opts->duration_ms * NSEC_PER_MSEC;
	while (!top_stop) {
		__u64 now;

		n = tcpstate_ring_drain(&r->ring, feed, t);
		if (n < 0) {
			fprintf(stderr, PROG ": corrupt record in the ring: %s\n",
				strerror((int)-n));
			return EXIT_FAILURE;
		}
		tcpstate_ring_stats(&r->ring, NULL, &dropped);
		if (dropped > dropped_seen) {
			dropped_seen = dropped;
			top_note_loss(t);
		}
		now = clock_mono_ns();
		if (now >= next) {
			rc = top_refresh(t, now);
			if (rc) {
				fprintf(stderr, PROG ": %s: TCPSTATE_IOC_GET_COUNTERS: %s\n",
					opts->device, strerror(-rc));
				return EXIT_FAILURE;
			}
			if (s->on) {
				rc = screen_draw(s, t);
			} else {
				rc = top_print(t, stdout, 0, 0);
				if (!rc && (frames + 1 < opts->count ||
					    !opts->count))
					putchar('\n');
				if (!rc && fflush(stdout) == EOF)
					rc = -errno;
			}
			if (rc) {
				fprintf(stderr, PROG ": writing output: %s\n",
					strerror(-rc));
				return EXIT_FAILURE;
			}
			if (opts->count && ++frames >= opts->count)
				break;
			next = clock_next_tick(next, now, interval);
		}
		if (deadline && now >= deadline)
			break;
		pfd[0].fd = r->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDIN_FILENO;
		pfd[1].events = POLLIN;
		rc = poll(pfd, s->raw_keys ? 2 : 1,
			  clock_ms_until(now, deadline && deadline < next ?
					 deadline : next, WAIT_TIMEOUT_MS));
		if (rc < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": waiting for events: %s\n",
				strerror(errno));
			return EXIT_FAILURE;
		}
		if (rc > 0 && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			fprintf(stderr, PROG ": waiting for events: %s\n",
				strerror(EIO));
			return EXIT_FAILURE;
		}
		if (rc > 0 && s->raw_keys && (pfd[1].revents & POLLIN) &&
		    quit_typed())
			break;
	}
	return EXIT_SUCCESS;
}

int top_run(const struct options *opts)
{
	struct top_sources src = { .read_counters = read_counters };
	struct tcpstate_reader reader;
	struct screen s;
	struct top *t;
	char err[256];
	int status, rc;

	memset(&s, 0, sizeof(s));
	if (!opts->batch && !isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			PROG ": --top draws on a terminal and stdout is none: add -b (--batch) for frames as text\n");
		return EXIT_USAGE;
	}
	rc = set_handlers(!opts->batch);
	if (rc) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(-rc));
		return EXIT_FAILURE;
	}
	rc = tcpstate_reader_open(&reader, opts->device, err, sizeof(err));
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_FAILURE;
	}
	/* The ring first, then the seed: what changes between the two
	 * comes through the ring, and top.c takes it twice harmlessly.
	 */
	filter_own_netns(&reader, opts->device);
	/* Frames need the events once per interval, not as they come: be
	 * woken only when a quarter of the ring waits (or at the frame's
	 * deadline), not per event. A module without batched wake-ups
	 * wakes per event; nothing is lost either way.
	 */
	tcpstate_ring_set_wakeup(&reader.ring, reader.ring.data_size / 4);
	src.arg = &reader.fd;
	t = top_new(&src, err, sizeof(err));
	if (!t) {
		fprintf(stderr, PROG ": %s: %s\n", opts->device, err);
		tcpstate_reader_close(&reader);
		return EXIT_FAILURE;
	}
	if (!opts->batch)
		screen_open(&s, opts->interval_set ? opts->interval_ms :
			       TOP_DEFAULT_INTERVAL_MS);
	status = run(&reader, t, opts, &s);
	screen_close(&s);
	top_free(t);
	tcpstate_reader_close(&reader);
	return status;
}
