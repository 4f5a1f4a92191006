/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay follows GRUB 2.06 as Debian 12 builds it (2.06-13+deb12u*):
 *
 * - grub-core/commands/tpm.c: verify_string() measures the bare string (no "grub_cmd: "
 *   prefix, no NUL; the prefix is only the event-log description) into PCR 8;
 *   verify_write() measures a file's whole raw contents into PCR 9.  (Checked against the
 *   disassembly of Debian's tpm.mod and against a real OVMF + swtpm boot.)
 * - grub-core/kern/verifiers.c: every grub_file_open() except signature files and files on
 *   memdisk/procfs goes through the verifiers, before any decompression filter; files are
 *   measured when opened: configs (configfile), modules (grub_dl_load_file, before their
 *   .moddeps are loaded), the multiboot2 kernel and module2 files.
 * - grub-core/script/execute.c: every command line is measured after expansion as its
 *   arguments joined by single spaces, before the command runs (so before an autoloaded
 *   module is loaded); a block argument is "{" + the recorded source text + "}".
 * - commands/menuentry.c, normal/menu.c: a booted entry runs "setparams <title> [args]"
 *   and then the entry's source lines; `boot` is called directly and not measured.
 * - loader/multiboot.c, lib/cmdline.c: the multiboot2 and module2 command lines are
 *   measured without the file name (an empty module command line measures "").
 * - normal/main.c: config lines whose first character is '#' never reach the parser (nor a
 *   menuentry's recorded text); GRUB_MOD_INIT(normal) loads gzio.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grub-predict.h"
#include "grubmod.h"
#include "util.h"

#define MAX_CONFIG_SIZE (1024 * 1024)
#define MAX_MODULE_SIZE (16 * 1024 * 1024)
#define MAX_ARGS 256
#define MAX_DEPTH 4

/* What grub-mkrescue (Debian 2.06) puts into the EFI core image. */
static const char *const mkrescue_core_modules[] = {
        "part_gpt", "part_msdos", "fshelp", "fat", "part_apple", "iso9660", NULL,
};

typedef struct var {
        char *name, *value;
        bool exported;
} var;

typedef struct entry {
        char *title;
        char *id;
        char **extra;      /* positional arguments after the title (NULL-terminated) */
        char *block;       /* the recorded source between the braces */
} entry;

typedef struct pctx {
        boot_source *src;
        const grub_predict_options *opts;
        const char *module_dir;
        meas_log *log;
        bool measuring;
        char **loaded;
        size_t n_loaded;
        char **cmd_names, **cmd_modules; /* command.lst */
        size_t n_cmds;
        var *vars;
        size_t n_vars;
        entry *entries;
        size_t n_entries;
        bool in_entry;
        unsigned n_module2;
        bool booted;
        unsigned depth;
        const char *file;
        unsigned line;
        char *error;
} pctx;

static int fail(pctx *c, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(pctx *c, int r, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (c->error)
                return r;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (c->file) {
                if (asprintf(&c->error, "%s:%u: %s", c->file, c->line, msg ?: "error") < 0)
                        c->error = NULL;
        } else
                c->error = msg ? strdup(msg) : NULL;
        return r;
}

static void entry_done(entry *e) {
        free(e->title);
        free(e->id);
        strv_free(e->extra);
        free(e->block);
}

static void vars_free(var *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].value);
        }
        free(v);
}

static var *var_find(pctx *c, const char *name) {
        for (size_t i = 0; i < c->n_vars; i++)
                if (strcmp(c->vars[i].name, name) == 0)
                        return &c->vars[i];
        return NULL;
}

static int var_set(pctx *c, const char *name, const char *value) {
        var *v = var_find(c, name), *n;

        if (v) {
                char *s = strdup(value);

                if (!s)
                        return -ENOMEM;
                free(v->value);
                v->value = s;
                return 0;
        }
        n = realloc(c->vars, (c->n_vars + 1) * sizeof(var));
        if (!n)
                return -ENOMEM;
        c->vars = n;
        n[c->n_vars] = (var) { .name = strdup(name), .value = strdup(value) };
        if (!n[c->n_vars].name || !n[c->n_vars].value) {
                free(n[c->n_vars].name);
                free(n[c->n_vars].value);
                return -ENOMEM;
        }
        c->n_vars++;
        return 0;
}

static bool is_loaded(pctx *c, const char *name) {
        for (size_t i = 0; i < c->n_loaded; i++)
                if (strcmp(c->loaded[i], name) == 0)
                        return true;
        return false;
}

static int valid_module_name(const char *name) {
        if (!name[0] || strlen(name) > 64)
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-')
                        return -EINVAL;
        return 0;
}

static int measure_string(pctx *c, unsigned pcr, meas_kind kind, unsigned index, const char *s) {
        uint8_t d[MEAS_DIGEST_SIZE];

        if (!c->measuring)
                return 0;
        meas_sha256_buf(s, strlen(s), d);
        return meas_log_add(c->log, pcr, kind, index, s, d);
}

static int measure_file(pctx *c, meas_kind kind, unsigned index, const char *path) {
        uint8_t d[MEAS_DIGEST_SIZE];
        int r;

        if (!c->measuring)
                return 0;
        r = boot_source_digest(c->src, path, d, NULL);
        if (r < 0)
                return fail(c, r, "cannot read %s: %s", path, strerror(-r));
        return meas_log_add(c->log, 9, kind, index, path, d);
}

/* grub_dl_load(): open (and measure) NAME.mod, then load its .moddeps in order. */
static int load_module(pctx *c, const char *name, unsigned level) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        char **deps = NULL;
        size_t size;
        char **n;
        int r;

        if (is_loaded(c, name))
                return 0;
        if (valid_module_name(name) < 0)
                return fail(c, -EINVAL, "invalid module name \"%s\"", name);
        if (level > 32)
                return fail(c, -ELOOP, "module dependencies nest too deep at %s", name);
        if (asprintf(&path, "%s/%s.mod", c->module_dir, name) < 0)
                return -ENOMEM;
        r = boot_source_read(c->src, path, MAX_MODULE_SIZE, &data, &size);
        if (r < 0)
                return fail(c, r, "cannot read GRUB module %s: %s", path, strerror(-r));
        if (c->measuring) {
                uint8_t d[MEAS_DIGEST_SIZE];

                meas_sha256_buf(data, size, d);
                r = meas_log_add(c->log, 9, MEAS_KIND_GRUB_MODULE, 0, path, d);
                if (r < 0)
                        return r;
        }
        n = realloc(c->loaded, (c->n_loaded + 1) * sizeof(char *));
        if (!n)
                return -ENOMEM;
        c->loaded = n;
        c->loaded[c->n_loaded] = strdup(name);
        if (!c->loaded[c->n_loaded])
                return -ENOMEM;
        c->n_loaded++;

        r = grubmod_deps(data, size, &deps);
        if (r < 0)
                return fail(c, r, "%s is not a GRUB module", path);
        for (char **d = deps; *d; d++) {
                r = load_module(c, *d, level + 1);
                if (r < 0)
                        break;
        }
        strv_free(deps);
        return r < 0 ? r : 0;
}

static int read_command_list(pctx *c) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        char *p, *saveptr = NULL;
        size_t size;
        int r;

        if (asprintf(&path, "%s/command.lst", c->module_dir) < 0)
                return -ENOMEM;
        r = boot_source_read(c->src, path, MAX_CONFIG_SIZE, &data, &size);
        if (r < 0)
                return fail(c, r, "cannot read %s: %s", path, strerror(-r));
        for (p = strtok_r((char *) data, "\n", &saveptr); p; p = strtok_r(NULL, "\n", &saveptr)) {
                char *colon = strchr(p, ':'), **a, **b;

                if (!colon)
                        continue;
                *colon = '\0';
                if (*p == '*')
                        p++;
                a = realloc(c->cmd_names, (c->n_cmds + 1) * sizeof(char *));
                if (!a)
                        return -ENOMEM;
                c->cmd_names = a;
                b = realloc(c->cmd_modules, (c->n_cmds + 1) * sizeof(char *));
                if (!b)
                        return -ENOMEM;
                c->cmd_modules = b;
                a[c->n_cmds] = strdup(p);
                b[c->n_cmds] = strdup(strstrip(colon + 1));
                if (!a[c->n_cmds] || !b[c->n_cmds]) {
                        free(a[c->n_cmds]);
                        free(b[c->n_cmds]);
                        return -ENOMEM;
                }
                c->n_cmds++;
        }
        return 0;
}

static const char *command_module(pctx *c, const char *name) {
        for (size_t i = 0; i < c->n_cmds; i++)
                if (strcmp(c->cmd_names[i], name) == 0)
                        return c->cmd_modules[i];
        return NULL;
}

/* A growing string. */
typedef struct sbuf {
        char *s;
        size_t n, alloc;
} sbuf;

static int sbuf_add(sbuf *b, const char *s, size_t n) {
        if (b->n + n + 1 > b->alloc) {
                size_t want = MAX(b->alloc * 2, b->n + n + 64);
                char *p = realloc(b->s, want);

                if (!p)
                        return -ENOMEM;
                b->s = p;
                b->alloc = want;
        }
        memcpy(b->s + b->n, s, n);
        b->n += n;
        b->s[b->n] = '\0';
        return 0;
}

static int args_push(char ***args, size_t *n, char *s) {
        char **a;

        if (*n >= MAX_ARGS) {
                free(s);
                return -E2BIG;
        }
        a = realloc(*args, (*n + 2) * sizeof(char *));
        if (!a) {
                free(s);
                return -ENOMEM;
        }
        *args = a;
        a[(*n)++] = s;
        a[*n] = NULL;
        return 0;
}

static bool is_name_char(char ch) {
        return isalnum((unsigned char) ch) || ch == '_';
}

/* Expand $name or ${name} at *p (pointing at '$'); appends the value. */
static int expand_var(pctx *c, const char **p, sbuf *b, bool quoted) {
        const char *s = *p + 1, *start, *end;
        _cleanup_free_ char *name = NULL;
        var *v;

        if (*s == '{') {
                start = s + 1;
                end = strchr(start, '}');
                if (!end)
                        return fail(c, -EOPNOTSUPP, "unterminated ${");
                *p = end + 1;
        } else {
                start = s;
                end = s;
                while (is_name_char(*end))
                        end++;
                *p = end;
        }
        if (end == start)
                return fail(c, -EOPNOTSUPP, "a '$' that is not a variable reference");
        name = strndup(start, (size_t) (end - start));
        if (!name)
                return -ENOMEM;
        for (const char *q = name; *q; q++)
                if (!is_name_char(*q))
                        return fail(c, -EOPNOTSUPP, "unsupported variable reference ${%s}", name);
        v = var_find(c, name);
        if (!v)
                return fail(c, -EOPNOTSUPP,
                            "variable $%s is not set by the configuration (its value at boot cannot be predicted)",
                            name);
        if (!quoted && (v->value[0] == '\0' || strpbrk(v->value, " \t")))
                return fail(c, -EOPNOTSUPP,
                            "unquoted $%s is empty or contains spaces (GRUB's word splitting is not replayed)",
                            name);
        return sbuf_add(b, v->value, strlen(v->value));
}

static const char *const keywords[] = {
        "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until",
        "function", "case", "esac", "select", "[[", "]]", NULL,
};

/* Split one line into expanded words.  *ret_brace is set when the line ends in a lone "{"
 * (which is not returned as a word) and ret_after_brace points after it. */
static int split_line(pctx *c, const char *line, char ***ret_args, size_t *ret_n, bool *ret_brace,
                      const char **ret_after_brace) {
        char **args = NULL;
        size_t n = 0;
        const char *p = line;
        sbuf w = {};
        int r = 0;

        *ret_brace = false;
        for (;;) {
                bool word = false;

                w = (sbuf) {};
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p || *p == '#')
                        break;
                if (*p == '{' && (p[1] == '\0' || p[1] == ' ' || p[1] == '\t')) {
                        const char *q = p + 1;

                        while (*q == ' ' || *q == '\t')
                                q++;
                        if (*q != '\0') {
                                r = fail(c, -EOPNOTSUPP, "text after '{' on the same line");
                                goto out;
                        }
                        *ret_brace = true;
                        *ret_after_brace = p + 1;
                        break;
                }
                while (*p && *p != ' ' && *p != '\t') {
                        if (strchr(";|&<>\\`\r", *p) || (*p == '{' && !word) || *p == '}') {
                                r = fail(c, -EOPNOTSUPP, "unsupported character '%c' (outside the supported GRUB script subset)", *p);
                                goto out;
                        }
                        word = true;
                        if (*p == '\'') {
                                const char *e = strchr(p + 1, '\'');

                                if (!e) {
                                        r = fail(c, -EOPNOTSUPP, "unterminated quote");
                                        goto out;
                                }
                                r = sbuf_add(&w, p + 1, (size_t) (e - p - 1));
                                p = e + 1;
                        } else if (*p == '"') {
                                p++;
                                while (*p && *p != '"') {
                                        if (*p == '\\') {
                                                r = fail(c, -EOPNOTSUPP, "backslash escapes are not supported");
                                                goto out;
                                        }
                                        if (*p == '$')
                                                r = expand_var(c, &p, &w, true);
                                        else {
                                                r = sbuf_add(&w, p, 1);
                                                p++;
                                        }
                                        if (r < 0)
                                                goto out;
                                }
                                if (*p != '"') {
                                        r = fail(c, -EOPNOTSUPP, "unterminated quote");
                                        goto out;
                                }
                                p++;
                                if (!w.s)
                                        r = sbuf_add(&w, "", 0);
                        } else if (*p == '$') {
                                r = expand_var(c, &p, &w, false);
                        } else if (*p == '*' || *p == '?') {
                                /* Without the regexp module GRUB does no globbing. */
                                r = sbuf_add(&w, p, 1);
                                p++;
                        } else {
                                r = sbuf_add(&w, p, 1);
                                p++;
                        }
                        if (r < 0)
                                goto out;
                }
                if (word) {
                        if (!w.s && (r = sbuf_add(&w, "", 0)) < 0)
                                goto out;
                        r = args_push(&args, &n, TAKE_PTR(w.s));
                        if (r < 0)
                                goto out;
                }
        }
        if (n > 0)
                for (const char *const *k = keywords; *k; k++)
                        if (strcmp(args[0], *k) == 0) {
                                r = fail(c, -EOPNOTSUPP, "'%s' statements are not supported", *k);
                                goto out;
                        }
        *ret_args = args;
        *ret_n = n;
        return 0;
out:
        free(w.s);
        strv_free(args);
        return r < 0 ? r : -EOPNOTSUPP;
}

static char *join_args(char **args, size_t n) {
        sbuf b = {};

        for (size_t i = 0; i < n; i++)
                if ((i > 0 && sbuf_add(&b, " ", 1) < 0) || sbuf_add(&b, args[i], strlen(args[i])) < 0) {
                        free(b.s);
                        return NULL;
                }
        if (!b.s && sbuf_add(&b, "", 0) < 0)
                return NULL;
        return b.s;
}

static int process_text(pctx *c, const char *name, char *text, bool top);

static int check_file_path(pctx *c, const char *path) {
        if (path[0] != '/')
                return fail(c, -EOPNOTSUPP,
                            "file \"%s\": only absolute paths on the boot medium are supported (no devices, no relative paths)",
                            path);
        return 0;
}

/* The file argument and the arguments after it, for multiboot2/module2. */
static int loader_command(pctx *c, char **args, size_t n, bool kernel) {
        _cleanup_free_ char *cmdline = NULL;
        size_t first = 1;
        int r;

        if (!c->in_entry)
                return fail(c, -EOPNOTSUPP, "%s outside a menu entry", args[0]);
        if (!kernel && n > 1 && strcmp(args[1], "--nounzip") == 0)
                first = 2;
        if (n <= first)
                return fail(c, -EINVAL, "%s without a file", args[0]);
        if (startswith(args[first], "--"))
                return fail(c, -EOPNOTSUPP, "%s option %s is not supported", args[0], args[first]);
        r = check_file_path(c, args[first]);
        if (r < 0)
                return r;
        for (size_t i = first + 1; i < n; i++)
                if (strpbrk(args[i], " \t\"'\\"))
                        return fail(c, -EOPNOTSUPP,
                                    "%s argument \"%s\": spaces and quotes are quoted by GRUB's loader, which is not replayed",
                                    args[0], args[i]);
        if (kernel && c->n_module2 > 0)
                return fail(c, -EOPNOTSUPP, "multiboot2 after module2");

        r = measure_file(c, kernel ? MEAS_KIND_KERNEL : MEAS_KIND_MODULE, kernel ? 0 : c->n_module2, args[first]);
        if (r < 0)
                return r;
        cmdline = join_args(args + first + 1, n - first - 1);
        if (!cmdline)
                return -ENOMEM;
        if (kernel)
                r = measure_string(c, 8, MEAS_KIND_KERNEL_CMDLINE, 0, cmdline);
        else
                r = measure_string(c, 8, MEAS_KIND_MODULE_CMDLINE, c->n_module2++, cmdline);
        return r;
}

static const char *const menuentry_value_options[] = { "--class", "--users", "--hotkey", "--id", NULL };

static int define_entry(pctx *c, char **args, size_t n, const char *block) {
        entry e = {};
        char **extra = NULL;
        size_t n_extra = 0;
        entry *ne;
        int r;

        for (size_t i = 1; i < n; i++) {
                const char *a = args[i];
                bool matched = false;

                if (startswith(a, "--")) {
                        if (strcmp(a, "--unrestricted") == 0)
                                continue;
                        for (const char *const *o = menuentry_value_options; *o; o++) {
                                size_t l = strlen(*o);

                                if (strncmp(a, *o, l) != 0 || (a[l] != '\0' && a[l] != '='))
                                        continue;
                                matched = true;
                                const char *val = a[l] == '=' ? a + l + 1 : (i + 1 < n ? args[++i] : NULL);
                                if (!val)
                                        return fail(c, -EINVAL, "menuentry option %s needs a value", *o);
                                if (strcmp(*o, "--id") == 0) {
                                        free(e.id);
                                        e.id = strdup(val);
                                        if (!e.id)
                                                return -ENOMEM;
                                }
                        }
                        if (!matched) {
                                free(e.id);
                                strv_free(extra);
                                return fail(c, -EOPNOTSUPP, "menuentry option %s is not supported", a);
                        }
                        continue;
                }
                if (!e.title) {
                        e.title = strdup(a);
                        if (!e.title)
                                return -ENOMEM;
                } else {
                        char *s = strdup(a);

                        if (!s || (r = args_push(&extra, &n_extra, s)) < 0) {
                                free(e.title);
                                free(e.id);
                                strv_free(extra);
                                return -ENOMEM;
                        }
                }
        }
        if (!e.title) {
                free(e.id);
                strv_free(extra);
                return fail(c, -EINVAL, "menuentry without a title");
        }
        e.extra = extra;
        e.block = strdup(block);
        ne = realloc(c->entries, (c->n_entries + 1) * sizeof(entry));
        if (!e.block || !ne) {
                entry_done(&e);
                return -ENOMEM;
        }
        c->entries = ne;
        c->entries[c->n_entries++] = e;
        return 0;
}

static const char *const refused_vars[] = {
        "prefix", "root", "lang", "locale_dir", "theme", "gfxmode", "gfxterm_font", "pager", NULL,
};

static int assign(pctx *c, const char *a) {
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(a, '=');

        if (!eq || eq == a)
                return fail(c, -EOPNOTSUPP, "set needs NAME=VALUE");
        name = strndup(a, (size_t) (eq - a));
        if (!name)
                return -ENOMEM;
        for (const char *q = name; *q; q++)
                if (!is_name_char(*q))
                        return fail(c, -EOPNOTSUPP, "invalid variable name \"%s\"", name);
        for (const char *const *v = refused_vars; *v; v++)
                if (strcmp(name, *v) == 0)
                        return fail(c, -EOPNOTSUPP,
                                    "setting $%s makes GRUB read further files, which is not replayed", name);
        return var_set(c, name, eq + 1);
}

static int boot_entry(pctx *c);

/* Run one command: measure it, load its module, then replay its effect. */
static int run_command(pctx *c, char **args, size_t n, const char *block) {
        _cleanup_free_ char *cmd = NULL;
        const char *name = args[0], *module;
        int r;

        if (block) {
                sbuf b = {};

                cmd = join_args(args, n);
                if (!cmd || sbuf_add(&b, cmd, strlen(cmd)) < 0 || sbuf_add(&b, " {", 2) < 0 ||
                    sbuf_add(&b, block, strlen(block)) < 0 || sbuf_add(&b, "}", 1) < 0) {
                        free(b.s);
                        return -ENOMEM;
                }
                free(cmd);
                cmd = b.s;
        } else {
                cmd = join_args(args, n);
                if (!cmd)
                        return -ENOMEM;
        }
        r = measure_string(c, 8, MEAS_KIND_GRUB_COMMAND, 0, cmd);
        if (r < 0)
                return r;

        if (strcmp(name, "menuentry") == 0) {
                if (!block)
                        return fail(c, -EOPNOTSUPP, "menuentry without a { block }");
                if (c->in_entry)
                        return fail(c, -EOPNOTSUPP, "menuentry inside a menu entry");
                return define_entry(c, args, n, block);
        }
        if (block)
                return fail(c, -EOPNOTSUPP, "a { block } for %s", name);
        if (strcmp(name, "set") == 0) {
                if (n != 2)
                        return fail(c, -EOPNOTSUPP, "set needs exactly one NAME=VALUE");
                return assign(c, args[1]);
        }
        if (strcmp(name, "unset") == 0) {
                for (size_t i = 1; i < n; i++) {
                        var *v = var_find(c, args[i]);

                        if (v) {
                                free(v->name);
                                free(v->value);
                                *v = c->vars[--c->n_vars];
                        }
                }
                return 0;
        }
        if (strcmp(name, "export") == 0) {
                for (size_t i = 1; i < n; i++) {
                        var *v = var_find(c, args[i]);

                        if (!v) {
                                r = var_set(c, args[i], "");
                                if (r < 0)
                                        return r;
                                v = var_find(c, args[i]);
                        }
                        v->exported = true;
                }
                return 0;
        }
        if (strcmp(name, "setparams") == 0)
                return 0;
        if (strcmp(name, "insmod") == 0) {
                if (n != 2)
                        return fail(c, -EINVAL, "insmod needs one module name");
                if (strchr(args[1], '/'))
                        return fail(c, -EOPNOTSUPP, "insmod of a path is not supported");
                return load_module(c, args[1], 0);
        }

        module = command_module(c, name);
        if (!module) {
                if (strchr(name, '=') && n == 1)
                        return assign(c, name);
                return fail(c, -EOPNOTSUPP, "unknown or unsupported command \"%s\"", name);
        }
        /* The command is registered by normal mode's autoloader: the module is loaded when the
         * command first runs, after the command line was measured. */
        r = load_module(c, module, 0);
        if (r < 0)
                return r;

        if (strcmp(name, "configfile") == 0 || strcmp(name, "source") == 0) {
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;
                bool new_context = strcmp(name, "configfile") == 0;
                var *saved_vars = NULL;
                size_t saved_n_vars = 0;
                const char *saved_file = c->file;
                unsigned saved_line = c->line;

                if (n != 2)
                        return fail(c, -EINVAL, "%s needs one file", name);
                if (c->in_entry)
                        return fail(c, -EOPNOTSUPP, "%s inside a menu entry", name);
                r = check_file_path(c, args[1]);
                if (r < 0)
                        return r;
                if (c->depth >= MAX_DEPTH)
                        return fail(c, -ELOOP, "%s nests too deep", name);
                r = measure_file(c, MEAS_KIND_GRUB_CONFIG, 0, args[1]);
                if (r < 0)
                        return r;
                r = boot_source_read(c->src, args[1], MAX_CONFIG_SIZE, &data, &size);
                if (r < 0)
                        return fail(c, r, "cannot read %s: %s", args[1], strerror(-r));
                if (memchr(data, 0, size))
                        return fail(c, -EINVAL, "%s contains a NUL byte", args[1]);
                if (new_context) {
                        /* configfile runs in a new context that sees only exported
                         * variables and builds a menu of its own. */
                        saved_vars = c->vars;
                        saved_n_vars = c->n_vars;
                        c->vars = NULL;
                        c->n_vars = 0;
                        for (size_t i = 0; i < saved_n_vars; i++)
                                if (saved_vars[i].exported) {
                                        r = var_set(c, saved_vars[i].name, saved_vars[i].value);
                                        if (r < 0)
                                                break;
                                        var_find(c, saved_vars[i].name)->exported = true;
                                }
                }
                if (r >= 0) {
                        c->depth++;
                        r = process_text(c, args[1], (char *) data, new_context);
                        c->depth--;
                }
                c->file = saved_file;
                c->line = saved_line;
                if (new_context) {
                        vars_free(c->vars, c->n_vars);
                        c->vars = saved_vars;
                        c->n_vars = saved_n_vars;
                }
                return r;
        }
        if (strcmp(name, "serial") == 0 || strcmp(name, "echo") == 0)
                return 0;
        if (strcmp(name, "terminal_input") == 0 || strcmp(name, "terminal_output") == 0) {
                for (size_t i = 1; i < n; i++) {
                        if (strcmp(args[i], "console") == 0)
                                continue;
                        if (startswith(args[i], "serial") && is_loaded(c, "serial"))
                                continue;
                        return fail(c, -EOPNOTSUPP,
                                    "terminal \"%s\" is not supported (only console, and serial after the serial module is loaded)",
                                    args[i]);
                }
                return 0;
        }
        if (strcmp(name, "multiboot2") == 0)
                return loader_command(c, args, n, true);
        if (strcmp(name, "module2") == 0)
                return loader_command(c, args, n, false);
        return fail(c, -EOPNOTSUPP, "command \"%s\" is not supported", name);
}

/* Recognise the stub's `if [ "$grub_platform" = "efi" ]; then insmod tpm; fi`. */
static bool is_tpm_line(const char *line, bool *ret_conditional) {
        static const char *const forms[] = {
                "if [ \"$grub_platform\" = \"efi\" ]; then insmod tpm; fi",
                "if [ \"${grub_platform}\" = \"efi\" ]; then insmod tpm; fi",
                "if [ $grub_platform = efi ]; then insmod tpm; fi",
        };
        char norm[256];
        size_t j = 0;
        bool space = false;

        for (const char *p = line; *p && j + 2 < sizeof(norm); p++) {
                if (*p == ' ' || *p == '\t') {
                        space = j > 0;
                        continue;
                }
                if (space)
                        norm[j++] = ' ';
                space = false;
                norm[j++] = *p;
        }
        norm[j] = '\0';
        if (strcmp(norm, "insmod tpm") == 0) {
                *ret_conditional = false;
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(forms); i++)
                if (strcmp(norm, forms[i]) == 0) {
                        *ret_conditional = true;
                        return true;
                }
        return false;
}

static bool is_trimmed(const char *line, const char *want) {
        size_t n = strlen(want);

        while (*line == ' ' || *line == '\t')
                line++;
        if (strncmp(line, want, n) != 0)
                return false;
        for (line += n; *line; line++)
                if (*line != ' ' && *line != '\t')
                        return false;
        return true;
}

static bool is_tpm_if_open(const char *line) {
        bool conditional;
        _cleanup_free_ char *joined = NULL;

        if (asprintf(&joined, "%s insmod tpm; fi", line) < 0)
                return false;
        return is_tpm_line(joined, &conditional) && conditional;
}

static int process_text(pctx *c, const char *name, char *text, bool top) {
        char *p = text;
        size_t first_entry = c->n_entries;
        int r = 0;
        unsigned lineno = 0;

        c->file = name;
        while (p && *p && !c->booted) {
                char *nl = strchr(p, '\n'), *line = p;
                _cleanup_(strv_freep) char **args = NULL;
                size_t n = 0;
                bool brace = false, conditional;
                const char *after = NULL;

                if (nl)
                        *nl = '\0';
                p = nl ? nl + 1 : NULL;
                c->line = ++lineno;
                if (line[0] == '#')
                        continue; /* dropped by read_config_file_getline() */
                if (strchr(line, '\r'))
                        return fail(c, -EOPNOTSUPP, "carriage return in the configuration");

                /* The same, spread over three lines: "if …; then" / "insmod tpm" / "fi". */
                if (!c->measuring && !c->in_entry && p && is_tpm_if_open(line)) {
                        char *l2 = p, *e2 = strchr(l2, '\n'), *l3, *e3;

                        if (e2) {
                                *e2 = '\0';
                                l3 = e2 + 1;
                                e3 = strchr(l3, '\n');
                                if (e3)
                                        *e3 = '\0';
                                if (is_trimmed(l2, "insmod tpm") && is_trimmed(l3, "fi")) {
                                        p = e3 ? e3 + 1 : NULL;
                                        lineno += 2;
                                        r = load_module(c, "test", 0);
                                        if (r < 0)
                                                return r;
                                        if (c->opts->bios)
                                                continue;
                                        r = load_module(c, "tpm", 0);
                                        if (r < 0)
                                                return r;
                                        c->measuring = true;
                                        continue;
                                }
                                if (e3)
                                        *e3 = '\n';
                                *e2 = '\n';
                        }
                }
                if (!c->measuring && !c->in_entry && is_tpm_line(line, &conditional)) {
                        if (conditional) {
                                r = load_module(c, "test", 0);
                                if (r < 0)
                                        return r;
                                if (c->opts->bios)
                                        continue;
                        } else if (c->opts->bios)
                                return fail(c, -EOPNOTSUPP, "unconditional insmod tpm fails on BIOS");
                        r = load_module(c, "tpm", 0);
                        if (r < 0)
                                return r;
                        c->measuring = true;
                        continue;
                }

                r = split_line(c, line, &args, &n, &brace, &after);
                if (r < 0)
                        return r;
                if (n == 0) {
                        if (brace)
                                return fail(c, -EOPNOTSUPP, "a '{' without a command");
                        continue;
                }
                if (brace) {
                        sbuf block = {};
                        bool closed = false;

                        /* The lexer records the block's text verbatim from after '{' to the
                         * closing '}' (lines starting with '#' never reach it). */
                        if (sbuf_add(&block, after, strlen(after)) < 0 || sbuf_add(&block, "\n", 1) < 0)
                                return -ENOMEM;
                        while (p && *p) {
                                char *bl = p, *bnl = strchr(p, '\n');
                                const char *t;

                                if (bnl)
                                        *bnl = '\0';
                                p = bnl ? bnl + 1 : NULL;
                                c->line = ++lineno;
                                if (bl[0] == '#')
                                        continue;
                                t = bl;
                                while (*t == ' ' || *t == '\t')
                                        t++;
                                if (t[0] == '}') {
                                        const char *u = t + 1;

                                        while (*u == ' ' || *u == '\t')
                                                u++;
                                        if (*u != '\0') {
                                                free(block.s);
                                                return fail(c, -EOPNOTSUPP, "text after the closing '}'");
                                        }
                                        r = sbuf_add(&block, bl, (size_t) (t - bl));
                                        closed = true;
                                        break;
                                }
                                if (strpbrk(bl, "{}\r")) {
                                        free(block.s);
                                        return fail(c, -EOPNOTSUPP, "braces or carriage returns inside a block");
                                }
                                r = sbuf_add(&block, bl, strlen(bl));
                                if (r >= 0)
                                        r = sbuf_add(&block, "\n", 1);
                                if (r < 0)
                                        break;
                        }
                        if (r < 0 || !closed) {
                                free(block.s);
                                return r < 0 ? r : fail(c, -EOPNOTSUPP, "block not closed");
                        }
                        r = run_command(c, args, n, block.s);
                        free(block.s);
                } else
                        r = run_command(c, args, n, NULL);
                if (r < 0)
                        return r;
        }

        /* normal mode shows the menu this file defined (configfile: nested, batch=0). */
        if (top && !c->booted && c->n_entries > first_entry && c->measuring) {
                r = boot_entry(c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int pick_entry(pctx *c, size_t *ret) {
        var *d;

        if (c->opts->entry >= 0) {
                if ((size_t) c->opts->entry >= c->n_entries)
                        return fail(c, -ERANGE, "menu entry %d does not exist (%zu entries)",
                                    c->opts->entry, c->n_entries);
                *ret = (size_t) c->opts->entry;
                return 0;
        }
        d = var_find(c, "default");
        if (!d || d->value[0] == '\0') {
                *ret = 0;
                return 0;
        }
        if (isdigit((unsigned char) d->value[0])) {
                uint64_t v;

                if (parse_u64(d->value, &v) < 0 || v >= c->n_entries)
                        return fail(c, -ERANGE, "default entry \"%s\" does not exist", d->value);
                *ret = (size_t) v;
                return 0;
        }
        for (size_t i = 0; i < c->n_entries; i++)
                if (strcmp(c->entries[i].title, d->value) == 0 ||
                    (c->entries[i].id && strcmp(c->entries[i].id, d->value) == 0)) {
                        *ret = i;
                        return 0;
                }
        return fail(c, -ERANGE, "default entry \"%s\" does not exist", d->value);
}

static int boot_entry(pctx *c) {
        _cleanup_free_ char *setparams = NULL, *src = NULL;
        char **sp = NULL;
        size_t n_sp = 0, idx = 0;
        entry *e;
        int r;

        r = pick_entry(c, &idx);
        if (r < 0)
                return r;
        e = &c->entries[idx];
        c->booted = true;
        c->in_entry = true;
        c->n_module2 = 0;

        /* menuentry.c prefixes the entry's source with "setparams 'title' 'args'...". */
        r = args_push(&sp, &n_sp, strdup("setparams"));
        if (r >= 0)
                r = args_push(&sp, &n_sp, strdup(e->title));
        for (char **x = e->extra; r >= 0 && x && *x; x++)
                r = args_push(&sp, &n_sp, strdup(*x));
        if (r < 0) {
                strv_free(sp);
                return r;
        }
        r = run_command(c, sp, n_sp, NULL);
        strv_free(sp);
        if (r < 0)
                return r;

        src = strdup(e->block);
        if (!src)
                return -ENOMEM;
        c->file = e->title;
        c->line = 0;
        for (char *p = src; p && *p;) {
                char *nl = strchr(p, '\n'), *line = p;
                _cleanup_(strv_freep) char **args = NULL;
                size_t n = 0;
                bool brace;
                const char *after;

                if (nl)
                        *nl = '\0';
                p = nl ? nl + 1 : NULL;
                c->line++;
                r = split_line(c, line, &args, &n, &brace, &after);
                if (r < 0)
                        return r;
                if (brace)
                        return fail(c, -EOPNOTSUPP, "a block inside a menu entry");
                if (n == 0)
                        continue;
                r = run_command(c, args, n, NULL);
                if (r < 0)
                        return r;
        }
        c->in_entry = false;
        return 0;
}

int grub_predict(boot_source *src, const grub_predict_options *opts, meas_log *ret_log,
                 char **ret_error) {
        pctx c = {
                .src = src,
                .opts = opts,
                .log = ret_log,
                .module_dir = opts->module_dir ?: "/boot/grub/x86_64-efi",
        };
        const char *config = opts->config ?: "/boot/grub/grub.cfg";
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        int r;

        r = read_command_list(&c);
        if (r < 0)
                goto out;
        /* Loaded before measurement starts: the core image, normal mode and what
         * GRUB_MOD_INIT(normal) loads (gzio). */
        for (const char *const *m = opts->core_modules ?: mkrescue_core_modules; *m; m++) {
                r = load_module(&c, *m, 0);
                if (r < 0)
                        goto out;
        }
        r = load_module(&c, "normal", 0);
        if (r >= 0)
                r = load_module(&c, "gzio", 0);
        if (r < 0)
                goto out;

        r = boot_source_read(src, config, MAX_CONFIG_SIZE, &data, &size);
        if (r < 0) {
                r = fail(&c, r, "cannot read %s: %s", config, strerror(-r));
                goto out;
        }
        if (memchr(data, 0, size)) {
                r = fail(&c, -EINVAL, "%s contains a NUL byte", config);
                goto out;
        }
        r = process_text(&c, config, (char *) data, true);
        if (r < 0)
                goto out;
        if (!opts->bios && !c.measuring && !c.error) {
                c.file = NULL;
                r = fail(&c, -EOPNOTSUPP, "%s never loads the tpm module: nothing would be measured", config);
                goto out;
        }
        if (c.measuring && !c.booted) {
                c.file = NULL;
                r = fail(&c, -EOPNOTSUPP, "no menu entry is booted");
                goto out;
        }
        r = 0;
out:
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(c.error);
        free(c.error);
        for (size_t i = 0; i < c.n_loaded; i++)
                free(c.loaded[i]);
        free(c.loaded);
        for (size_t i = 0; i < c.n_cmds; i++) {
                free(c.cmd_names[i]);
                free(c.cmd_modules[i]);
        }
        free(c.cmd_names);
        free(c.cmd_modules);
        vars_free(c.vars, c.n_vars);
        for (size_t i = 0; i < c.n_entries; i++)
                entry_done(&c.entries[i]);
        free(c.entries);
        return r;
}
