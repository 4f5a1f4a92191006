/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xenbus back-end protocol for one vfb or vkbd device, as a pure function of
 * the two state nodes, plus parsers for the guest-written xenstore values
 * (state, page-ref, page-gref, event-channel, protocol), which are untrusted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum XenbusState {
        XENBUS_UNKNOWN = 0,
        XENBUS_INITIALISING = 1,
        XENBUS_INIT_WAIT = 2,
        XENBUS_INITIALISED = 3,
        XENBUS_CONNECTED = 4,
        XENBUS_CLOSING = 5,
        XENBUS_CLOSED = 6,
        XENBUS_RECONFIGURING = 7,
        XENBUS_RECONFIGURED = 8,
        _XENBUS_STATE_MAX,
} XenbusState;

typedef enum XenbusAction {
        XENBUS_ACTION_NONE,
        XENBUS_ACTION_INIT,        /* write the back end's features, then state InitWait */
        XENBUS_ACTION_CONNECT,     /* read the frontend's nodes, map, bind, then Connected */
        XENBUS_ACTION_DISCONNECT,  /* unmap, unbind, then state Closed */
} XenbusAction;

/* What the back end does next, given its own state and the frontend's
 * (XENBUS_UNKNOWN when the frontend node is missing or unparsable). */
XenbusAction xenbus_backend_step(XenbusState backend, XenbusState frontend);

const char *xenbus_state_to_string(XenbusState s);

/* Parse a state node's value (decimal, no sign, no garbage); unknown values -EINVAL. */
int xenbus_state_parse(const char *s, size_t len, XenbusState *ret);
/* Parse an unsigned decimal node value up to max; -EINVAL or -ERANGE. */
int xenbus_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *ret);

/* The frontend's ABI from its "protocol" node: 8 for x86_64-abi (or no node),
 * 4 for x86_32-abi, -EPROTONOSUPPORT for anything else. */
int xenbus_protocol_word_size(const char *s, size_t len);
