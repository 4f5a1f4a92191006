/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "macro.h"
#include "prompt.h"
#include "secret.h"
#include "util.h"

static int write_all(int fd, const char *s) {
        size_t n = strlen(s);

        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Read one line into buf (size > 0). Bytes past size - 1 are read and dropped. */
static int read_line(int fd, char *buf, size_t size, size_t *ret_len) {
        size_t n = 0;
        bool overflow = false;

        for (;;) {
                char c;
                ssize_t k = read(fd, &c, 1);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0) {
                        if (n == 0 && !overflow)
                                return -EPIPE;
                        break;
                }
                if (c == '\n' || c == '\r')
                        break;
                if (n + 1 < size)
                        buf[n++] = c;
                else
                        overflow = true;
        }
        buf[n] = '\0';
        *ret_len = n;
        return overflow ? -E2BIG : 0;
}

int prompt_secret(int fd, const char *question, size_t max_size, char **ret, size_t *ret_size) {
        struct termios old, quiet;
        bool is_tty = tcgetattr(fd, &old) == 0;
        char *buf;
        size_t n = 0;
        int r;

        buf = secret_alloc(max_size);
        if (!buf)
                return -ENOMEM;
        /* Echo off before the question: what is typed as soon as it shows is not echoed. */
        if (is_tty) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
                quiet.c_lflag |= ICANON;
                if (tcsetattr(fd, TCSANOW, &quiet) < 0) {
                        r = negative_errno();
                        goto fail;
                }
        }
        r = write_all(fd, question);
        if (r >= 0)
                r = read_line(fd, buf, max_size, &n);
        if (is_tty) {
                (void) tcsetattr(fd, TCSANOW, &old);
                (void) write_all(fd, "\n");
        }
        if (r < 0)
                goto fail;
        if (n == 0) {
                r = -ENODATA;
                goto fail;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
fail:
        secret_free(buf);
        return r;
}

int prompt_yes_no(int fd, const char *question, bool *ret) {
        char line[16];
        size_t n;
        int r;

        r = write_all(fd, question);
        if (r < 0)
                return r;
        r = read_line(fd, line, sizeof(line), &n);
        if (r == -E2BIG) {
                *ret = false;
                return 0;
        }
        if (r < 0)
                return r;
        const char *a = strstrip(line);
        *ret = strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0;
        return 0;
}
