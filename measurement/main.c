/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-measure: predict, seal, unseal and explain Cairn's boot measurements.
 * One function per verb; see `cairn-measure --help` and docs/measurement.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cairn-config.h"
#include "eventlog.h"
#include "grub-predict.h"
#include "tpm2-util.h"
#include "log.h"
#include "util.h"

typedef struct medium_args {
        const char *root, *iso, *config;
        int entry;
        bool bios;
        char **core_modules;
} medium_args;

static bool arg_json;

static void medium_args_done(medium_args *m) {
        if (m->core_modules) {
                for (char **p = m->core_modules; *p; p++)
                        free(*p);
                free(m->core_modules);
        }
}

static int parse_core_modules(const char *s, char ***ret) {
        _cleanup_free_ char *copy = strdup(s);
        char **l = NULL, *tok, *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
                char **nl = realloc(l, (n + 2) * sizeof(char *));

                if (!nl)
                        return -ENOMEM;
                l = nl;
                l[n] = strdup(tok);
                l[++n] = NULL;
                if (!l[n - 1])
                        return -ENOMEM;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = l;
        return 0;
}

/* Options shared by every verb that reads a boot medium. Returns 1 if consumed. */
enum {
        OPT_ROOT = 0x100,
        OPT_ISO,
        OPT_ENTRY,
        OPT_BIOS,
        OPT_CORE_MODULES,
        OPT_CONFIG,
        OPT_JSON,
};

#define MEDIUM_OPTIONS                                                   \
        { "root", required_argument, NULL, OPT_ROOT },                   \
        { "iso", required_argument, NULL, OPT_ISO },                     \
        { "entry", required_argument, NULL, OPT_ENTRY },                 \
        { "bios", no_argument, NULL, OPT_BIOS },                         \
        { "core-modules", required_argument, NULL, OPT_CORE_MODULES },   \
        { "grub-config", required_argument, NULL, OPT_CONFIG }

static int medium_option(medium_args *m, int c, const char *arg) {
        uint64_t v;
        int r;

        switch (c) {
        case OPT_ROOT:
                m->root = arg;
                return 1;
        case OPT_ISO:
                m->iso = arg;
                return 1;
        case OPT_ENTRY:
                if (parse_u64(arg, &v) < 0 || v > 1000)
                        return log_error_errno(-EINVAL, "Invalid --entry: %s", arg);
                m->entry = (int) v;
                return 1;
        case OPT_BIOS:
                m->bios = true;
                return 1;
        case OPT_CORE_MODULES:
                r = parse_core_modules(arg, &m->core_modules);
                return r < 0 ? log_oom() : 1;
        case OPT_CONFIG:
                m->config = arg;
                return 1;
        }
        return 0;
}

static int medium_predict(const medium_args *m, meas_log *log) {
        _cleanup_(boot_source_freep) boot_source *src = NULL;
        _cleanup_free_ char *error = NULL;
        grub_predict_options o = GRUB_PREDICT_OPTIONS_INIT;
        int r;

        if (!!m->root == !!m->iso)
                return log_error_errno(-EINVAL, "Give exactly one of --root DIR or --iso FILE.");
        if (m->root)
                r = boot_source_open_dir(m->root, &src);
        else
                r = boot_source_open_iso(m->iso, &src);
        if (r < 0)
                return log_error_errno(r, "Failed to open boot medium %s: %m", m->root ?: m->iso);
        o.entry = m->entry;
        o.bios = m->bios;
        o.config = m->config;
        o.core_modules = (const char *const *) m->core_modules;
        r = grub_predict(src, &o, log, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot predict the measurements of %s: %s", m->root ?: m->iso,
                                       error ?: strerror(-r));
        return 0;
}

static void print_text_event(const meas_event *e) {
        char hex[2 * MEAS_DIGEST_SIZE + 1];
        const char *t = e->text ?: "";

        hex_encode(e->digest, MEAS_DIGEST_SIZE, hex);
        printf("%-3u %s %-14s ", e->pcr, hex, meas_kind_to_string(e->kind));
        /* Commands can span lines (menuentry blocks): show them escaped on one line. */
        for (const char *p = t; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", stdout);
                else if (*p == '\t')
                        fputs("\\t", stdout);
                else if ((unsigned char) *p < 0x20)
                        printf("\\x%02x", (unsigned char) *p);
                else
                        putchar(*p);
        }
        putchar('\n');
}

static json_object *event_to_json(const meas_event *e) {
        char hex[2 * MEAS_DIGEST_SIZE + 1];
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        hex_encode(e->digest, MEAS_DIGEST_SIZE, hex);
        json_object_object_add(o, "pcr", json_object_new_int((int) e->pcr));
        json_object_object_add(o, "kind", json_object_new_string(meas_kind_to_string(e->kind)));
        if (e->kind == MEAS_KIND_MODULE || e->kind == MEAS_KIND_MODULE_CMDLINE)
                json_object_object_add(o, "index", json_object_new_int((int) e->index));
        json_object_object_add(o, "digest", json_object_new_string(hex));
        if (e->text)
                json_object_object_add(o, "text", json_object_new_string(e->text));
        return o;
}

static int verb_predict(int argc, char **argv) {
        static const struct option options[] = {
                MEDIUM_OPTIONS,
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        medium_args m = { .entry = -1 };
        meas_log log = {};
        uint8_t pcr[MEAS_DIGEST_SIZE];
        char hex[2 * MEAS_DIGEST_SIZE + 1];
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("cairn-measure predict (--root DIR | --iso FILE) [--entry N] [--json]\n"
                               "        [--bios] [--core-modules M,M...] [--grub-config PATH]\n"
                               "Prints the PCR 8 and 9 values (SHA-256) GRUB will produce booting the medium.\n");
                        medium_args_done(&m);
                        return 0;
                }
                if (c == OPT_JSON) {
                        arg_json = true;
                        continue;
                }
                r = medium_option(&m, c, optarg);
                if (r == 0)
                        r = -EINVAL;
                if (r < 0) {
                        medium_args_done(&m);
                        return r;
                }
        }
        r = medium_predict(&m, &log);
        medium_args_done(&m);
        if (r < 0) {
                meas_log_done(&log);
                return r;
        }

        if (arg_json) {
                json_object *root = json_object_new_object(), *events = json_object_new_array();

                for (unsigned p = 8; p <= 9; p++) {
                        char key[8];

                        meas_log_replay(&log, p, pcr);
                        hex_encode(pcr, sizeof(pcr), hex);
                        snprintf(key, sizeof(key), "pcr%u", p);
                        json_object_object_add(root, key, json_object_new_string(hex));
                }
                for (size_t i = 0; i < log.n_events; i++)
                        json_object_array_add(events, event_to_json(&log.events[i]));
                json_object_object_add(root, "events", events);
                puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(root);
        } else {
                for (size_t i = 0; i < log.n_events; i++)
                        print_text_event(&log.events[i]);
                for (unsigned p = 8; p <= 9; p++) {
                        meas_log_replay(&log, p, pcr);
                        hex_encode(pcr, sizeof(pcr), hex);
                        printf("pcr%u: %s\n", p, hex);
                }
        }
        meas_log_done(&log);
        return 0;
}

static int verb_pcrs(int argc, char **argv) {
        static const struct option options[] = {
                { "pcrs", required_argument, NULL, 'p' },
                { "tcti", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        tpm2_pcr_values v = {};
        uint32_t mask = 0xffffff;
        const char *tcti = NULL;
        char hex[2 * MEAS_DIGEST_SIZE + 1];
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        if (pcr_mask_from_string(optarg, &mask) < 0)
                                return log_error_errno(-EINVAL, "Invalid --pcrs: %s", optarg);
                        break;
                case 't':
                        tcti = optarg;
                        break;
                case 'h':
                        printf("cairn-measure pcrs [--pcrs LIST] [--tcti TCTI]\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        r = tpm2_context_new(tcti, &tpm);
        if (r >= 0)
                r = tpm2_pcr_read(tpm, mask, v);
        if (r < 0)
                return log_error_errno(r, "Cannot read the PCRs: %s", tpm2_strerror(r));
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++)
                if (mask & (1u << i)) {
                        hex_encode(v[i], MEAS_DIGEST_SIZE, hex);
                        printf("%u %s\n", i, hex);
                }
        return 0;
}

static int verb_eventlog(int argc, char **argv) {
        _cleanup_free_ char *data = NULL;
        const char *path = argc > 1 ? argv[1] : "/sys/kernel/security/tpm0/binary_bios_measurements";
        eventlog_info info = {};
        meas_log log = {};
        size_t size;
        int r;

        r = read_full_file(path, EVENTLOG_MAX_SIZE, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read the event log %s: %m", path);
        r = eventlog_parse((const uint8_t *) data, size, &log, &info);
        if (r < 0)
                return log_error_errno(r, "The event log %s is malformed: %m", path);
        for (size_t i = 0; i < log.n_events; i++)
                print_text_event(&log.events[i]);
        for (unsigned p = 0; p < 8; p++)
                if (meas_log_pcrs(&log) & (1u << p)) {
                        uint8_t v[MEAS_DIGEST_SIZE];
                        char hex[2 * MEAS_DIGEST_SIZE + 1];

                        meas_log_replay(&log, p, v);
                        hex_encode(v, sizeof(v), hex);
                        printf("pcr%u: %s\n", p, hex);
                }
        printf("%zu events, %s format%s\n", info.n_events, info.crypto_agile ? "crypto-agile" : "SHA-1",
               info.has_sha256 ? "" : " (no SHA-256 digests: nothing to replay)");
        meas_log_done(&log);
        return 0;
}

typedef struct verb {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *help;
} verb;

static const verb verbs[] = {
        { "predict", verb_predict, "compute PCR 8/9 for a boot medium" },
        { "pcrs", verb_pcrs, "print the TPM's SHA-256 PCR values" },
        { "eventlog", verb_eventlog, "parse and replay a firmware event log [FILE]" },
};

static void help(void) {
        printf("cairn-measure %s: Cairn boot measurements\n\nVerbs:\n", CAIRN_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char **argv) {
        const char *lvl = getenv("CAIRN_LOG_LEVEL");
        int r;

        log_set_program_name(argv[0]);
        if (lvl && (r = log_level_from_string(lvl)) >= 0)
                log_set_max_level(r);
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                help();
                return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0) {
                        r = verbs[i].fn(argc - 1, argv + 1);
                        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
                }
        log_error("Unknown verb \"%s\"; see --help.", argv[1]);
        return EXIT_FAILURE;
}
