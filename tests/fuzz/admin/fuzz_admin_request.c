/* libFuzzer target for the admin endpoint's HTTP request parser: arbitrary
 * bytes arrive in chunks (the first byte picks the chunk size), and after each
 * chunk the head received so far is classified as the connection does. A
 * complete request must have a method of capital letters and a path starting
 * with '/'. Any crash, sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_admin_request -max_total_time=60 work-dir tests/fuzz/corpus/admin_request */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { MAX = 16383 };
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    char *buf = malloc(MAX + 1);
    if (!buf)
        abort();
    size_t len = 0;
    for (size_t off = 1; off < size && len < MAX; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (n > MAX - len)
            n = MAX - len;
        memcpy(buf + len, data + off, n);
        len += n;
        buf[len] = 0;
        char method[16], path[4096];
        admin_request_state st = admin_request_classify(buf, len, MAX, method, path);
        if (st == ADMIN_REQUEST_COMPLETE) {
            if (method[0] < 'A' || method[0] > 'Z' || path[0] != '/' || strlen(method) > 15)
                abort();
            break;
        }
        if (st != ADMIN_REQUEST_INCOMPLETE)
            break;
    }
    free(buf);
    return 0;
}
