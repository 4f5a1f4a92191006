/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: one line per event, to stderr (CLIs, daemons under test) or the
 * journal (daemons started by systemd, which captures stderr).  Messages are
 * prefixed by the program name.  Never pass key material to these. */
#pragma once

#include <stdarg.h>

#include "macro.h"

enum {
        LOG_LEVEL_ERR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_NOTICE = 5,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
};

void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "err", "warning", "notice", "info", "debug" or a digit; returns level or -EINVAL. */
int log_level_from_string(const char *s);
void log_set_program_name(const char *name);
/* Prefix lines with "<N>" so the journal sees the level (set when stderr is the journal). */
void log_set_journal_prefix(int enabled);

/* Logs at `level`; when error != 0, "%m" expands to strerror(|error|).
 * Returns -|error| (or 0 when error is 0) so callers can `return log_error_errno(r, ...)`. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_LEVEL_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_LEVEL_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERR, (e), __VA_ARGS__)

/* Log "out of memory" and return -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
