/* SPDX-License-Identifier: MIT */
/*
 * plot.h - gnuplot scripts and PNGs of the rows in the report.
 *
 * For every table: throughput by block size (or by queue depth) when the
 * rows vary in it, else a bar chart per row; for the latency distributions
 * kept by the modes, one CDF plot.  Data files, .gp scripts and .png files
 * go into DIR; gnuplot (gnuplot-nox) renders them.
 */
#ifndef PINFS_BENCH_PLOT_H
#define PINFS_BENCH_PLOT_H

/* Write and render all plots into dir (created if missing): 0 or -errno. */
int plot_write(const char *dir);

#endif /* PINFS_BENCH_PLOT_H */
