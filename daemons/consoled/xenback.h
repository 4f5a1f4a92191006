/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xenstore back end of every domain's vfb and vkbd device on dom0:
 * watches backend/vfb and backend/vkbd, runs xenbus_backend_step() for each
 * device, maps the shared pages (xenforeignmemory for page-ref, xengnttab for
 * page-gref), binds the event channels, and feeds the rings through fbpage.c
 * and kbdring.c.  A frontend that breaks the protocol is disconnected. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "fbpage.h"

typedef struct XenBack XenBack;

typedef struct XenBackHooks {
        /* A domain's framebuffer connected, changed mode, or went away (connected=false;
         * failed=true when it was disconnected for breaking the protocol). */
        void (*fb_state)(uint32_t domid, bool connected, bool failed, const FbMode *mode, void *userdata);
        /* A rectangle of a domain's framebuffer changed. */
        void (*fb_update)(uint32_t domid, uint32_t x, uint32_t y, uint32_t w, uint32_t h, void *userdata);
} XenBackHooks;

int xenback_new(sd_event *event, const FbLimits *limits, const XenBackHooks *hooks, void *userdata,
                XenBack **ret);
XenBack *xenback_free(XenBack *b);

/* Deliver input to a domain's vkbd (dropped, with a debug line, when it has none). */
int xenback_send_key(XenBack *b, uint32_t domid, uint32_t keycode, bool pressed);
/* x, y in the domain's framebuffer pixels (of a w x h framebuffer), scaled here to the
 * absolute range advertised to the frontend. */
int xenback_send_pointer(XenBack *b, uint32_t domid, int32_t x, int32_t y, uint32_t w, uint32_t h,
                         int32_t wheel);
/* The domain's name from xenstore (toolstack-written), checked with vm_name_is_valid(). */
int xenback_domain_name(XenBack *b, uint32_t domid, char *buf, size_t size);

/* The mapped framebuffer of a domain and its mode in force; NULL when none. */
const uint8_t *xenback_framebuffer(XenBack *b, uint32_t domid, FbMode *ret_mode, size_t *ret_size);
/* Ask the frontend for updates while shown, none while hidden (refresh period). */
void xenback_set_visible(XenBack *b, uint32_t domid, bool visible);
