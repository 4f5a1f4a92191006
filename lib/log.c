/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_LEVEL_INFO;
static const char *program_name;
static int journal_prefix;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                [LOG_LEVEL_ERR] = "err",       [LOG_LEVEL_WARNING] = "warning",
                [LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
                [LOG_LEVEL_DEBUG] = "debug",
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i] && strcmp(s, names[i]) == 0)
                        return (int) i;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        return -EINVAL;
}

void log_set_program_name(const char *name) {
        const char *slash = name ? strrchr(name, '/') : NULL;
        program_name = slash ? slash + 1 : name;
}

void log_set_journal_prefix(int enabled) {
        journal_prefix = enabled;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        int saved_errno = errno;
        int e = error < 0 ? -error : error;
        char buf[2048];
        size_t n = 0;
        va_list ap;

        if (level > max_level)
                return e ? -e : 0;

        /* Make %m expand to the error we were given, not whatever errno is. */
        errno = e;
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        n = strlen(buf);
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';

        if (journal_prefix)
                fprintf(stderr, "<%d>", level);
        if (program_name)
                fprintf(stderr, "%s: ", program_name);
        if (max_level >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "(%s:%d %s) ", file, line, func);
        fprintf(stderr, "%s\n", buf);

        errno = saved_errno;
        return e ? -e : 0;
}
