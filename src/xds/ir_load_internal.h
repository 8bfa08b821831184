/* Building blocks of the reference-IR reader shared by its files
 * (ir_load.c: listeners, routes, destinations; ir_load_policy.c: the policy
 * settings of traffic, security, envoyExtensions and listeners). Private to
 * src/xds/. Everything is allocated in the arena; absent keys give NULL,
 * zero or an empty list. */
#ifndef EG_XDS_IR_LOAD_INTERNAL_H
#define EG_XDS_IR_LOAD_INTERNAL_H

#include "xds/ir_load.h"

const char *xds_irl_str(arena *a, const json_t *o, const char *key);
bool xds_irl_flag(const json_t *o, const char *key);
/* A member by name ignoring case. */
json_t *xds_irl_get_nocase(const json_t *o, const char *key);
/* Bytes given as base64 text or a list of byte values; *len of them. */
const char *xds_irl_bytes(arena *a, const json_t *v, size_t *len);
/* A list of strings; NULL when the list is absent. */
const char **xds_irl_strings(arena *a, const json_t *list, size_t *n);
ir_string_match *xds_irl_string_matches(arena *a, const json_t *list, size_t *n);
ir_string_match *xds_irl_string_match(arena *a, const json_t *o); /* NULL when absent */
ir_header *xds_irl_headers(arena *a, const json_t *list, size_t *n);
ir_destination *xds_irl_destination(arena *a, json_t *o);
ir_retry *xds_irl_retry(arena *a, const json_t *o);
ir_redirect *xds_irl_redirect(arena *a, const json_t *o);

/* --- ir_load_policy.c --- */
ir_traffic *xds_irl_traffic(arena *a, json_t *o);
ir_security *xds_irl_security(arena *a, json_t *o);
ir_envoy_extensions *xds_irl_envoy_extensions(arena *a, json_t *o);
/* The listener-level keys of an HTTP or TCP IR listener; NULL when none. */
ir_client_settings *xds_irl_client_settings(arena *a, json_t *listener);
/* The ClientTrafficPolicy keys of a listener's `tls`. */
void xds_irl_tls_settings(arena *a, ir_tls_config *t, const json_t *o);

#endif
