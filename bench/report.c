/* SPDX-License-Identifier: MIT */
/* report.c - tables of results: human table, JSON, CSV; progress line. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

#define REPORT_TABLES_MAX 32
#define REPORT_DISTS_MAX 64

static struct report_table *tables[REPORT_TABLES_MAX];
static unsigned ntables;
static struct report_dist *dists[REPORT_DISTS_MAX];
static unsigned ndists;
static int progress_len; /* chars on the progress line, 0: none */

struct report_table *report_table_new(const char *mode, const char *id,
				      const char *title, unsigned ncols,
				      const struct report_col *cols)
{
	struct report_table *t;

	if (ntables == REPORT_TABLES_MAX || ncols > REPORT_COLS_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->mode = mode;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->title, sizeof(t->title), "%s", title);
	t->ncols = ncols;
	memcpy(t->col, cols, ncols * sizeof(*cols));
	tables[ntables++] = t;
	return t;
}

struct report_row *report_row_add(struct report_table *t, const char *name,
				  const char *phase, uint64_t block_size,
				  unsigned threads, unsigned queue_depth)
{
	struct report_row *r;

	if (t->nrows == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 16;
		struct report_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->phase, sizeof(r->phase), "%s", phase ? phase : "");
	r->block_size = block_size;
	r->threads = threads;
	r->queue_depth = queue_depth;
	for (unsigned i = 0; i < REPORT_COLS_MAX; i++)
		r->val[i] = (struct summary){ NAN, NAN, NAN, 0 };
	return r;
}

void report_set(const struct report_table *t, struct report_row *r,
		const char *key, struct summary s)
{
	for (unsigned i = 0; i < t->ncols; i++) {
		if (strcmp(t->col[i].key, key) == 0) {
			r->val[i] = s;
			return;
		}
	}
}

void report_status(struct report_row *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->status, sizeof(r->status), fmt, ap);
	va_end(ap);
}

int report_dist_add(const char *mode, const char *name,
		    const struct samples *s)
{
	struct report_dist *d;

	if (ndists == REPORT_DISTS_MAX)
		return -ENOSPC;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->mode, sizeof(d->mode), "%s", mode);
	snprintf(d->name, sizeof(d->name), "%s", name);
	for (size_t i = 0; i < s->n; i++) {
		if (samples_add(&d->s, s->v[i]) < 0) {
			samples_free(&d->s);
			free(d);
			return -ENOMEM;
		}
	}
	dists[ndists++] = d;
	return 0;
}

unsigned report_ntables(void)
{
	return ntables;
}

const struct report_table *report_table_at(unsigned i)
{
	return i < ntables ? tables[i] : NULL;
}

unsigned report_ndists(void)
{
	return ndists;
}

struct report_dist *report_dist_at(unsigned i)
{
	return i < ndists ? dists[i] : NULL;
}

const char *report_bytes(uint64_t n, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";
	int i = -1;

	if (n == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	while (n >= 1024 && n % 1024 == 0 && i < 3) {
		n /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)n, suffix[i]);
	return buf;
}

/* ---- human table --------------------------------------------------------- */

static const char *unit_fmt(enum report_unit u)
{
	switch (u) {
	case UNIT_GBPS:
		return "%.2f";
	case UNIT_MBPS:
	case UNIT_OPS:
		return "%.0f";
	case UNIT_US:
		return "%.1f";
	case UNIT_RATIO:
		return "%.2f";
	case UNIT_COUNT:
		return "%.0f";
	}
	return "%g";
}

static void fmt_value(char *buf, size_t len, enum report_unit u,
		      const struct summary *s)
{
	char med[24], lo[24], hi[24];

	if (!summary_valid(s)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(med, sizeof(med), unit_fmt(u), s->med);
	if (s->n < 2) {
		snprintf(buf, len, "%s", med);
		return;
	}
	snprintf(lo, sizeof(lo), unit_fmt(u), s->min);
	snprintf(hi, sizeof(hi), unit_fmt(u), s->max);
	snprintf(buf, len, "%s [%s-%s]", med, lo, hi);
}

static void write_md(FILE *f, const struct report_table *t)
{
	char buf[96], b2[16];

	fprintf(f, "\n**%s: %s**\n\n| name | phase | bs | thr | qd |", t->mode,
		t->title);
	for (unsigned c = 0; c < t->ncols; c++)
		fprintf(f, " %s |", t->col[c].key);
	fprintf(f, " note |\n|---|---|---:|---:|---:|");
	for (unsigned c = 0; c < t->ncols; c++)
		fprintf(f, "---:|");
	fprintf(f, "---|\n");
	for (unsigned r = 0; r < t->nrows; r++) {
		const struct report_row *row = &t->rows[r];

		fprintf(f, "| %s | %s | %s |", row->name,
			row->phase[0] ? row->phase : "-",
			report_bytes(row->block_size, b2, sizeof(b2)));
		if (row->threads)
			fprintf(f, " %u |", row->threads);
		else
			fprintf(f, " - |");
		if (row->queue_depth)
			fprintf(f, " %u |", row->queue_depth);
		else
			fprintf(f, " - |");
		for (unsigned c = 0; c < t->ncols; c++) {
			fmt_value(buf, sizeof(buf), t->col[c].unit, &row->val[c]);
			fprintf(f, " %s |", buf);
		}
		fprintf(f, " %s |\n", row->status);
	}
}

static void write_table(FILE *f, const struct report_table *t)
{
	int wname = 4, wval[REPORT_COLS_MAX];
	char buf[96], b2[16];

	for (unsigned r = 0; r < t->nrows; r++) {
		int l = (int)strlen(t->rows[r].name);

		wname = l > wname ? l : wname;
	}
	for (unsigned c = 0; c < t->ncols; c++) {
		wval[c] = (int)strlen(t->col[c].key);
		for (unsigned r = 0; r < t->nrows; r++) {
			int l;

			fmt_value(buf, sizeof(buf), t->col[c].unit,
				  &t->rows[r].val[c]);
			l = (int)strlen(buf);
			wval[c] = l > wval[c] ? l : wval[c];
		}
	}
	fprintf(f, "\n== %s: %s ==\n", t->mode, t->title);
	fprintf(f, "%-*s  %-5s %5s %3s %3s", wname, "name", "phase", "bs", "thr",
		"qd");
	for (unsigned c = 0; c < t->ncols; c++)
		fprintf(f, "  %*s", wval[c], t->col[c].key);
	fprintf(f, "  note\n");
	for (unsigned r = 0; r < t->nrows; r++) {
		const struct report_row *row = &t->rows[r];

		fprintf(f, "%-*s  %-5s %5s", wname, row->name,
			row->phase[0] ? row->phase : "-",
			report_bytes(row->block_size, b2, sizeof(b2)));
		if (row->threads)
			fprintf(f, " %3u", row->threads);
		else
			fprintf(f, " %3s", "-");
		if (row->queue_depth)
			fprintf(f, " %3u", row->queue_depth);
		else
			fprintf(f, " %3s", "-");
		for (unsigned c = 0; c < t->ncols; c++) {
			fmt_value(buf, sizeof(buf), t->col[c].unit, &row->val[c]);
			fprintf(f, "  %*s", wval[c], buf);
		}
		fprintf(f, "  %s\n", row->status);
	}
}

/* ---- JSON and CSV -------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double x)
{
	if (isnan(x) || isinf(x))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", x);
}

static void write_json(FILE *f, const struct bench_opts *o)
{
	struct machine m;
	bool first = true;

	machine_get(&m);
	fprintf(f, "{\n  \"bench\": \"pinfs-bench\",\n  \"machine\": {"
		   "\"nproc\": %u, \"cpu\": ", m.nproc);
	json_str(f, m.cpu);
	fprintf(f, ", \"kernel\": ");
	json_str(f, m.kernel);
	fprintf(f, ", \"load1_at_end\": %.2f", m.load1);
	fprintf(f, "},\n  \"options\": {\"quick\": %s, \"duration_s\": %g, "
		   "\"repeat\": %u, \"size\": %llu, \"region\": ",
		o->quick ? "true" : "false", o->duration, o->repeat,
		(unsigned long long)o->size);
	json_str(f, o->region ? o->region : "");
	fprintf(f, "},\n  \"rows\": [");
	for (unsigned i = 0; i < ntables; i++) {
		const struct report_table *t = tables[i];

		for (unsigned r = 0; r < t->nrows; r++) {
			const struct report_row *row = &t->rows[r];

			fprintf(f, "%s\n    {\"mode\": ", first ? "" : ",");
			first = false;
			json_str(f, t->mode);
			fprintf(f, ", \"table\": ");
			json_str(f, t->id);
			fprintf(f, ", \"name\": ");
			json_str(f, row->name);
			fprintf(f, ", \"phase\": ");
			json_str(f, row->phase);
			fprintf(f, ", \"block_size\": %llu, \"threads\": %u, "
				   "\"queue_depth\": %u",
				(unsigned long long)row->block_size,
				row->threads, row->queue_depth);
			for (unsigned c = 0; c < t->ncols; c++) {
				const struct summary *s = &row->val[c];
				const char *k = t->col[c].key;

				fprintf(f, ", \"%s\": ", k);
				json_num(f, s->med);
				fprintf(f, ", \"%s_min\": ", k);
				json_num(f, s->min);
				fprintf(f, ", \"%s_max\": ", k);
				json_num(f, s->max);
			}
			fprintf(f, ", \"status\": ");
			json_str(f, row->status[0] ? row->status : "ok");
			fprintf(f, "}");
		}
	}
	fprintf(f, "\n  ]\n}\n");
}

static void csv_field(FILE *f, const char *s)
{
	bool quote = strpbrk(s, ",\"\n") != NULL;

	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double x)
{
	if (!isnan(x) && !isinf(x))
		fprintf(f, "%.6g", x);
}

static void write_csv(FILE *f)
{
	fprintf(f, "mode,table,name,phase,block_size,threads,queue_depth,"
		   "key,median,min,max,runs,status\n");
	for (unsigned i = 0; i < ntables; i++) {
		const struct report_table *t = tables[i];

		for (unsigned r = 0; r < t->nrows; r++) {
			const struct report_row *row = &t->rows[r];

			for (unsigned c = 0; c < t->ncols; c++) {
				const struct summary *s = &row->val[c];

				fprintf(f, "%s,%s,", t->mode, t->id);
				csv_field(f, row->name);
				fprintf(f, ",%s,%llu,%u,%u,%s,", row->phase,
					(unsigned long long)row->block_size,
					row->threads, row->queue_depth,
					t->col[c].key);
				csv_num(f, s->med);
				fputc(',', f);
				csv_num(f, s->min);
				fputc(',', f);
				csv_num(f, s->max);
				fprintf(f, ",%u,", s->n);
				csv_field(f, row->status[0] ? row->status : "ok");
				fputc('\n', f);
			}
		}
	}
}

int report_write(FILE *f, enum bench_format fmt, const struct bench_opts *o)
{
	struct machine m;

	progress_done();
	switch (fmt) {
	case BENCH_FMT_JSON:
		write_json(f, o);
		break;
	case BENCH_FMT_CSV:
		write_csv(f);
		break;
	case BENCH_FMT_MD:
		machine_get(&m);
		fprintf(f, "Machine: %s, %u CPUs, kernel %s; 1-minute load "
			   "average %.1f at the end of the run. Each figure: median "
			   "[min-max] of %u run(s), %g s each.\n",
			m.cpu, m.nproc, m.kernel, m.load1, o->repeat,
			o->duration);
		for (unsigned i = 0; i < ntables; i++)
			write_md(f, tables[i]);
		break;
	case BENCH_FMT_TABLE:
		machine_get(&m);
		fprintf(f, "pinfs-bench on %s, %u CPUs, kernel %s, load %.1f; "
			   "%u run(s) per figure: median [min-max]\n",
			m.cpu, m.nproc, m.kernel, m.load1, o->repeat);
		for (unsigned i = 0; i < ntables; i++)
			write_table(f, tables[i]);
		break;
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int report_check(void)
{
	int ret = 0;

	for (unsigned i = 0; i < ntables; i++) {
		const struct report_table *t = tables[i];

		for (unsigned r = 0; r < t->nrows; r++) {
			const struct report_row *row = &t->rows[r];
			bool any = false;

			for (unsigned c = 0; c < t->ncols; c++)
				any |= summary_valid(&row->val[c]);
			if (any || row->status[0])
				continue;
			fprintf(stderr, "pinfs-bench: %s/%s row %s: no figure "
					"and no reason\n", t->mode, t->id,
				row->name);
			ret = -EPROTO;
		}
	}
	return ret;
}

void report_free(void)
{
	for (unsigned i = 0; i < ntables; i++) {
		free(tables[i]->rows);
		free(tables[i]);
	}
	ntables = 0;
	for (unsigned i = 0; i < ndists; i++) {
		samples_free(&dists[i]->s);
		free(dists[i]);
	}
	ndists = 0;
}

/* ---- progress ------------------------------------------------------------ */

void progress(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r%s%*s", line,
			progress_len > n ? progress_len - n : 0, "");
		progress_len = n;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void progress_done(void)
{
	if (progress_len && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%*s\r", progress_len, "");
	progress_len = 0;
}
