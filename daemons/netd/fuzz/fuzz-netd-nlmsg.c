/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink datagrams: nl_parse() and the interface table behind it.  The
 * kernel is the only sender we accept, but a parser bug must not become a
 * daemon bug: every header and attribute is checked. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iftable.h"
#include "nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int apply(const NlEvent *e, void *userdata) {
        NetTable *t = userdata;
        int r = net_table_apply(t, e);

        if (r < 0 && r != -E2BIG)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NetTable t = {};
        int r;

        r = nl_parse(data, size, apply, &t);
        if (r < -4095)
                abort();
        /* What is in the table must print. */
        for (size_t i = 0; i < t.n_links; i++) {
                const NetLink *l = &t.links[i];
                char mac[3 * NL_HWADDR_MAX], text[NL_ADDR_TEXT_MAX];

                if (l->link.ifindex <= 0 || (i > 0 && t.links[i - 1].link.ifindex >= l->link.ifindex))
                        abort();
                if (l->link.name[0] && !nl_ifname_is_valid(l->link.name, strlen(l->link.name)))
                        abort();
                nl_format_hwaddr(l->link.hwaddr, l->link.hwaddr_len, mac, sizeof(mac));
                if (strlen(mac) != (l->link.hwaddr_len ? l->link.hwaddr_len * 3 - 1 : 0))
                        abort();
                (void) net_link_state(l);
                for (size_t j = 0; j < l->n_addrs; j++)
                        if (nl_format_addr(&l->addrs[j], text, sizeof(text)) < 0)
                                abort();
        }
        net_table_clear(&t);
        return 0;
}
