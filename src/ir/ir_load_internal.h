/* Building blocks of the reference-IR reader shared by its files
 * (ir_load.c: listeners, routes, destinations; ir_load_policy.c: the policy
 * settings of traffic, security, envoyExtensions and listeners). Private to
 * src/ir/. Everything is allocated in the arena; absent keys give NULL,
 * zero or an empty list. */
#ifndef EG_IR_IR_LOAD_INTERNAL_H
#define EG_IR_IR_LOAD_INTERNAL_H

#include "ir/ir_load.h"

const char *irl_str(arena *a, const json_t *o, const char *key);
bool irl_flag(const json_t *o, const char *key);
/* A member by name ignoring case. */
json_t *irl_get_nocase(const json_t *o, const char *key);
/* Bytes given as base64 text or a list of byte values; *len of them. */
const char *irl_bytes(arena *a, const json_t *v, size_t *len);
/* A list of strings; NULL when the list is absent. */
const char **irl_strings(arena *a, const json_t *list, size_t *n);
ir_string_match *irl_string_matches(arena *a, const json_t *list, size_t *n);
ir_string_match *irl_string_match(arena *a, const json_t *o); /* NULL when absent */
ir_header *irl_headers(arena *a, const json_t *list, size_t *n);
ir_destination *irl_destination(arena *a, json_t *o);
ir_retry *irl_retry(arena *a, const json_t *o);
struct ir_authorization *irl_authorization(arena *a, json_t *o);
ir_redirect *irl_redirect(arena *a, const json_t *o);
/* A preferLocal object (a setting's, traffic.loadBalancer's); NULL when absent. */
const ir_prefer_local *irl_prefer_local(arena *a, const json_t *o);

/* --- ir_load_telemetry.c --- */

/* The fleet's telemetry keys of the IR root into x->telemetry. */
void irl_telemetry_load(arena *a, ir_xds *x, const json_t *root);

/* --- ir_load_policy.c (the public part is in ir_load.h) --- */
/* The ClientTrafficPolicy keys of an HTTP or TCP listener object; NULL when
 * it has none. (The translator builds these settings typed, from the spec.) */
ir_client_settings *ir_load_client_settings(arena *a, json_t *listener);
/* The ClientTrafficPolicy keys of a listener's `tls`. */
void irl_tls_settings(arena *a, ir_tls_config *t, const json_t *o);
/* A tracing object's customTags, then its tags (format strings). */
ir_tracing_tag *irl_tracing_tags(arena *a, const json_t *o, size_t *n);
/* CORS settings (a route's `cors`, security.cors); NULL when absent. */
ir_cors *irl_cors(arena *a, json_t *o);

#endif
