/* The file provider: Gateway API resources from files and directories.
 *
 * Loads every .yaml/.yml/.json file directly under each configured directory
 * (and each configured file), watches them with libuv fs events, and after a
 * short debounce tells its owner that the resource set changed. A file that
 * does not parse, or holds an object that does not decode, is reported (log
 * line with file, document and field path) and its last good version stays in
 * force; a file that never loaded contributes nothing. Deleting a file removes
 * its objects. */
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
/* Loads everything once (synchronously) and starts watching. */
void fprov_start(fprov *p);
/* Stops watching and frees the provider once libuv released its handles. */
void fprov_close(fprov *p);

/* Adds the objects of the last good text of every file to `r`, and a
 * Namespace for every namespace used but not defined (as the reference's file
 * provider does). Decoding warnings go to `diags`. */
void fprov_resources_add(const fprov *p, api_resources *r, diag_list *diags);
/* Files currently in force, and those whose last read failed. */
size_t fprov_file_count(const fprov *p);
/* The i-th file, whether it is in force, and its last error (or NULL). */
const char *fprov_file_at(const fprov *p, size_t i, bool *good, const char **error);

/* Validates one file's text on its own: 0 when every document decodes;
 * otherwise -1 and the errors in `diags`. Exposed for unit tests. */
int fprov_text_check(const char *text, size_t len, const char *source, diag_list *diags);

#endif
