/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input latency figures: the last LATENCY_SAMPLES delays of one stage of the
 * input path, in microseconds, and their percentiles.  Only delays are kept,
 * never which key: the figures cannot tell what was typed.  Served by
 * InputLatency on org.cairn.Console1 for tests/bench/bench-console. */
#pragma once

#include <stdbool.h>
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

/* Frame figures: the framebuffer updates consoled presented for the focused
 * domain since the last reset (frames per second in tests/bench/bench-console).
 * Served by FrameStats on org.cairn.Console1.  Only sizes and times are kept. */
typedef struct FrameStats {
        uint64_t since;         /* CLOCK_MONOTONIC microseconds of the last reset */
        uint64_t events;        /* update events from the shown domain */
        uint64_t presents;      /* presents of them (one may merge several events) */
        uint64_t full;          /* of those, the ones covering the whole framebuffer */
        uint64_t pixels;        /* pixels presented */
        uint64_t busy_usec;     /* time spent presenting */
} FrameStats;

/* One present of w x h pixels (full: the whole framebuffer) from `start` to
 * `end` (CLOCK_MONOTONIC, microseconds; an `end` before `start` counts as no
 * time). */
void frames_add(FrameStats *f, uint32_t w, uint32_t h, bool full, uint64_t start, uint64_t end);
void frames_reset(FrameStats *f, uint64_t now);
