/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "macro.h"

void latency_add(LatencyStats *s, uint64_t since, uint64_t now) {
        if (since == 0 || since > now)
                return;
        s->usec[s->next] = (uint32_t) MIN(now - since, (uint64_t) UINT32_MAX);
        s->next = (s->next + 1) % LATENCY_SAMPLES;
        s->count++;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

uint32_t latency_percentile(const LatencyStats *s, unsigned pct) {
        uint32_t sorted[LATENCY_SAMPLES];
        size_t n = (size_t) MIN(s->count, (uint64_t) LATENCY_SAMPLES), rank;

        if (n == 0)
                return 0;
        memcpy(sorted, s->usec, n * sizeof(sorted[0]));
        qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
        /* Nearest rank: the smallest sample with at least pct% at or below it. */
        rank = ((size_t) MIN(pct, 100u) * n + 99) / 100;
        return sorted[rank == 0 ? 0 : rank - 1];
}

void latency_reset(LatencyStats *s) {
        memset(s, 0, sizeof(*s));
}

void frames_add(FrameStats *f, uint32_t w, uint32_t h, bool full, uint64_t start, uint64_t end) {
        f->presents++;
        if (full)
                f->full++;
        f->pixels += (uint64_t) w * h;
        if (end > start)
                f->busy_usec += end - start;
}

void frames_reset(FrameStats *f, uint64_t now) {
        *f = (FrameStats) { .since = now };
}
