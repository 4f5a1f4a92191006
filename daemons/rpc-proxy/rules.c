/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "util.h"

#define LINE_MAX_LEN 4096u
#define NAME_MAX_LEN 255u
#define WORDS_MAX 16u

static void rule_done(RpcRule *r) {
        free(r->domain);
        free(r->peer);
        free(r->interface);
        if (r->members)
                for (char **m = r->members; *m; m++)
                        free(*m);
        free(r->members);
        free(r->path);
        free(r->via);
}

RpcRules *rpc_rules_free(RpcRules *rules) {
        if (!rules)
                return NULL;
        for (size_t i = 0; i < rules->n_rules; i++)
                rule_done(&rules->rules[i]);
        free(rules->rules);
        free(rules->filename);
        free(rules);
        return NULL;
}

static bool is_alpha_(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* D-Bus well-known bus names (allow_dash) and interface names: two or more
 * dot-separated elements, none empty or starting with a digit. */
static bool dotted_name_is_valid(const char *s, bool allow_dash) {
        size_t n = strlen(s), elements = 1;
        bool at_start = true;

        if (n == 0 || n > NAME_MAX_LEN)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '.') {
                        if (at_start)
                                return false;
                        elements++;
                        at_start = true;
                        continue;
                }
                if (!(is_alpha_(c) || is_digit(c) || (allow_dash && c == '-')))
                        return false;
                if (at_start && is_digit(c))
                        return false;
                at_start = false;
        }
        return !at_start && elements >= 2;
}

static bool member_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > NAME_MAX_LEN || is_digit(s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alpha_(s[i]) && !is_digit(s[i]))
                        return false;
        return true;
}

/* An object path in which '*' may stand for any run of characters within one element. */
static bool path_glob_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > NAME_MAX_LEN || s[0] != '/')
                return false;
        if (n == 1)
                return true;
        if (s[n - 1] == '/')
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];

                if (c == '/' && s[i - 1] == '/')
                        return false;
                if (c != '/' && c != '*' && !is_alpha_(c) && !is_digit(c))
                        return false;
        }
        return true;
}

typedef struct Parser {
        const char *filename;
        unsigned line;
        char **error;
} Parser;

_printf_(2, 3) static int parse_error(Parser *p, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (!p->error)
                return -EINVAL;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(*p->error);
        *p->error = NULL;
        if (asprintf(p->error, "%s:%u: %s", p->filename, p->line, msg) < 0)
                return -ENOMEM;
        return -EINVAL;
}

static int parse_members(Parser *p, const char *value, char ***ret) {
        char **list = NULL;
        size_t n = 0;
        const char *s = value;
        int r;

        if (strcmp(value, "*") == 0) {
                *ret = NULL;
                return 0;
        }
        for (;;) {
                const char *comma = strchr(s, ',');
                size_t len = comma ? (size_t) (comma - s) : strlen(s);
                char *m = strndup(s, len), **nl;

                if (!m) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (!member_is_valid(m)) {
                        r = parse_error(p, "invalid member name '%s'", m);
                        free(m);
                        goto fail;
                }
                nl = realloc(list, (n + 2) * sizeof(char *));
                if (!nl) {
                        free(m);
                        r = -ENOMEM;
                        goto fail;
                }
                list = nl;
                list[n++] = m;
                list[n] = NULL;
                if (!comma)
                        break;
                s = comma + 1;
        }
        *ret = list;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r;
}

static int parse_rule(Parser *p, char **words, size_t n_words, RpcRule *rule) {
        const char *peer_key;
        int r;

        if (strcmp(words[0], "allow") != 0)
                return parse_error(p, "unknown verb '%s' (expected 'allow'; everything else is denied)",
                                   words[0]);
        if (n_words < 3)
                return parse_error(p, "expected 'allow DOMAIN call|signal KEY=VALUE...'");
        if (!vm_name_is_valid(words[1]))
                return parse_error(p, "invalid domain name '%s' (expected [a-z0-9-]{1,32})", words[1]);
        if (strcmp(words[2], "call") == 0)
                rule->kind = RPC_RULE_CALL;
        else if (strcmp(words[2], "signal") == 0)
                rule->kind = RPC_RULE_SIGNAL;
        else
                return parse_error(p, "unknown rule kind '%s' (expected 'call' or 'signal')", words[2]);
        peer_key = rule->kind == RPC_RULE_CALL ? "destination" : "sender";
        rule->domain = strdup(words[1]);
        if (!rule->domain)
                return -ENOMEM;

        bool have_member = false, have_interface = false, have_path = false;
        for (size_t i = 3; i < n_words; i++) {
                char *eq = strchr(words[i], '=');
                const char *key, *value;

                if (!eq || eq == words[i])
                        return parse_error(p, "expected KEY=VALUE, got '%s'", words[i]);
                *eq = 0;
                key = words[i];
                value = eq + 1;
                if (*value == 0)
                        return parse_error(p, "empty value for '%s'", key);

                if (strcmp(key, peer_key) == 0) {
                        if (rule->peer)
                                return parse_error(p, "'%s' given twice", key);
                        if (value[0] == ':' || !dotted_name_is_valid(value, true))
                                return parse_error(p, "invalid %s '%s' (expected a well-known bus name)",
                                                   key, value);
                        rule->peer = strdup(value);
                        if (!rule->peer)
                                return -ENOMEM;
                } else if (strcmp(key, "interface") == 0) {
                        if (have_interface)
                                return parse_error(p, "'%s' given twice", key);
                        have_interface = true;
                        if (strcmp(value, "*") == 0) {
                                if (rule->kind == RPC_RULE_SIGNAL)
                                        return parse_error(p, "a signal rule needs a concrete interface");
                                continue;
                        }
                        if (!dotted_name_is_valid(value, false))
                                return parse_error(p, "invalid interface name '%s'", value);
                        rule->interface = strdup(value);
                        if (!rule->interface)
                                return -ENOMEM;
                } else if (strcmp(key, "member") == 0) {
                        if (have_member)
                                return parse_error(p, "'%s' given twice", key);
                        have_member = true;
                        r = parse_members(p, value, &rule->members);
                        if (r < 0)
                                return r;
                } else if (strcmp(key, "path") == 0) {
                        if (have_path)
                                return parse_error(p, "'%s' given twice", key);
                        have_path = true;
                        if (strcmp(value, "*") != 0 && !path_glob_is_valid(value))
                                return parse_error(p, "invalid object path pattern '%s'", value);
                        if (strcmp(value, "*") != 0) {
                                rule->path = strdup(value);
                                if (!rule->path)
                                        return -ENOMEM;
                        }
                } else if (strcmp(key, "via") == 0) {
                        if (rule->via)
                                return parse_error(p, "'%s' given twice", key);
                        if (!vm_name_is_valid(value))
                                return parse_error(p, "invalid domain name '%s' in via= (expected [a-z0-9-]{1,32})",
                                                   value);
                        if (strcmp(value, rule->domain) == 0)
                                return parse_error(p, "via=%s names the rule's own domain", value);
                        rule->via = strdup(value);
                        if (!rule->via)
                                return -ENOMEM;
                } else
                        return parse_error(p,
                                           "unknown key '%s' in a %s rule (expected %s, interface, member, path, via)",
                                           key, words[2], peer_key);
        }
        if (!rule->peer)
                return parse_error(p, "missing '%s=' (rules name the bus name they allow)", peer_key);
        if (!have_interface)
                return parse_error(p, "missing 'interface=' (use interface=* to allow any)");
        if (!have_member)
                return parse_error(p, "missing 'member=' (use member=* to allow any)");
        return 0;
}

int rpc_rules_parse(const char *text, size_t size, const char *filename, RpcRules **ret,
                    char **ret_error) {
        _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
        _cleanup_free_ char *line = NULL;
        Parser p = { .filename = filename, .error = ret_error };
        size_t pos = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (size > RPC_RULES_FILE_MAX) {
                p.line = 0;
                if (!ret_error)
                        return -EFBIG;
                if (asprintf(ret_error, "%s: file larger than %u bytes", filename, RPC_RULES_FILE_MAX) < 0)
                        return -ENOMEM;
                return -EFBIG;
        }
        rules = calloc(1, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        rules->filename = strdup(filename);
        line = malloc(LINE_MAX_LEN + 1);
        if (!rules->filename || !line)
                return -ENOMEM;

        while (pos < size) {
                const char *nl = memchr(text + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (text + pos)) : size - pos;
                char *words[WORDS_MAX], *s, *save = NULL;
                size_t n_words = 0;

                p.line++;
                if (len > LINE_MAX_LEN)
                        return parse_error(&p, "line longer than %u bytes", LINE_MAX_LEN);
                memcpy(line, text + pos, len);
                line[len] = 0;
                pos += len + (nl ? 1 : 0);
                if (memchr(line, 0, len))
                        return parse_error(&p, "NUL byte in line");
                if (len > 0 && line[len - 1] == '\r')
                        line[len - 1] = 0;
                for (size_t i = 0; line[i]; i++)
                        if ((unsigned char) line[i] < 0x20 && line[i] != '\t')
                                return parse_error(&p, "control character in line");
                        else if ((unsigned char) line[i] >= 0x7f)
                                return parse_error(&p, "non-ASCII character in line");

                s = strstrip(line);
                if (*s == 0 || *s == '#')
                        continue;
                for (char *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        if (n_words >= WORDS_MAX)
                                return parse_error(&p, "more than %u words in a rule", WORDS_MAX);
                        words[n_words++] = w;
                }

                if (rules->n_rules >= RPC_RULES_MAX)
                        return parse_error(&p, "more than %u rules", RPC_RULES_MAX);
                RpcRule *nr = realloc(rules->rules, (rules->n_rules + 1) * sizeof(RpcRule));
                if (!nr)
                        return -ENOMEM;
                rules->rules = nr;
                nr = &rules->rules[rules->n_rules++];
                *nr = (RpcRule) { .line = p.line };
                r = parse_rule(&p, words, n_words, nr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(rules);
        return 0;
}

int rpc_rules_load(const char *path, RpcRules **ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = read_full_file(path, RPC_RULES_FILE_MAX, &data, &size);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(-r)) < 0)
                        return -ENOMEM;
                return r;
        }
        return rpc_rules_parse(data, size, path, ret, ret_error);
}

static bool member_matches(const RpcRule *rule, const char *member) {
        if (!rule->members)
                return true;
        if (!member)
                return false;
        for (char **m = rule->members; *m; m++)
                if (strcmp(*m, member) == 0)
                        return true;
        return false;
}

static const RpcRule *match(const RpcRules *rules, RpcRuleKind kind, const char *domain, const char *via,
                            bool any_via, const char *peer, const char *path, const char *interface,
                            const char *member) {
        if (!rules || !domain || !peer || !path)
                return NULL;
        for (size_t i = 0; i < rules->n_rules; i++) {
                const RpcRule *rule = &rules->rules[i];

                if (rule->kind != kind || strcmp(rule->domain, domain) != 0 || strcmp(rule->peer, peer) != 0)
                        continue;
                if (!any_via && !(rule->via && via ? strcmp(rule->via, via) == 0 : rule->via == via))
                        continue;
                if (rule->interface && (!interface || strcmp(rule->interface, interface) != 0))
                        continue;
                if (!member_matches(rule, member))
                        continue;
                if (rule->path && fnmatch(rule->path, path, FNM_PATHNAME) != 0)
                        continue;
                return rule;
        }
        return NULL;
}

const RpcRule *rpc_rules_match_call(const RpcRules *rules, const char *domain, const char *destination,
                                    const char *path, const char *interface, const char *member) {
        return match(rules, RPC_RULE_CALL, domain, NULL, true, destination, path, interface, member);
}

const RpcRule *rpc_rules_match_signal(const RpcRules *rules, const char *domain, const char *via,
                                      const char *sender, const char *path, const char *interface,
                                      const char *member) {
        return match(rules, RPC_RULE_SIGNAL, domain, via, false, sender, path, interface, member);
}

bool rpc_rules_has_domain(const RpcRules *rules, const char *domain) {
        for (size_t i = 0; rules && i < rules->n_rules; i++)
                if (strcmp(rules->rules[i].domain, domain) == 0 ||
                    (rules->rules[i].via && strcmp(rules->rules[i].via, domain) == 0))
                        return true;
        return false;
}

bool rpc_rules_has_via(const RpcRules *rules, const char *domain) {
        for (size_t i = 0; rules && i < rules->n_rules; i++)
                if (rules->rules[i].via && strcmp(rules->rules[i].via, domain) == 0)
                        return true;
        return false;
}

int rpc_rules_format(const RpcRules *rules, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < rules->n_rules; i++) {
                const RpcRule *r = &rules->rules[i];

                fprintf(f, "allow %s %s %s=%s interface=%s member=", r->domain,
                        r->kind == RPC_RULE_CALL ? "call" : "signal",
                        r->kind == RPC_RULE_CALL ? "destination" : "sender", r->peer,
                        r->interface ?: "*");
                if (!r->members)
                        fputc('*', f);
                else
                        for (char **m = r->members; *m; m++)
                                fprintf(f, "%s%s", m == r->members ? "" : ",", *m);
                fprintf(f, " path=%s", r->path ?: "*");
                if (r->via)
                        fprintf(f, " via=%s", r->via);
                fputc('\n', f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
