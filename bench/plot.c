/* SPDX-License-Identifier: MIT */
/* plot.c - gnuplot data, scripts and PNGs from the report tables. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

enum plot_axis { AXIS_BS, AXIS_QD, AXIS_BARS };

static const char *unit_label(enum report_unit u)
{
	switch (u) {
	case UNIT_GBPS: return "GB/s";
	case UNIT_MBPS: return "MB/s";
	case UNIT_OPS: return "operations/s";
	case UNIT_US: return "microseconds";
	case UNIT_RATIO: return "ratio";
	case UNIT_COUNT: return "count";
	}
	return "";
}

static enum plot_axis pick_axis(const struct report_table *t)
{
	bool bs = false, qd = false;

	for (unsigned r = 1; r < t->nrows; r++) {
		if (t->rows[r].block_size != t->rows[0].block_size)
			bs = true;
		if (t->rows[r].queue_depth != t->rows[0].queue_depth)
			qd = true;
	}
	/* a log axis needs every row on it */
	for (unsigned r = 0; r < t->nrows; r++) {
		if (t->rows[r].block_size == 0)
			bs = false;
		if (t->rows[r].queue_depth == 0)
			qd = false;
	}
	if (qd)
		return AXIS_QD;
	return bs ? AXIS_BS : AXIS_BARS;
}

/* The series a row belongs to: everything but the x value. */
static void series_key(const struct report_row *r, enum plot_axis ax,
		       char *buf, size_t len)
{
	char bs[16];

	if (ax == AXIS_QD)
		snprintf(buf, len, "%s %s %s %ut", r->name, r->phase,
			 report_bytes(r->block_size, bs, sizeof(bs)),
			 r->threads);
	else
		snprintf(buf, len, "%s %s %ut", r->name, r->phase, r->threads);
}

static int run_gnuplot(const char *script)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pinfs-bench: gnuplot %s failed (status %d)%s\n",
			script, st,
			WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
				": install gnuplot-nox" : "");
		return -EIO;
	}
	return 0;
}

static bool is_throughput(enum report_unit u)
{
	return u == UNIT_GBPS || u == UNIT_MBPS || u == UNIT_OPS;
}

static bool col_has_data(const struct report_table *t, unsigned c)
{
	for (unsigned r = 0; r < t->nrows; r++)
		if (summary_valid(&t->rows[r].val[c]))
			return true;
	return false;
}

/* Lines over block size or queue depth: one data block per series (row
 * key and column); series without a single figure are left out.  Returns
 * the number of series plotted, or -errno. */
static int plot_lines(const char *dir, const struct report_table *t,
		      enum plot_axis ax, FILE *gp)
{
	char key[128], path[1024];
	unsigned idx = 0;
	FILE *dat;

	snprintf(path, sizeof(path), "%s/%s-%s.dat", dir, t->mode, t->id);
	dat = fopen(path, "w");
	if (!dat)
		return -errno;
	for (unsigned c = 0; c < t->ncols; c++) {
		if (!is_throughput(t->col[c].unit) || !col_has_data(t, c))
			continue;
		for (unsigned r = 0; r < t->nrows; r++) {
			bool dup = false, any = false;

			series_key(&t->rows[r], ax, key, sizeof(key));
			for (unsigned q = 0; q < r && !dup; q++) {
				char k2[128];

				series_key(&t->rows[q], ax, k2, sizeof(k2));
				dup = strcmp(k2, key) == 0;
			}
			if (dup)
				continue;
			for (unsigned q = r; q < t->nrows; q++) {
				const struct report_row *row = &t->rows[q];
				const struct summary *v = &row->val[c];
				char k2[128];

				series_key(row, ax, k2, sizeof(k2));
				if (strcmp(k2, key) || !summary_valid(v))
					continue;
				if (!any)
					fprintf(dat, "# %s %s\n", t->col[c].key,
						key);
				any = true;
				fprintf(dat, "%llu %g %g %g\n",
					(unsigned long long)(ax == AXIS_QD ?
						row->queue_depth :
						row->block_size),
					v->med, v->min, v->max);
			}
			if (!any)
				continue;
			fprintf(dat, "\n\n");
			fprintf(gp, "%s'%s' index %u using 1:2:3:4 with "
				    "yerrorlines title '%s %s'",
				idx ? ", \\\n     " : "plot ", path, idx,
				t->col[c].key, key);
			idx++;
		}
	}
	fprintf(gp, "\n");
	fclose(dat);
	return (int)idx;
}

/* One bar chart: a cluster per row, a bar per column with figures. */
static int plot_bars(const char *dir, const struct report_table *t,
		     FILE *gp)
{
	char path[1024];
	FILE *dat;
	unsigned ncol = 0;

	snprintf(path, sizeof(path), "%s/%s-%s.dat", dir, t->mode, t->id);
	dat = fopen(path, "w");
	if (!dat)
		return -errno;
	fprintf(dat, "row");
	for (unsigned c = 0; c < t->ncols; c++)
		if (is_throughput(t->col[c].unit) && col_has_data(t, c))
			fprintf(dat, " %s", t->col[c].key);
	fprintf(dat, "\n");
	for (unsigned r = 0; r < t->nrows; r++) {
		fprintf(dat, "\"%s %s\"", t->rows[r].name, t->rows[r].phase);
		for (unsigned c = 0; c < t->ncols; c++) {
			const struct summary *v = &t->rows[r].val[c];

			if (!is_throughput(t->col[c].unit) ||
			    !col_has_data(t, c))
				continue;
			if (summary_valid(v))
				fprintf(dat, " %g", v->med);
			else
				fprintf(dat, " NaN");
		}
		fprintf(dat, "\n");
	}
	fclose(dat);
	fprintf(gp, "set style data histogram\nset style histogram cluster gap 1\n"
		    "set style fill solid 0.8 border -1\nset xtics rotate by -30\n"
		    "set logscale y\nset key autotitle columnhead\n");
	for (unsigned c = 0; c < t->ncols; c++) {
		if (!is_throughput(t->col[c].unit) || !col_has_data(t, c))
			continue;
		fprintf(gp, "%s'%s' using %u:xtic(1)", ncol ? ", " : "plot ",
			path, ncol + 2);
		ncol++;
	}
	fprintf(gp, "\n");
	return (int)ncol;
}

static int plot_table(const char *dir, const struct report_table *t)
{
	enum plot_axis ax = pick_axis(t);
	enum report_unit unit = UNIT_GBPS;
	char gpath[1024];
	int ret;
	FILE *gp;

	if (t->nrows == 0)
		return 0;
	for (unsigned c = 0; c < t->ncols; c++)
		if (is_throughput(t->col[c].unit))
			unit = t->col[c].unit;
	snprintf(gpath, sizeof(gpath), "%s/%s-%s.gp", dir, t->mode, t->id);
	gp = fopen(gpath, "w");
	if (!gp)
		return -errno;
	fprintf(gp, "set terminal png size 1000,640\n"
		    "set output '%s/%s-%s.png'\nset title '%s: %s' noenhanced\n"
		    "set grid\nset key outside right noenhanced\n",
		dir, t->mode, t->id, t->mode, t->id);
	if (ax == AXIS_BARS) {
		fprintf(gp, "set ylabel '%s (log scale)'\n", unit_label(unit));
		ret = plot_bars(dir, t, gp);
	} else {
		fprintf(gp, "set ylabel '%s'\nset logscale x 2\n"
			    "set xlabel '%s'\nset format x '%%.0b%%B'\n", unit_label(unit),
			ax == AXIS_QD ? "queue depth" : "block size (bytes)");
		ret = plot_lines(dir, t, ax, gp);
	}
	if (fclose(gp) != 0 && ret >= 0)
		ret = -errno;
	if (ret < 0)
		return ret;
	if (ret == 0) {
		/* nothing measured in this table: no plot */
		unlink(gpath);
		return 0;
	}
	return run_gnuplot(gpath);
}

/* One CDF plot per mode (DIR/<mode>-latency.png), so a run of one mode
 * does not overwrite another mode's plot in the same DIR. */
static int plot_dists_of(const char *dir, const char *mode)
{
	char gpath[1024], dpath[1024];
	unsigned n = report_ndists(), k = 0;
	FILE *gp;
	int ret;

	snprintf(gpath, sizeof(gpath), "%s/%s-latency.gp", dir, mode);
	gp = fopen(gpath, "w");
	if (!gp)
		return -errno;
	fprintf(gp, "set terminal png size 1000,640\nset output '%s/%s-latency.png'\n"
		    "set title '%s: latency distributions (CDF)'\nset grid\nset key noenhanced\n"
		    "set logscale x\nset xlabel 'microseconds'\n"
		    "set ylabel 'fraction of operations'\nset key bottom right\n"
		    "plot ", dir, mode, mode);
	for (unsigned i = 0; i < n; i++) {
		struct report_dist *d = report_dist_at(i);
		FILE *dat;

		if (strcmp(d->mode, mode))
			continue;
		snprintf(dpath, sizeof(dpath), "%s/%s-latency-%u.dat", dir,
			 mode, k);
		dat = fopen(dpath, "w");
		if (!dat) {
			ret = -errno;
			fclose(gp);
			return ret;
		}
		(void)samples_pct(&d->s, 50); /* sorts */
		for (size_t j = 0; j < d->s.n; j++)
			fprintf(dat, "%g %g\n", d->s.v[j],
				(double)(j + 1) / (double)d->s.n);
		fclose(dat);
		fprintf(gp, "%s'%s' using 1:2 with lines lw 2 title '%s'",
			k ? ", \\\n     " : "", dpath, d->name);
		k++;
	}
	fprintf(gp, "\n");
	if (fclose(gp) != 0)
		return -errno;
	return run_gnuplot(gpath);
}

static int plot_dists(const char *dir)
{
	unsigned n = report_ndists();
	int first = 0, ret;

	for (unsigned i = 0; i < n; i++) {
		const char *mode = report_dist_at(i)->mode;
		bool seen = false;

		for (unsigned j = 0; j < i && !seen; j++)
			seen = !strcmp(report_dist_at(j)->mode, mode);
		if (seen)
			continue;
		ret = plot_dists_of(dir, mode);
		if (ret < 0 && !first)
			first = ret;
	}
	return first;
}

int plot_write(const char *dir)
{
	int ret;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	int first = 0;

	/* one plot that fails does not stop the others */
	for (unsigned i = 0; i < report_ntables(); i++) {
		ret = plot_table(dir, report_table_at(i));
		if (ret < 0 && !first)
			first = ret;
	}
	ret = plot_dists(dir);
	return first ? first : ret;
}
