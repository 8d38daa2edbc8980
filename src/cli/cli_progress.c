/* SPDX-License-Identifier: MIT */
/* Progress lines for the CLI. On a terminal one line per stage is redrawn
 * (what it is doing, bytes and files done of the total, percent, rate, ETA,
 * elapsed time); --progress=plain prints a line every few seconds for logs;
 * otherwise nothing. The writers only count (vcompose/progress.h); a ticker
 * thread here samples the counters. The wall clock is used for this output
 * only, never for an image. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_priv.h"
#include "vcompose/progress.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	bool running, stop;
	enum cli_progress_mode mode;
	char stage[160];
	struct vc_progress *p;
	double t0, stage_t0, last_plain;
	bool line_open; /* a redrawn line is on the terminal */
	char times[16][200];
	int n_times;
} pg = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(double v, char *buf, size_t n)
{
	static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* the line for the current stage, under the lock */
static void format_line(char *out, size_t n, double t)
{
	double el = t - pg.stage_t0;
	int k = snprintf(out, n, "[%7.1f s] %s", t - pg.t0, pg.stage);
	if (!pg.p || k < 0 || (size_t)k >= n ||
	    (!atomic_load(&pg.p->total) && !atomic_load(&pg.p->done))) {
		if (k > 0 && (size_t)k < n && el >= 1)
			snprintf(out + k, n - (size_t)k, " (%.0f s)", el);
		return;
	}
	uint64_t done = atomic_load(&pg.p->done), total = atomic_load(&pg.p->total);
	uint64_t it = atomic_load(&pg.p->items_done), itt = atomic_load(&pg.p->items_total);
	char d[32], tt[32], rate[32];
	human((double)done, d, sizeof(d));
	human((double)total, tt, sizeof(tt));
	human(el > 0 ? (double)done / el : 0, rate, sizeof(rate));
	size_t m = (size_t)k;
	if (itt)
		m += (size_t)snprintf(out + m, n - m, ": %llu/%llu files,", (unsigned long long)it,
				      (unsigned long long)itt);
	else
		m += (size_t)snprintf(out + m, n - m, ":");
	if (m >= n)
		return;
	if (total) {
		double f = (double)done / (double)total;
		m += (size_t)snprintf(out + m, n - m, " %s of %s (%.0f%%), %s/s", d, tt, f * 100,
				      rate);
		if (m < n && f > 0.01 && f < 1 && el >= 1)
			snprintf(out + m, n - m, ", ETA %.0f s", el * (1 - f) / f);
	} else {
		snprintf(out + m, n - m, " %s, %s/s", d, rate);
	}
}

/* prints the current stage's line: redrawn on a terminal, appended in plain mode */
static void draw(bool final)
{
	char line[400];
	double t = now();

	if (!pg.stage[0])
		return;
	format_line(line, sizeof(line), t);
	if (pg.mode == CLI_PROGRESS_TTY) {
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
		pg.line_open = !final;
	} else if (final || t - pg.last_plain >= 5) {
		fprintf(stderr, "%s\n", line);
		pg.last_plain = t;
	}
	fflush(stderr);
}

static void *tick(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pg.lock);
	while (!pg.stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&pg.wake, &pg.lock, &ts);
		if (!pg.stop)
			draw(false);
	}
	pthread_mutex_unlock(&pg.lock);
	return NULL;
}

void cli_progress_start(enum cli_progress_mode mode)
{
	pg.mode = mode;
	pg.t0 = now();
	if (mode == CLI_PROGRESS_NONE)
		return;
	pg.running = pthread_create(&pg.ticker, NULL, tick, NULL) == 0;
}

/* ends the current stage's line and records its time */
static void end_stage(double t)
{
	if (!pg.stage[0])
		return;
	if (pg.mode != CLI_PROGRESS_NONE)
		draw(true);
	if (pg.n_times < (int)VC_ARRAY_SIZE(pg.times))
		snprintf(pg.times[pg.n_times++], sizeof(pg.times[0]), "%8.1f s  %s",
			 t - pg.stage_t0, pg.stage);
	pg.stage[0] = '\0';
}

void cli_progress_stage(const char *stage, struct vc_progress *p)
{
	double t = now();

	pthread_mutex_lock(&pg.lock);
	end_stage(t);
	vc_progress_reset(p);
	snprintf(pg.stage, sizeof(pg.stage), "%s", stage);
	pg.p = p;
	pg.stage_t0 = t;
	pg.last_plain = 0;
	if (pg.mode != CLI_PROGRESS_NONE)
		draw(false);
	pthread_mutex_unlock(&pg.lock);
}

void cli_progress_end(bool print_times)
{
	pthread_mutex_lock(&pg.lock);
	pg.stop = true;
	end_stage(now());
	pthread_cond_signal(&pg.wake);
	pthread_mutex_unlock(&pg.lock);
	if (pg.running)
		pthread_join(pg.ticker, NULL);
	pg.running = false;
	if (print_times && pg.n_times) {
		fprintf(stderr, "stage times:\n");
		for (int i = 0; i < pg.n_times; i++)
			fprintf(stderr, "  %s\n", pg.times[i]);
	}
}

/* A message (a warning, an error) while a line may be redrawn: on a line of
 * its own, the progress line drawn again after it. */
void cli_progress_message(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&pg.lock);
	if (pg.line_open) {
		fputs("\r\033[K", stderr);
		pg.line_open = false;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&pg.lock);
}
