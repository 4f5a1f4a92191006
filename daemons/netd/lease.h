/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DHCPv4 leases as systemd-networkd saves them (/run/systemd/netif/leases/<ifindex>,
 * KEY=VALUE lines).  The file says "private data, do not parse": so we read only
 * the keys below, check each value's syntax, and refuse anything else that looks
 * like a key we know.  Values are given back in canonical form. */
#pragma once

#include <stddef.h>

#define LEASE_FILE_MAX (64 * 1024)
#define LEASE_LINE_MAX 4096

typedef enum LeaseKey {
        LEASE_ADDRESS,          /* ADDRESS: one IPv4 address */
        LEASE_NETMASK,
        LEASE_ROUTER,           /* ROUTER: IPv4 addresses, space-separated */
        LEASE_SERVER,           /* SERVER_ADDRESS */
        LEASE_BROADCAST,
        LEASE_DNS,
        LEASE_NTP,
        LEASE_MTU,
        LEASE_T1,
        LEASE_T2,
        LEASE_LIFETIME,         /* seconds */
        LEASE_DOMAIN,           /* DOMAINNAME */
        LEASE_HOSTNAME,
        _LEASE_KEY_MAX,
} LeaseKey;

typedef struct Lease {
        char *values[_LEASE_KEY_MAX];   /* NULL when absent */
} Lease;

/* The name GetLease() uses for a key: "address", "router", "dns", "lifetime", ... */
const char *lease_key_name(LeaseKey k);

/* Parse text (need not be NUL-terminated).  origin names the file in errors.
 * Returns 0, -EBADMSG with *ret_error = "ORIGIN:LINE: what is wrong" (when
 * ret_error is given), or -ENOMEM.  A lease without ADDRESS is -EBADMSG. */
int lease_parse(const char *origin, const char *text, size_t size, Lease *ret, char **ret_error);
int lease_load(const char *path, Lease *ret, char **ret_error);
void lease_done(Lease *l);
