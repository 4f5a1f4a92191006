/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "xenbus-state.h"

XenbusAction xenbus_backend_step(XenbusState backend, XenbusState frontend) {
        switch (backend) {
        case XENBUS_UNKNOWN:
        case XENBUS_INITIALISING:
                return XENBUS_ACTION_INIT;
        case XENBUS_INIT_WAIT:
                if (frontend == XENBUS_INITIALISED || frontend == XENBUS_CONNECTED)
                        return XENBUS_ACTION_CONNECT;
                if (frontend == XENBUS_CLOSING || frontend == XENBUS_CLOSED)
                        return XENBUS_ACTION_DISCONNECT;
                return XENBUS_ACTION_NONE;
        case XENBUS_CONNECTED:
                /* A frontend that goes away, closes or restarts loses its mapping. */
                if (frontend == XENBUS_CLOSING || frontend == XENBUS_CLOSED ||
                    frontend == XENBUS_UNKNOWN || frontend == XENBUS_INITIALISING)
                        return XENBUS_ACTION_DISCONNECT;
                return XENBUS_ACTION_NONE;
        case XENBUS_CLOSING:
                return XENBUS_ACTION_DISCONNECT;
        case XENBUS_CLOSED:
                /* A frontend that starts again (driver reload, kexec) gets a new back end. */
                if (frontend == XENBUS_INITIALISING || frontend == XENBUS_INIT_WAIT)
                        return XENBUS_ACTION_INIT;
                return XENBUS_ACTION_NONE;
        default:
                /* Reconfiguring is not part of vfb/vkbd: treat as broken. */
                return XENBUS_ACTION_DISCONNECT;
        }
}

const char *xenbus_state_to_string(XenbusState s) {
        static const char *const names[] = {
                "Unknown", "Initialising", "InitWait", "Initialised", "Connected",
                "Closing", "Closed", "Reconfiguring", "Reconfigured",
        };

        if ((unsigned) s >= ELEMENTSOF(names))
                return "invalid";
        return names[s];
}

int xenbus_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || len == 0 || len > 20)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int xenbus_state_parse(const char *s, size_t len, XenbusState *ret) {
        uint64_t v;
        int r;

        r = xenbus_parse_uint(s, len, _XENBUS_STATE_MAX - 1, &v);
        if (r < 0)
                return -EINVAL;
        *ret = (XenbusState) v;
        return 0;
}

int xenbus_protocol_word_size(const char *s, size_t len) {
        if (!s)
                return 8;
        if (len == strlen("x86_64-abi") && memcmp(s, "x86_64-abi", len) == 0)
                return 8;
        if (len == strlen("x86_32-abi") && memcmp(s, "x86_32-abi", len) == 0)
                return 4;
        return -EPROTONOSUPPORT;
}
