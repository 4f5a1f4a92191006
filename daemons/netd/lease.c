/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "util.h"

typedef enum ValueKind {
        VALUE_IN4,              /* one IPv4 address */
        VALUE_IN4_LIST,         /* one or more, space-separated */
        VALUE_U32,
        VALUE_U16,
        VALUE_SECONDS,          /* "86400" (networkd 252) or a timespan "1d 2h" (later networkd) */
        VALUE_DOMAIN,           /* a DNS name: [A-Za-z0-9-_.], at most 253 */
} ValueKind;

static const struct {
        const char *file_key;
        const char *name;
        ValueKind kind;
} keys[_LEASE_KEY_MAX] = {
        [LEASE_ADDRESS] = { "ADDRESS", "address", VALUE_IN4 },
        [LEASE_NETMASK] = { "NETMASK", "netmask", VALUE_IN4 },
        [LEASE_ROUTER] = { "ROUTER", "router", VALUE_IN4_LIST },
        [LEASE_SERVER] = { "SERVER_ADDRESS", "server", VALUE_IN4 },
        [LEASE_BROADCAST] = { "BROADCAST", "broadcast", VALUE_IN4 },
        [LEASE_DNS] = { "DNS", "dns", VALUE_IN4_LIST },
        [LEASE_NTP] = { "NTP", "ntp", VALUE_IN4_LIST },
        [LEASE_MTU] = { "MTU", "mtu", VALUE_U16 },
        [LEASE_T1] = { "T1", "t1", VALUE_SECONDS },
        [LEASE_T2] = { "T2", "t2", VALUE_SECONDS },
        [LEASE_LIFETIME] = { "LIFETIME", "lifetime", VALUE_SECONDS },
        [LEASE_DOMAIN] = { "DOMAINNAME", "domain", VALUE_DOMAIN },
        [LEASE_HOSTNAME] = { "HOSTNAME", "hostname", VALUE_DOMAIN },
};

#define IN4_LIST_MAX 16

const char *lease_key_name(LeaseKey k) {
        return k >= 0 && k < _LEASE_KEY_MAX ? keys[k].name : NULL;
}

void lease_done(Lease *l) {
        for (size_t i = 0; i < _LEASE_KEY_MAX; i++) {
                free(l->values[i]);
                l->values[i] = NULL;
        }
}

static int parse_in4(const char *s, char out[INET_ADDRSTRLEN]) {
        struct in_addr a;

        if (inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN) ? 0 : -EINVAL;
}

/* Seconds from what systemd's FORMAT_TIMESPAN(t, USEC_PER_SEC) writes ("1d 12h",
 * "5min 30s", "infinity") or a plain number of seconds.  Returns 0, -EINVAL, -ERANGE. */
static int parse_seconds(const char *v, uint64_t *ret, bool *ret_infinity) {
        static const struct {
                const char *unit;
                uint64_t seconds;
        } units[] = {
                /* longer names first: "min" before "m"-less "month"/"ms" checks */
                { "month", 2629800 }, { "min", 60 }, { "msec", 0 }, { "ms", 0 }, { "usec", 0 }, { "us", 0 },
                { "sec", 1 }, { "s", 1 }, { "h", 3600 }, { "d", 86400 }, { "w", 604800 }, { "y", 31557600 },
        };
        uint64_t total = 0;
        const char *p = v;

        *ret_infinity = false;
        if (strcmp(v, "infinity") == 0) {
                *ret_infinity = true;
                *ret = 0;
                return 0;
        }
        if (*p == 0)
                return -EINVAL;
        while (*p) {
                uint64_t n = 0, mult = 0;
                size_t i;

                if (!(*p >= '0' && *p <= '9'))
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (n > (UINT32_MAX - (uint64_t) (*p - '0')) / 10)
                                return -ERANGE;
                        n = n * 10 + (uint64_t) (*p - '0');
                }
                if (*p == 0 && p == v + strspn(v, "0123456789")) {
                        total = n;      /* a plain number: seconds */
                        break;
                }
                for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                        size_t l = strlen(units[i].unit);
                        if (strncmp(p, units[i].unit, l) == 0 && (p[l] == 0 || p[l] == ' ')) {
                                mult = units[i].seconds;
                                p += l;
                                break;
                        }
                }
                if (i == sizeof(units) / sizeof(units[0]))
                        return -EINVAL;
                if (mult && n > (UINT32_MAX - total) / mult)
                        return -ERANGE;
                total += n * mult;
                while (*p == ' ')
                        p++;
        }
        if (total > UINT32_MAX)
                return -ERANGE;
        *ret = total;
        return 0;
}

/* Canonical form of value v of kind k, or NULL with errno-style *ret_why. */
static int canonical_value(ValueKind k, char *v, char **ret, const char **ret_why) {
        char buf[IN4_LIST_MAX * INET_ADDRSTRLEN], one[INET_ADDRSTRLEN], *tok, *save = NULL;
        size_t n = 0, o = 0;
        uint64_t u;

        switch (k) {
        case VALUE_IN4:
                if (parse_in4(v, one) < 0) {
                        *ret_why = "not an IPv4 address";
                        return -EBADMSG;
                }
                *ret = strdup(one);
                break;
        case VALUE_IN4_LIST:
                for (tok = strtok_r(v, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                        if (++n > IN4_LIST_MAX) {
                                *ret_why = "more than 16 addresses";
                                return -EBADMSG;
                        }
                        if (parse_in4(tok, one) < 0) {
                                *ret_why = "not a list of IPv4 addresses";
                                return -EBADMSG;
                        }
                        o += (size_t) snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "", one);
                }
                if (n == 0) {
                        *ret_why = "empty list";
                        return -EBADMSG;
                }
                *ret = strdup(buf);
                break;
        case VALUE_U32:
        case VALUE_U16:
                if (parse_u64(v, &u) < 0 || u > (k == VALUE_U16 ? UINT16_MAX : UINT32_MAX) ||
                    !(v[0] >= '0' && v[0] <= '9')) {
                        *ret_why = k == VALUE_U16 ? "not a number up to 65535" : "not a 32-bit number";
                        return -EBADMSG;
                }
                if (asprintf(ret, "%" PRIu64, u) < 0)
                        *ret = NULL;
                break;
        case VALUE_SECONDS: {
                bool infinity;

                if (parse_seconds(v, &u, &infinity) < 0) {
                        *ret_why = "not a number of seconds or a time span";
                        return -EBADMSG;
                }
                if (infinity)
                        *ret = strdup("infinity");
                else if (asprintf(ret, "%" PRIu64, u) < 0)
                        *ret = NULL;
                break;
        }
        case VALUE_DOMAIN:
                n = strlen(v);
                if (n == 0 || n > 253) {
                        *ret_why = "not a DNS name (length)";
                        return -EBADMSG;
                }
                for (size_t i = 0; i < n; i++)
                        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
                              (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_' || v[i] == '.')) {
                                *ret_why = "not a DNS name";
                                return -EBADMSG;
                        }
                *ret = strdup(v);
                break;
        }
        return *ret ? 0 : -ENOMEM;
}

_printf_(4, 5) static int fail(char **ret_error, const char *origin, unsigned line, const char *fmt, ...) {
        va_list ap;
        char *what = NULL;

        if (!ret_error)
                return -EBADMSG;
        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0)
                what = NULL;
        va_end(ap);
        if (!what || asprintf(ret_error, "%s:%u: %s", origin, line, what) < 0)
                *ret_error = NULL;
        free(what);
        return -EBADMSG;
}

int lease_parse(const char *origin, const char *text, size_t size, Lease *ret, char **ret_error) {
        Lease l = {};
        size_t off = 0;
        unsigned line = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (size > LEASE_FILE_MAX)
                return fail(ret_error, origin, 0, "larger than %d bytes", LEASE_FILE_MAX);

        while (off < size) {
                char buf[LEASE_LINE_MAX + 1], *s, *eq, *value;
                const char *nl = memchr(text + off, '\n', size - off);
                size_t len = nl ? (size_t) (nl - (text + off)) : size - off;
                int k;

                line++;
                if (len > LEASE_LINE_MAX) {
                        r = fail(ret_error, origin, line, "line longer than %d bytes", LEASE_LINE_MAX);
                        goto out;
                }
                if (memchr(text + off, 0, len)) {
                        r = fail(ret_error, origin, line, "NUL byte");
                        goto out;
                }
                memcpy(buf, text + off, len);
                buf[len] = 0;
                off += len + (nl ? 1 : 0);

                s = strstrip(buf);
                if (!*s || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        r = fail(ret_error, origin, line, "not KEY=VALUE");
                        goto out;
                }
                *eq = 0;
                value = eq + 1;
                for (k = 0; k < _LEASE_KEY_MAX; k++)
                        if (strcmp(s, keys[k].file_key) == 0)
                                break;
                if (k == _LEASE_KEY_MAX)
                        continue;       /* CLIENTID, ROUTES, vendor options...: not shown */
                if (l.values[k]) {
                        r = fail(ret_error, origin, line, "%s given twice", keys[k].file_key);
                        goto out;
                }
                if (!*value)
                        continue;       /* networkd writes some keys empty */
                {
                        const char *why = NULL;

                        r = canonical_value(keys[k].kind, value, &l.values[k], &why);
                        if (r == -EBADMSG) {
                                r = fail(ret_error, origin, line, "%s: %s", keys[k].file_key, why);
                                goto out;
                        }
                        if (r < 0)
                                goto out;
                }
        }
        if (!l.values[LEASE_ADDRESS]) {
                r = fail(ret_error, origin, line, "no ADDRESS");
                goto out;
        }
        *ret = l;
        return 0;
out:
        lease_done(&l);
        return r;
}

int lease_load(const char *path, Lease *ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = read_full_file(path, LEASE_FILE_MAX, &data, &size);
        if (r < 0)
                return r;
        return lease_parse(path, data, size, ret, ret_error);
}
