/* The file provider: Gateway API resources from files and directories.
 *
 * Loads every .yaml/.yml/.json file directly under each configured directory
 * (and each configured file), watches them with libuv fs events, and after a
 * short debounce tells its owner that the resource set changed. A file that
 * does not parse, or holds an object that does not decode, is reported (log
 * line with file, document and field path) and its last good version stays in
 * force; a file that never loaded contributes nothing. Deleting a file removes
 * its objects. A read error (permissions, too many open files) is reported
 * on the file and retried; it never counts as a deletion. */
#ifndef EG_PROVIDER_FILE_H
#define EG_PROVIDER_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "api/resources.h"

typedef struct fprov fprov;

/* Called (debounced) after files changed; `p` is the provider. The set of
 * good texts changed only when `changed` is true (a malformed edit reports
 * but changes nothing). */
typedef void (*fprov_change_cb)(void *arg, fprov *p, bool changed);

/* Paths are copied. Nothing is read until fprov_start. */
fprov *fprov_new(uv_loop_t *loop, const char *const *paths, size_t n_paths, unsigned debounce_ms,
                 fprov_change_cb cb, void *arg);
/* The EnvoyGateway document (copied; NULL for none): files may then hold
 * objects of the kinds its extensionManager registers. Call before start. */
void fprov_set_config(fprov *p, const char *eg_config);
/* A file written in place is read once no write came for this long, and a
 * file or directory that vanished is dropped only after it stayed away this
 * long (so truncate-then-write and rm -rf/mkdir/cp never apply an empty
 * set). Files larger than the maximum are refused with an error and their
 * last good version stays. */
enum { FPROV_DEFAULT_SETTLE_MS = 200 };
#define FPROV_DEFAULT_MAX_FILE_SIZE ((size_t)256 * 1024 * 1024)
/* settle_ms 0 applies every change at once; a size of 0 is no limit. */
void fprov_set_limits(fprov *p, unsigned settle_ms, size_t max_file_size, size_t max_document_size);
/* Loads everything once (synchronously) and starts watching. A path that
 * cannot be read keeps what it last held; the read is retried every second,
 * and a watched directory replaced by another is watched anew. */
void fprov_start(fprov *p);
/* While held, the files' texts and documents (which objects added by
 * fprov_resources_add borrow) stay as they are: changes are noticed but read
 * only once the hold ends. For a reader on another thread. */
void fprov_hold(fprov *p, bool hold);
/* Reading off the loop: with an offload callback, fprov_start reads nothing
 * and, when files may have changed, the provider calls cb(arg) (on the loop)
 * instead of reading them; the owner then holds the provider and calls
 * fprov_scan_held() on any thread, which returns whether the set of good
 * texts changed. The change callback of fprov_new is then not called. */
void fprov_set_offload(fprov *p, void (*cb)(void *arg), void *arg);
bool fprov_scan_held(fprov *p);
/* Stops watching and frees the provider once libuv released its handles. */
void fprov_close(fprov *p);

/* Adds the objects of the last good text of every file to `r` (in the order
 * the files were first loaded), and a
 * Namespace for every namespace used but not defined (as the reference's file
 * provider does). Decoding warnings go to `diags`. */
void fprov_resources_add(fprov *p, api_resources *r, diag_list *diags);
/* An object defined in two files is taken from the file loaded first; the
 * other file's warning (naming both files) is here, or NULL. */
const char *fprov_file_warning(const fprov *p, size_t i);
/* Files currently in force, and those whose last read failed. */
size_t fprov_file_count(const fprov *p);
/* The i-th file, whether it is in force, and its last error (or NULL). */
const char *fprov_file_at(const fprov *p, size_t i, bool *good, const char **error);

/* Validates one file's text on its own: 0 when every document decodes;
 * otherwise -1 and the errors in `diags`. Exposed for unit tests. */
int fprov_text_check(const char *text, size_t len, const char *source, diag_list *diags);

#endif
