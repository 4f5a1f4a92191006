/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lockpw.h"
#include "log.h"
#include "util.h"

static int fail(const char **ret_reason, const char *reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

int lockpw_parse(const char *text, size_t size, LockPw *ret, const char **ret_reason) {
        static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$6$" };
        bool known = false;
        LockPw pw = {};

        while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r'))
                size--;
        if (size == 0)
                return fail(ret_reason, "the file is empty");
        if (size > LOCKPW_HASH_MAX)
                return fail(ret_reason, "the hash is too long");
        for (size_t i = 0; i < size; i++)
                if (text[i] < 0x21 || text[i] > 0x7e)
                        return fail(ret_reason, "the hash must be one line of printable characters");
        memcpy(pw.hash, text, size);
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(pw.hash, prefixes[i]))
                        known = true;
        if (!known)
                return fail(ret_reason, "not a yescrypt, gost-yescrypt, scrypt, bcrypt or sha512crypt hash");
        *ret = pw;
        return 0;
}

int lockpw_load(const char *path, LockPw *ret) {
        _cleanup_free_ char *text = NULL;
        const char *reason = NULL;
        size_t size = 0;
        int r;

        r = read_full_file(path, LOCKPW_HASH_MAX + 2, &text, &size);
        if (r < 0)
                return r;
        r = lockpw_parse(text, size, ret, &reason);
        if (r < 0)
                return log_error_errno(r, "%s: %s.", path, reason);
        return 0;
}

int lockpw_verify(const LockPw *pw, const char *pass) {
        _cleanup_free_ struct crypt_data *cd = calloc(1, sizeof(struct crypt_data));
        const char *out;
        size_t n;
        unsigned char diff = 0;

        if (!cd)
                return -ENOMEM;
        out = crypt_rn(pass, pw->hash, cd, sizeof(*cd));
        if (!out || out[0] == '*') {
                erase_memory(cd, sizeof(*cd));
                return -EINVAL;
        }
        n = strlen(pw->hash);
        if (strlen(out) != n)
                diff = 1;
        else
                for (size_t i = 0; i < n; i++)
                        diff |= (unsigned char) (out[i] ^ pw->hash[i]);
        erase_memory(cd, sizeof(*cd));
        return diff == 0;
}

int lockpw_hash(const char *pass, LockPw *ret) {
        _cleanup_free_ struct crypt_data *cd = calloc(1, sizeof(struct crypt_data));
        char salt[CRYPT_GENSALT_OUTPUT_SIZE];
        const char *out;

        if (!cd)
                return -ENOMEM;
        if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
                return negative_errno();
        out = crypt_rn(pass, salt, cd, sizeof(*cd));
        if (!out || out[0] == '*' || strlen(out) > LOCKPW_HASH_MAX) {
                erase_memory(cd, sizeof(*cd));
                return -EINVAL;
        }
        *ret = (LockPw) {};
        memcpy(ret->hash, out, strlen(out));
        erase_memory(cd, sizeof(*cd));
        return 0;
}
