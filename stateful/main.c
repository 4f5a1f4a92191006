/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-config: create, unlock, reseal and explain Cairn's encrypted config volume.
 *
 * Exit codes (stable; the initramfs hook depends on them):
 *   0 done (unlocked / verified / written)        5 policy mismatch: measurements changed
 *   1 other error                                 6 TPM dictionary-attack lockout
 *   2 usage error                                 7 wrong PIN or wrong recovery passphrase
 *   3 no TPM                                      8 no cairn-tpm2 token on the volume
 *   4 TPM disabled / not started                  9 only a PIN is needed: PCRs match (--pin-file)
 * Secrets are read from files ("-" = stdin), never from the command line, and never printed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cairn-config.h"
#include "configvol.h"
#include "grub-predict.h"
#include "log.h"
#include "prompt.h"
#include "report.h"
#include "secret.h"
#include "util.h"

enum {
        EXIT_USAGE = 2,
        EXIT_NO_TPM = 3,
        EXIT_TPM_DISABLED = 4,
        EXIT_POLICY = 5,
        EXIT_LOCKOUT = 6,
        EXIT_BAD_AUTH = 7,
        EXIT_NO_TOKEN = 8,
        EXIT_NEED_PIN = 9,
};

static const char *arg_device;
static const char *arg_name;
static const char *arg_tcti;
static const char *arg_pin_file;
static const char *arg_old_pin_file;
static const char *arg_recovery_file;
static const char *arg_root;
static const char *arg_iso;
static const char *arg_eventlog;
static const char *arg_tty;
static unsigned arg_attempts = 3;
static int arg_entry = -1;
static bool arg_bios;
static bool arg_tpm = true;
static bool arg_json;
static uint32_t arg_pcrs = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 7) | (1u << 8) | (1u << 9);
static uint32_t arg_recovery_ms;
static uint32_t arg_recovery_kb;

static int exit_code(int r) {
        switch (r) {
        case 0:
                return 0;
        case -ENODEV:
                return EXIT_NO_TPM;
        case -ENXIO:
                return EXIT_TPM_DISABLED;
        case -EKEYREJECTED:
                return EXIT_POLICY;
        case -ENOLCK:
                return EXIT_LOCKOUT;
        case -EACCES:
        case -ENOKEY:
                return EXIT_BAD_AUTH;
        case -ENOENT:
                return EXIT_NO_TOKEN;
        case -ENOPKG:
                return EXIT_NEED_PIN;
        case -EINVAL:
                return EXIT_USAGE;
        default:
                return 1;
        }
}

/* Read a secret from a file or stdin into locked memory; drop one trailing newline. */
static int read_secret(const char *path, char **ret, size_t *ret_size) {
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return negative_errno();
        buf = secret_alloc(1024);
        if (!buf) {
                if (f != stdin)
                        fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, 1023, f);
        if (f != stdin)
                fclose(f);
        if (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        if (n == 0 || strlen(buf) != n) {
                secret_free(buf);
                return -EINVAL;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

static int predict_medium(meas_log *log, tpm2_pcr_values values) {
        _cleanup_(boot_source_freep) boot_source *src = NULL;
        _cleanup_free_ char *error = NULL;
        grub_predict_options o = GRUB_PREDICT_OPTIONS_INIT;
        int r;

        o.entry = arg_entry;
        o.bios = arg_bios;
        r = arg_root ? boot_source_open_dir(arg_root, &src) : boot_source_open_iso(arg_iso, &src);
        if (r < 0)
                return log_error_errno(r, "Failed to open boot medium %s: %m", arg_root ?: arg_iso);
        r = grub_predict(src, &o, log, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot predict the measurements of %s: %s", arg_root ?: arg_iso,
                                       error ?: strerror(-r));
        meas_log_replay(log, 8, values[8]);
        meas_log_replay(log, 9, values[9]);
        return 0;
}

/* The console line the initramfs shows: on stdout, without the program prefix. */
static void locked_line(const char *fmt, ...) _printf_(1, 2);
static void locked_line(const char *fmt, ...) {
        va_list ap;

        fputs("cairn: config locked: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static void tpm_error(int r, const configvol_unlock_result *res) {
        char buf[128];

        switch (r) {
        case -EKEYREJECTED:
                locked_line("measurements changed (PCR %s)",
                          pcr_mask_to_string(res ? res->mismatch_mask : 0, buf, sizeof(buf)));
                break;
        case -ENOLCK: {
                uint64_t left = res ? tpm2_lockout_remaining(&res->lockout) : 0;

                if (left == UINT64_MAX)
                        locked_line("TPM lockout (%u failed attempts); it lasts until the TPM lockout is reset",
                                  res->lockout.counter);
                else
                        locked_line("TPM lockout after %u failed PIN attempts (limit %u); retry in at most %llu s",
                                  res ? res->lockout.counter : 0, res ? res->lockout.max_tries : 0,
                                  (unsigned long long) left);
                break;
        }
        case -EACCES:
                locked_line("wrong PIN (%u of %u failed attempts before lockout)",
                          res ? res->lockout.counter : 0, res ? res->lockout.max_tries : 0);
                break;
        case -ENOPKG:
                locked_line("a TPM PIN is needed (the measurements match)");
                break;
        case -ENOENT:
                locked_line("the volume has no TPM key (use the recovery passphrase)");
                break;
        case -ENOKEY:
                locked_line("the unsealed key does not open the volume");
                break;
        default:
                locked_line("%s", tpm2_strerror(r));
        }
}

static int seal_params(configvol_seal *s, meas_log *log, char **pin, size_t *pin_size) {
        int r;

        *s = (configvol_seal) { .tcti = arg_tcti, .pcr_mask = arg_pcrs };
        if (arg_root || arg_iso) {
                r = predict_medium(log, s->predicted);
                if (r < 0)
                        return r;
                s->predicted_mask = (1u << 8) | (1u << 9);
                s->events = log;
        }
        if (arg_pin_file) {
                r = read_secret(arg_pin_file, pin, pin_size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the PIN from %s: %m", arg_pin_file);
                s->pin = *pin;
        }
        return 0;
}

static int verb_format(void) {
        _cleanup_(secret_freep) void *pass = NULL, *pin = NULL;
        configvol_format_options o = { .recovery_time_ms = arg_recovery_ms, .recovery_memory_kb = arg_recovery_kb };
        configvol_seal s;
        meas_log log = {};
        size_t pass_size, pin_size;
        int r;

        if (!arg_recovery_file)
                return log_error_errno(-EINVAL, "format needs --recovery-passphrase-file.");
        r = read_secret(arg_recovery_file, (char **) &pass, &pass_size);
        if (r < 0)
                return log_error_errno(r, "Failed to read the recovery passphrase from %s: %m", arg_recovery_file);
        if (arg_tpm) {
                r = seal_params(&s, &log, (char **) &pin, &pin_size);
                if (r < 0)
                        goto out;
        }
        r = configvol_format(arg_device, pass, pass_size, arg_tpm ? &s : NULL, &o);
        if (r < 0) {
                if (arg_tpm && (r == -ENODEV || r == -ENXIO || r == -ENOLCK))
                        log_error("Cannot seal the key: %s", tpm2_strerror(r));
                else
                        log_error_errno(r, "Failed to create the config volume on %s: %m", arg_device);
                goto out;
        }
        log_info("Created config volume %s%s.", arg_device, arg_tpm ? " with a TPM-sealed key" : "");
out:
        meas_log_done(&log);
        return r;
}

static int verb_unlock(void) {
        _cleanup_(secret_freep) void *pin = NULL;
        configvol_unlock_result res = {};
        size_t pin_size;
        int r;

        if (arg_pin_file) {
                r = read_secret(arg_pin_file, (char **) &pin, &pin_size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the PIN from %s: %m", arg_pin_file);
        }
        r = configvol_unlock_tpm(arg_device, arg_name, arg_tcti, pin, &res);
        if (r < 0) {
                tpm_error(r, &res);
                return r;
        }
        printf("cairn: config unlocked\n");
        return 0;
}

static int verb_recover(void) {
        _cleanup_(secret_freep) void *pass = NULL;
        size_t size;
        int r;

        if (!arg_recovery_file)
                return log_error_errno(-EINVAL, "recover needs --recovery-passphrase-file.");
        r = read_secret(arg_recovery_file, (char **) &pass, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read the recovery passphrase: %m");
        r = configvol_unlock_recovery(arg_device, arg_name, pass, size);
        if (r == -ENOKEY) {
                locked_line("wrong recovery passphrase");
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to open %s: %m", arg_device);
        printf("cairn: config unlocked\n");
        return 0;
}

static int verb_reseal(void) {
        _cleanup_(secret_freep) void *pass = NULL, *pin = NULL, *old_pin = NULL;
        configvol_seal s;
        meas_log log = {};
        size_t pass_size = 0, pin_size, old_size;
        int r;

        if (arg_recovery_file) {
                r = read_secret(arg_recovery_file, (char **) &pass, &pass_size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the recovery passphrase: %m");
        }
        if (arg_old_pin_file) {
                r = read_secret(arg_old_pin_file, (char **) &old_pin, &old_size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the old PIN: %m");
        }
        r = seal_params(&s, &log, (char **) &pin, &pin_size);
        if (r >= 0)
                r = configvol_reseal(arg_device, pass, pass_size, old_pin, &s);
        meas_log_done(&log);
        if (r == -ENOKEY)
                return log_error_errno(r, "Wrong recovery passphrase.");
        if (r < 0) {
                log_error("Failed to reseal %s: %s", arg_device, tpm2_strerror(r));
                return r;
        }
        log_info("Resealed the config key of %s.", arg_device);
        return 0;
}

/* The seal for "this boot": the token's PCRs at their current values. With --root/--iso the
 * prediction for that medium is recorded too (so a later report can name what changed), but
 * only when it equals what the TPM shows now; otherwise the current values are sealed alone. */
static int seal_this_boot(configvol_seal *s, meas_log *log) {
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        tpm2_pcr_values current = {};
        cairn_token t = {};
        int r;

        *s = (configvol_seal) { .tcti = arg_tcti, .pcr_mask = arg_pcrs };
        r = configvol_read_token(arg_device, &t);
        if (r >= 0) {
                s->pcr_mask = t.pcr_mask;
                cairn_token_done(&t);
        }
        if (!arg_root && !arg_iso)
                return 0;
        r = predict_medium(log, s->predicted);
        if (r < 0)
                return 0;
        r = tpm2_context_new(arg_tcti, &tpm);
        if (r < 0)
                return r;
        r = tpm2_pcr_read(tpm, (1u << 8) | (1u << 9), current);
        if (r < 0)
                return r;
        if (memcmp(current[8], s->predicted[8], MEAS_DIGEST_SIZE) == 0 &&
            memcmp(current[9], s->predicted[9], MEAS_DIGEST_SIZE) == 0) {
                s->predicted_mask = (1u << 8) | (1u << 9);
                s->events = log;
        } else
                log_warning("This boot did not follow the prediction for %s; sealing to the current values "
                            "without a record of the boot files.", arg_root ?: arg_iso);
        return 0;
}

/* A status line for the consoles (stdout): never anything that was typed. */
static void status_line(const char *fmt, ...) _printf_(1, 2);
static void status_line(const char *fmt, ...) {
        va_list ap;

        fputs("cairn: config recovery: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

#define PROMPT_PIN_MAX 256

/* The TPM refuses every PIN for now: say so on the terminal and the consoles. */
static void lockout_lines(int fd, const tpm2_lockout *l) {
        uint64_t left = tpm2_lockout_remaining(l);
        char when[64];

        if (l->max_tries == 0 && l->counter == 0) /* the TPM did not tell */
                snprintf(when, sizeof(when), "for now");
        else if (left == UINT64_MAX || l->max_tries == 0)
                snprintf(when, sizeof(when), "until its lockout is reset");
        else
                snprintf(when, sizeof(when), "for at most %llu s", (unsigned long long) left);
        dprintf(fd, "  The TPM is in dictionary-attack lockout after %u failed PIN attempts: it\n"
                    "  refuses every PIN %s (time counted while it is powered on).\n"
                    "  Use the recovery passphrase.\n",
                l->counter, when);
        status_line("TPM lockout after %u failed PIN attempts (limit %u): PINs refused %s; "
                    "asking for the recovery passphrase",
                    l->counter, l->max_tries, when);
}

/* The TPM's dictionary-attack state (the connection is closed again before anyone is asked). */
static int read_lockout(tpm2_lockout *ret) {
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        int r;

        r = tpm2_context_new(arg_tcti, &tpm);
        if (r < 0)
                return r;
        return tpm2_get_lockout(tpm, ret);
}

/* The token wants a PIN and the measurements match: ask for the TPM PIN (up to --attempts
 * times) and open the volume with it.  Returns 0 when it is open, -ENODATA when the
 * recovery passphrase is to be asked instead (an empty line, lockout, too many wrong
 * PINs, the TPM refused for another reason), other < 0 when the terminal fails. */
static int prompt_pin(int fd, const char *tty) {
        dprintf(fd, "\n  The config volume %s is locked: its key is sealed with a TPM PIN, and this\n"
                    "  boot is the one it was sealed to.\n"
                    "  Type the TPM PIN to open it (nothing is shown as you type).\n"
                    "  Press Enter on an empty line to use the recovery passphrase instead.\n\n",
                arg_device);
        status_line("type the TPM PIN on %s (an empty line: the recovery passphrase)", tty);
        for (unsigned i = 1; i <= arg_attempts; i++) {
                _cleanup_(secret_freep) void *pin = NULL;
                configvol_unlock_result res = {};
                size_t size;
                int r;

                r = prompt_secret(fd, "  TPM PIN: ", PROMPT_PIN_MAX, (char **) &pin, &size);
                if (r == -ENODATA) {
                        dprintf(fd, "  No PIN: the recovery passphrase, then.\n");
                        status_line("no PIN typed; asking for the recovery passphrase");
                        return -ENODATA;
                }
                if (r == -E2BIG) {
                        dprintf(fd, "  That is too long for a PIN.\n");
                        continue;
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to read from %s: %m", tty);
                r = configvol_unlock_tpm(arg_device, arg_name, arg_tcti, pin, &res);
                if (r >= 0) {
                        dprintf(fd, "  The TPM released the key: the config volume is open.\n");
                        status_line("opened with the TPM PIN");
                        return 0;
                }
                if (r == -EACCES) {
                        const tpm2_lockout *l = &res.lockout;

                        if (l->max_tries > 0 && l->counter < l->max_tries) {
                                unsigned left = l->max_tries - l->counter;

                                dprintf(fd, "  Wrong PIN. The TPM allows %u more wrong PIN%s before it locks out.\n",
                                        left, left == 1 ? "" : "s");
                                status_line("wrong PIN (attempt %u of %u; %u more before TPM lockout)", i,
                                            arg_attempts, left);
                                continue;
                        }
                        if (l->max_tries == 0) { /* the TPM did not say */
                                dprintf(fd, "  Wrong PIN.\n");
                                status_line("wrong PIN (attempt %u of %u)", i, arg_attempts);
                                continue;
                        }
                        /* That was the last try the TPM allowed: it is in lockout now. */
                        dprintf(fd, "  Wrong PIN.\n");
                        r = -ENOLCK;
                }
                if (r == -ENOLCK) {
                        lockout_lines(fd, &res.lockout);
                        return -ENODATA;
                }
                dprintf(fd, "  The TPM did not release the key: %s.\n  Use the recovery passphrase.\n",
                        tpm2_strerror(r));
                status_line("the TPM did not release the key (%s); asking for the recovery passphrase",
                            tpm2_strerror(r));
                return -ENODATA;
        }
        dprintf(fd, "  %u wrong PINs. Use the recovery passphrase.\n", arg_attempts);
        status_line("%u wrong PINs; asking for the recovery passphrase", arg_attempts);
        return -ENODATA;
}

/* Ask for a new TPM PIN twice (for resealing a key that had one). Returns 0 and the PIN,
 * -ENODATA for "no PIN" (an empty line), -EPIPE/-EIO on terminal errors. */
static int prompt_new_pin(int fd, char **ret) {
        for (unsigned i = 0; i < 3; i++) {
                _cleanup_(secret_freep) void *a = NULL, *b = NULL;
                size_t na, nb;
                int r;

                r = prompt_secret(fd, "  New TPM PIN (empty: no PIN): ", PROMPT_PIN_MAX, (char **) &a, &na);
                if (r == -ENODATA)
                        return r;
                if (r == -E2BIG) {
                        dprintf(fd, "  That is too long for a PIN.\n");
                        continue;
                }
                if (r < 0)
                        return r;
                r = prompt_secret(fd, "  The same PIN again: ", PROMPT_PIN_MAX, (char **) &b, &nb);
                if (r < 0 && r != -ENODATA && r != -E2BIG)
                        return r;
                if (r >= 0 && na == nb && memcmp(a, b, na) == 0) {
                        *ret = TAKE_PTR(a);
                        return 0;
                }
                dprintf(fd, "  The two PINs differ.\n");
        }
        return -EIO;
}

/* Interactive opening at a terminal.  When the token wants a PIN and the measurements
 * match, ask for the TPM PIN first (an empty line skips to the passphrase); nothing changed,
 * so no reseal is offered.  Otherwise ask for the recovery passphrase (echo off, up to
 * --attempts times), open the volume, then offer to reseal the key to this boot (with a
 * new PIN when the key had one). Status lines for the consoles go to stdout; nothing typed
 * is ever printed. */
static int verb_prompt(void) {
        _cleanup_(secret_freep) void *pass = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *tty = arg_tty ?: "/dev/tty";
        cairn_token t = {};
        bool yes, had_pin = false, pin_asked = false;
        size_t size = 0;
        int r = -ENOKEY;

        fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Failed to open the terminal %s: %m", tty);
        (void) tcflush(fd, TCIFLUSH); /* keys pressed before the question do not count */

        if (configvol_read_token(arg_device, &t) >= 0) {
                had_pin = t.pin;
                cairn_token_done(&t);
        }
        if (had_pin) {
                configvol_unlock_result res = {};

                /* No PIN given: this only compares the PCRs (-ENOPKG: they match). */
                r = configvol_unlock_tpm(arg_device, NULL, arg_tcti, NULL, &res);
                if (r == -ENOPKG) {
                        pin_asked = true;
                        (void) tcflush(fd, TCIFLUSH); /* nor keys pressed while the TPM was asked */
                        /* Already in lockout: do not ask for a PIN the TPM would refuse. */
                        if (read_lockout(&res.lockout) >= 0 && res.lockout.in_lockout) {
                                lockout_lines(fd, &res.lockout);
                                r = -ENODATA;
                        } else
                                r = prompt_pin(fd, tty);
                        if (r >= 0) {
                                printf("cairn: config unlocked\n");
                                return 0;
                        }
                        if (r != -ENODATA)
                                return r;
                }
        }

        dprintf(fd, "\n  The config volume %s is locked.\n"
                    "  Type the recovery passphrase to open it (nothing is shown as you type).\n\n",
                arg_device);
        status_line("type the recovery passphrase on %s", tty);
        r = -ENOKEY;
        for (unsigned i = 1; i <= arg_attempts; i++) {
                r = prompt_secret(fd, "  Recovery passphrase: ", 1024, (char **) &pass, &size);
                if (r == -ENODATA || r == -E2BIG) {
                        dprintf(fd, "  %s\n", r == -ENODATA ? "Nothing was typed." : "That is too long.");
                        r = -ENOKEY;
                        continue;
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to read from %s: %m", tty);
                r = configvol_unlock_recovery(arg_device, arg_name, pass, size);
                if (r != -ENOKEY)
                        break;
                pass = (secret_free(pass), NULL);
                dprintf(fd, "  That passphrase does not open the volume.\n");
                status_line("wrong passphrase (attempt %u of %u)", i, arg_attempts);
        }
        if (r == -ENOKEY) {
                dprintf(fd, "  The config volume stays locked. Restart to try again.\n");
                locked_line("wrong recovery passphrase (%u attempts)", arg_attempts);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to open %s: %m", arg_device);
        printf("cairn: config unlocked\n");
        fflush(stdout);
        if (pin_asked) {
                /* The boot is the one the key is sealed to: the PIN still opens it. */
                dprintf(fd, "  The config volume is open. Its key is unchanged: the TPM PIN still opens it.\n");
                status_line("not resealed: the boot is the one the key is sealed to");
                return 0;
        }

        r = prompt_yes_no(fd, "\n  The config volume is open. Seal its key to this boot, so that the next\n"
                              "  boot like this one opens it without the passphrase? [y/N] ", &yes);
        if (r < 0 || !yes) {
                dprintf(fd, "  Not resealed: the next boot like this one will ask again.\n");
                status_line("not resealed");
                return 0;
        }
        {
                _cleanup_(secret_freep) void *pin = NULL;
                configvol_seal s;
                meas_log log = {};

                if (had_pin) {
                        dprintf(fd, "  The key had a TPM PIN. Choose the PIN for the resealed key.\n");
                        r = prompt_new_pin(fd, (char **) &pin);
                        if (r == -ENODATA)
                                dprintf(fd, "  No PIN: the next boot like this one opens the volume without one.\n");
                        else if (r < 0) {
                                dprintf(fd, "  Not resealed: no new PIN.\n");
                                status_line("not resealed (no new PIN)");
                                return 0;
                        }
                }
                r = seal_this_boot(&s, &log);
                s.pin = pin;
                if (r >= 0)
                        r = configvol_reseal(arg_device, pass, size, NULL, &s);
                meas_log_done(&log);
                if (r < 0) {
                        dprintf(fd, "  Resealing failed: %s\n", tpm2_strerror(r));
                        status_line("resealing failed: %s", tpm2_strerror(r));
                        return 0; /* the volume is open: that is what the user asked for */
                }
                if (pin)
                        dprintf(fd, "  Resealed. The next boot like this one asks for the new TPM PIN only.\n");
                else
                        dprintf(fd, "  Resealed. The next boot like this one opens the config volume by itself.\n");
                printf("cairn: config resealed to this boot%s\n", pin ? " (with a TPM PIN)" : "");
        }
        return 0;
}

static int verb_report(void) {
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        cairn_token t = {};
        meas_log now = {};
        tpm2_pcr_values current = {}, predicted = {};
        bool have_current = false, have_prediction = false;
        int r;

        r = configvol_read_token(arg_device, &t);
        if (r < 0)
                return log_error_errno(r, "Cannot read the TPM token of %s: %m", arg_device);
        r = tpm2_context_new(arg_tcti, &tpm);
        if (r >= 0 && tpm2_pcr_read(tpm, t.pcr_mask, current) >= 0)
                have_current = true;
        if (arg_root || arg_iso) {
                r = predict_medium(&now, predicted);
                if (r < 0)
                        goto out;
                have_prediction = true;
        }
        if (arg_eventlog) {
                r = report_add_eventlog(arg_eventlog, &now);
                if (r < 0)
                        log_warning_errno(r, "Ignoring the event log %s: %m", arg_eventlog);
        }
        r = report_print(stdout, &t, have_current ? current : NULL, have_prediction || arg_eventlog ? &now : NULL,
                         arg_json);
out:
        meas_log_done(&now);
        cairn_token_done(&t);
        return r;
}

static int verb_status(void) {
        cairn_token t = {};
        char buf[128];
        int r;

        r = configvol_read_token(arg_device, &t);
        if (r < 0)
                return log_error_errno(r, "Cannot read the TPM token of %s: %m", arg_device);
        printf("token: cairn-tpm2, keyslot %d, srk %s, pcrs %s (sha256), pin %s, %zu recorded events\n",
               t.keyslot, t.sealed.srk, pcr_mask_to_string(t.pcr_mask, buf, sizeof(buf)), t.pin ? "yes" : "no",
               t.events.n_events);
        cairn_token_done(&t);
        return 0;
}

static void help(void) {
        printf("cairn-config %s: Cairn's encrypted config volume\n\n"
               "  format  --device DEV --recovery-passphrase-file F [--pin-file F] [--no-tpm]\n"
               "          [--root DIR | --iso FILE] [--entry N] [--pcrs LIST] [--tcti T]\n"
               "  unlock  --device DEV [--name NAME] [--pin-file F] [--tcti T]\n"
               "  recover --device DEV [--name NAME] --recovery-passphrase-file F\n"
               "  reseal  --device DEV [--recovery-passphrase-file F | --old-pin-file F]\n"
               "          [--pin-file F] [--root DIR | --iso FILE] [--pcrs LIST] [--tcti T]\n"
               "  report  --device DEV [--root DIR | --iso FILE] [--eventlog FILE] [--json]\n"
               "  status  --device DEV\n"
               "  prompt  --device DEV [--name NAME] [--tty TTY] [--attempts N] [--root DIR | --iso FILE]\n"
               "          at TTY: the TPM PIN when the token has one and the measurements match,\n"
               "          else the recovery passphrase, then offer to reseal to this boot\n"
               "Without --name, unlock/recover only verify the key.  --root/--iso: PCR 8 and 9\n"
               "are predicted for that boot medium (forward sealing); other PCRs are read now.\n"
               "Default PCRs: 0,2,4,7,8,9.  Exit codes: see docs/measurement.md.\n",
               CAIRN_VERSION);
}

enum {
        OPT_DEVICE = 0x100, OPT_NAME, OPT_TCTI, OPT_PIN_FILE, OPT_OLD_PIN_FILE, OPT_RECOVERY_FILE, OPT_ROOT,
        OPT_ISO, OPT_ENTRY, OPT_BIOS, OPT_PCRS, OPT_NO_TPM, OPT_JSON, OPT_EVENTLOG, OPT_RECOVERY_MS,
        OPT_RECOVERY_KB, OPT_TTY, OPT_ATTEMPTS,
};

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "device", required_argument, NULL, OPT_DEVICE },
                { "name", required_argument, NULL, OPT_NAME },
                { "tcti", required_argument, NULL, OPT_TCTI },
                { "pin-file", required_argument, NULL, OPT_PIN_FILE },
                { "old-pin-file", required_argument, NULL, OPT_OLD_PIN_FILE },
                { "recovery-passphrase-file", required_argument, NULL, OPT_RECOVERY_FILE },
                { "root", required_argument, NULL, OPT_ROOT },
                { "iso", required_argument, NULL, OPT_ISO },
                { "entry", required_argument, NULL, OPT_ENTRY },
                { "bios", no_argument, NULL, OPT_BIOS },
                { "pcrs", required_argument, NULL, OPT_PCRS },
                { "no-tpm", no_argument, NULL, OPT_NO_TPM },
                { "json", no_argument, NULL, OPT_JSON },
                { "eventlog", required_argument, NULL, OPT_EVENTLOG },
                { "recovery-cost-ms", required_argument, NULL, OPT_RECOVERY_MS },
                { "recovery-memory-kb", required_argument, NULL, OPT_RECOVERY_KB },
                { "tty", required_argument, NULL, OPT_TTY },
                { "attempts", required_argument, NULL, OPT_ATTEMPTS },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const struct {
                const char *name;
                int (*fn)(void);
        } verbs[] = {
                { "format", verb_format }, { "unlock", verb_unlock }, { "recover", verb_recover },
                { "reseal", verb_reseal }, { "report", verb_report }, { "status", verb_status },
                { "prompt", verb_prompt },
        };
        const char *lvl = getenv("CAIRN_LOG_LEVEL");
        uint64_t v;
        int c, r;

        log_set_program_name(argv[0]);
        /* TSS2 errors are converted once and explained in our own words (tpm2-util.h); the
         * library's own lines would reach dom0's consoles after a wrong PIN. TSS2_LOG set
         * by the caller still wins. */
        (void) setenv("TSS2_LOG", "all+NONE", 0);
        if (lvl && (r = log_level_from_string(lvl)) >= 0)
                log_set_max_level(r);
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                help();
                return argc < 2 ? EXIT_USAGE : 0;
        }
        optind = 2;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case OPT_DEVICE:
                        arg_device = optarg;
                        break;
                case OPT_NAME:
                        arg_name = optarg;
                        break;
                case OPT_TCTI:
                        arg_tcti = optarg;
                        break;
                case OPT_PIN_FILE:
                        arg_pin_file = optarg;
                        break;
                case OPT_OLD_PIN_FILE:
                        arg_old_pin_file = optarg;
                        break;
                case OPT_RECOVERY_FILE:
                        arg_recovery_file = optarg;
                        break;
                case OPT_ROOT:
                        arg_root = optarg;
                        break;
                case OPT_ISO:
                        arg_iso = optarg;
                        break;
                case OPT_ENTRY:
                        if (parse_u64(optarg, &v) < 0 || v > 1000) {
                                log_error("Invalid --entry %s.", optarg);
                                return EXIT_USAGE;
                        }
                        arg_entry = (int) v;
                        break;
                case OPT_BIOS:
                        arg_bios = true;
                        break;
                case OPT_PCRS:
                        if (pcr_mask_from_string(optarg, &arg_pcrs) < 0 || arg_pcrs == 0) {
                                log_error("Invalid --pcrs %s.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_NO_TPM:
                        arg_tpm = false;
                        break;
                case OPT_JSON:
                        arg_json = true;
                        break;
                case OPT_EVENTLOG:
                        arg_eventlog = optarg;
                        break;
                case OPT_RECOVERY_MS:
                case OPT_RECOVERY_KB:
                        if (parse_u64(optarg, &v) < 0 || v == 0 || v > UINT32_MAX) {
                                log_error("Invalid value %s.", optarg);
                                return EXIT_USAGE;
                        }
                        *(c == OPT_RECOVERY_MS ? &arg_recovery_ms : &arg_recovery_kb) = (uint32_t) v;
                        break;
                case OPT_TTY:
                        arg_tty = optarg;
                        break;
                case OPT_ATTEMPTS:
                        if (parse_u64(optarg, &v) < 0 || v == 0 || v > 100) {
                                log_error("Invalid --attempts %s.", optarg);
                                return EXIT_USAGE;
                        }
                        arg_attempts = (unsigned) v;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                log_error("Unexpected argument %s.", argv[optind]);
                return EXIT_USAGE;
        }
        if (!arg_device) {
                log_error("--device is required.");
                return EXIT_USAGE;
        }
        if (arg_root && arg_iso) {
                log_error("Give at most one of --root and --iso.");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return exit_code(verbs[i].fn());
        log_error("Unknown verb \"%s\"; see --help.", argv[1]);
        return EXIT_USAGE;
}
