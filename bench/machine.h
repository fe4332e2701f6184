/* SPDX-License-Identifier: MIT */
/* machine.h - what the numbers were measured on: CPUs, model, kernel. */
#ifndef PINFS_BENCH_MACHINE_H
#define PINFS_BENCH_MACHINE_H

struct machine {
	unsigned nproc;
	char cpu[96];    /* "model name" of /proc/cpuinfo */
	char kernel[96]; /* uname -r */
	double load1;    /* 1-minute load average when asked (noise hint) */
};

void machine_get(struct machine *m);

#endif /* PINFS_BENCH_MACHINE_H */
