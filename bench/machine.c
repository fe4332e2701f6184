/* SPDX-License-Identifier: MIT */
/* machine.c - describe the machine a run came from. */
#include "machine.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void machine_get(struct machine *m)
{
	struct utsname u;
	char line[256];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f;

	m->nproc = n > 0 ? (unsigned)n : 1;
	snprintf(m->cpu, sizeof(m->cpu), "unknown CPU");
	snprintf(m->kernel, sizeof(m->kernel), "unknown");
	m->load1 = -1;
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &m->load1) != 1)
			m->load1 = -1;
		fclose(f);
	}
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
		break;
	}
	fclose(f);
}
