/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input latency figures: the last LATENCY_SAMPLES delays of one stage of the
 * input path, in microseconds, and their percentiles.  Only delays are kept,
 * never which key: the figures cannot tell what was typed.  Served by
 * InputLatency on org.cairn.Console1 for tests/bench/bench-console. */
#pragma once

#include <stdint.h>

#define LATENCY_SAMPLES 4096

typedef struct LatencyStats {
        uint64_t count;                 /* samples ever added since the last reset */
        uint32_t next;                  /* where the next sample goes */
        uint32_t usec[LATENCY_SAMPLES]; /* the last min(count, LATENCY_SAMPLES) */
} LatencyStats;

/* The two stages of a key from the keyboard to a guest: from the kernel's
 * evdev timestamp to consoled's handler (libinput's part), and to the key's
 * event in the focused guest's ring with the guest notified. */
typedef struct InputLatency {
        LatencyStats received;
        LatencyStats delivered;
} InputLatency;

/* A delay from `since` to `now` (both CLOCK_MONOTONIC, microseconds); a
 * `since` of 0 or after `now` is no sample. */
void latency_add(LatencyStats *s, uint64_t since, uint64_t now);
/* The nearest-rank percentile (0..100) of the samples kept; 0 without any. */
uint32_t latency_percentile(const LatencyStats *s, unsigned pct);
void latency_reset(LatencyStats *s);
