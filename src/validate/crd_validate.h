/* What a Kubernetes API server checks on a custom resource before it stores
 * it, done without one: the OpenAPI rules of the CRD schemas (types, enums,
 * patterns, lengths, item and property counts, ranges, required fields) and
 * their CEL rules (x-kubernetes-validations) of the common forms.
 *
 * The rules come from tables generated at build time from the CRDs
 * (tools/gen_crd_validation.py); a build made without the CRDs has none, and
 * every object passes. The file provider refuses an object that fails, as an
 * API server would refuse to store it. Defaults are not applied, and
 * transition rules (oldSelf) are not checked: a file has no old version. */
#ifndef EG_VALIDATE_CRD_VALIDATE_H
#define EG_VALIDATE_CRD_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/diag.h"

/* Whether this build has the generated rules. */
bool crd_validation_available(void);
/* "N kinds, M CEL rules (K left out)", for the start-up log; static text. */
const char *crd_validation_summary(void);

/* Checks `doc` (a whole object: apiVersion, kind, metadata, spec) against
 * the schema of its apiVersion and kind. Each violation is an error in
 * `diags` under `where` ("HTTPRoute default/foo") with its field path
 * ("spec.rules[0].matches[0].path.value") and, for a CEL rule, the CRD's own
 * message. Returns the number of errors; 0 for a kind without a CRD. */
size_t crd_validate(const json_t *doc, const char *where, diag_list *diags);

#endif
