/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lease files are written by networkd from what a DHCP server said: fuzz the parser. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Lease l = {};
        char *err = NULL;
        int r;

        r = lease_parse("fuzz.lease", (const char *) data, size, &l, &err);
        if (r == 0) {
                if (err || !l.values[LEASE_ADDRESS])
                        abort();
                /* Values are canonical and printable. */
                for (int k = 0; k < _LEASE_KEY_MAX; k++)
                        if (l.values[k])
                                for (const char *p = l.values[k]; *p; p++)
                                        if (*p <= ' ' && *p != ' ')
                                                abort();
                lease_done(&l);
        } else if (r != -ENOMEM && !err)
                abort();        /* every rejection says where and why */
        free(err);
        return 0;
}
