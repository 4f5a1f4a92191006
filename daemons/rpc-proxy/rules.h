/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rules: which domain may call what on dom0's bus, and which signals it sees.
 * Default deny; one `allow` line per rule (see docs/rpc-proxy.md):
 *
 *   allow DOMAIN call   destination=BUSNAME interface=IFACE|* member=M[,M...]|* [path=GLOB]
 *   allow DOMAIN signal sender=BUSNAME      interface=IFACE     member=M[,M...]|* [path=GLOB]
 *
 * A file with any error is refused whole, with "FILE:LINE: what is wrong". */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "util.h"

#define RPC_RULES_FILE_MAX (1024u * 1024u)
#define RPC_RULES_MAX 4096u
#define RPC_DOMAIN_NAME_MAX ((unsigned) VM_NAME_MAX)

typedef enum RpcRuleKind {
        RPC_RULE_CALL,
        RPC_RULE_SIGNAL,
} RpcRuleKind;

typedef struct RpcRule {
        char *domain;
        RpcRuleKind kind;
        char *peer;      /* destination (call) or sender (signal): a well-known bus name */
        char *interface; /* NULL: any (calls only) */
        char **members;  /* NULL-terminated; NULL: any */
        char *path;      /* fnmatch(FNM_PATHNAME) glob; NULL: any */
        char *via;       /* NULL: dom0's bus; else the bus of that domain, reached over its link */
        unsigned line;
} RpcRule;

typedef struct RpcRules {
        char *filename;
        RpcRule *rules;
        size_t n_rules;
} RpcRules;

/* Parses text (need not be NUL-terminated).  On error returns -EINVAL (or
 * -ENOMEM) and, when ret_error is given, a message "FILE:LINE: ..." to free. */
int rpc_rules_parse(const char *text, size_t size, const char *filename, RpcRules **ret,
                    char **ret_error);
int rpc_rules_load(const char *path, RpcRules **ret, char **ret_error);
RpcRules *rpc_rules_free(RpcRules *rules);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcRules *, rpc_rules_free);

/* The first rule allowing this method call from domain, or NULL (deny).  The
 * rule's via says which bus the call goes to. */
const RpcRule *rpc_rules_match_call(const RpcRules *rules, const char *domain, const char *destination,
                                    const char *path, const char *interface, const char *member);
/* The first rule letting domain see this signal from the well-known name sender
 * on the bus of via (NULL: dom0's bus), or NULL. */
const RpcRule *rpc_rules_match_signal(const RpcRules *rules, const char *domain, const char *via,
                                      const char *sender, const char *path, const char *interface,
                                      const char *member);
/* Whether domain has a link: some rule is for it, or routes through it (via=). */
bool rpc_rules_has_domain(const RpcRules *rules, const char *domain);
/* Whether some rule routes through domain's own bus (via=domain). */
bool rpc_rules_has_via(const RpcRules *rules, const char *domain);
/* Writes the rules back in canonical form, one per line (tests, --check-rules -v). */
int rpc_rules_format(const RpcRules *rules, char **ret);
