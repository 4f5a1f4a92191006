/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "script.h"
#include "util.h"

#define SCRIPT_MAX_SIZE (1024 * 1024)
#define SCRIPT_MAX_CMDS 4096

static int parse_int(const char *s, int lo, int hi, int *ret) {
        uint64_t v;

        if (!s || parse_u64(s, &v) < 0 || v < (uint64_t) lo || v > (uint64_t) hi)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static int parse_line(const char *name, unsigned line, char *s, script_cmd *c) {
        char *words[4] = {};
        size_t n = 0;
        char *save = NULL;

        for (char *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (n >= ELEMENTSOF(words)) {
                        log_error("%s:%u: too many words", name, line);
                        return -EINVAL;
                }
                words[n++] = w;
        }
        memset(c, 0, sizeof(*c));
        c->line = line;

#define WANT(k)                                                                             \
        do {                                                                                \
                if (n != (k) + 1) {                                                         \
                        log_error("%s:%u: '%s' takes %d argument%s", name, line, words[0], \
                                  (k), (k) == 1 ? "" : "s");                                \
                        return -EINVAL;                                                     \
                }                                                                           \
        } while (0)

        if (strcmp(words[0], "key") == 0) {
                WANT(1);
                c->op = SCRIPT_KEY;
                if (ui_key_from_string(words[1], &c->key) < 0) {
                        log_error("%s:%u: unknown key '%s'", name, line, words[1]);
                        return -EINVAL;
                }
        } else if (strcmp(words[0], "click") == 0 || strcmp(words[0], "move") == 0) {
                WANT(2);
                c->op = words[0][0] == 'c' ? SCRIPT_CLICK : SCRIPT_MOVE;
                if (parse_int(words[1], 0, 8191, &c->x) < 0 || parse_int(words[2], 0, 8191, &c->y) < 0) {
                        log_error("%s:%u: '%s X Y' wants two pixel coordinates", name, line, words[0]);
                        return -EINVAL;
                }
        } else if (strcmp(words[0], "wait-signal") == 0) {
                WANT(0);
                c->op = SCRIPT_WAIT_SIGNAL;
        } else if (strcmp(words[0], "wait-state") == 0) {
                WANT(2);
                c->op = SCRIPT_WAIT_STATE;
                snprintf(c->arg, sizeof(c->arg), "%s", words[1]);
                snprintf(c->arg2, sizeof(c->arg2), "%s", words[2]);
        } else if (strcmp(words[0], "wait-connected") == 0) {
                WANT(0);
                c->op = SCRIPT_WAIT_CONNECTED;
        } else if (strcmp(words[0], "wait-disconnected") == 0) {
                WANT(0);
                c->op = SCRIPT_WAIT_DISCONNECTED;
        } else if (strcmp(words[0], "wait-network") == 0) {
                WANT(0);
                c->op = SCRIPT_WAIT_NETWORK;
        } else if (strcmp(words[0], "sleep") == 0) {
                WANT(1);
                c->op = SCRIPT_SLEEP;
                if (parse_int(words[1], 0, 600000, &c->x) < 0) {
                        log_error("%s:%u: 'sleep MS' wants milliseconds (at most 600000)", name, line);
                        return -EINVAL;
                }
        } else if (strcmp(words[0], "screenshot") == 0) {
                WANT(1);
                c->op = SCRIPT_SCREENSHOT;
                if (strlen(words[1]) >= sizeof(c->arg)) {
                        log_error("%s:%u: file name too long", name, line);
                        return -EINVAL;
                }
                snprintf(c->arg, sizeof(c->arg), "%s", words[1]);
        } else if (strcmp(words[0], "quit") == 0) {
                WANT(0);
                c->op = SCRIPT_QUIT;
        } else {
                log_error("%s:%u: unknown command '%s'", name, line, words[0]);
                return -EINVAL;
        }
#undef WANT
        return 0;
}

int script_parse(const char *name, const char *text, script *ret) {
        _cleanup_free_ char *copy = strdup(text);
        script s = {};
        unsigned line = 0;
        char *save = NULL, *p;
        int r;

        if (!copy)
                return log_oom();
        /* strtok_r would skip empty lines and lose the numbering: split by hand. */
        for (p = copy; p; ) {
                char *nl = strchr(p, '\n'), *l;
                if (nl)
                        *nl = '\0';
                line++;
                l = strstrip(p);
                p = nl ? nl + 1 : NULL;
                if (*l == '\0' || *l == '#')
                        continue;
                if (s.n >= SCRIPT_MAX_CMDS) {
                        log_error("%s:%u: more than %d commands", name, line, SCRIPT_MAX_CMDS);
                        script_done(&s);
                        return -E2BIG;
                }
                script_cmd *cmds = realloc(s.cmds, (s.n + 1) * sizeof(*cmds));
                if (!cmds) {
                        script_done(&s);
                        return log_oom();
                }
                s.cmds = cmds;
                r = parse_line(name, line, l, &s.cmds[s.n]);
                if (r < 0) {
                        script_done(&s);
                        return r;
                }
                s.n++;
        }
        (void) save;
        *ret = s;
        return 0;
}

int script_load(const char *path, script *ret) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, SCRIPT_MAX_SIZE, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read script %s: %m", path);
        if (strlen(data) != size)
                return log_error_errno(-EINVAL, "%s: contains a NUL byte", path);
        return script_parse(path, data, ret);
}

void script_done(script *s) {
        free(s->cmds);
        *s = (script) {};
}
