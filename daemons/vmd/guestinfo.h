/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a running service VM publishes about itself in its own xenstore area
 * (/local/domain/DOMID/data/cairn/...), read by dom0 as untrusted input: today the
 * NDVM's DHCP address ("lease"), announced as "cairn: NAME lease ADDRESS". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct GuestInfo GuestInfo;

typedef void (*guestinfo_announce_t)(const char *line, void *userdata);

/* Connects to xenstore; -errno when there is none (not under Xen). */
int guestinfo_new(sd_event *event, guestinfo_announce_t announce, void *userdata, GuestInfo **ret);
GuestInfo *guestinfo_free(GuestInfo *g);

/* Follow (domid valid) or forget (domid == UINT32_MAX) the VM called name. */
void guestinfo_track(GuestInfo *g, const char *name, uint32_t domid);

/* Checks a value a guest wrote for "lease": a dotted-quad IPv4 address, nothing
 * else (no spaces, no control bytes).  Writes the canonical form into out. */
bool guestinfo_parse_lease(const char *value, size_t len, char *out, size_t out_size);
