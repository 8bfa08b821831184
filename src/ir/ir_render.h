/* Rendering the IR in the reference IR's JSON shape, shared by ir.c and
 * the per-feature renderers (ir_render_*.c). Private to src/ir.
 *
 * The ir_put_* helpers add one key to an object, or nothing when the value
 * is unset; they take ownership of a json_t they are given. The ir_json_*
 * functions return a new reference. */
#ifndef EG_IR_RENDER_H
#define EG_IR_RENDER_H

#include "ir/ir.h"

/* ---- one key ---- */

/* `v` unless it is NULL, an empty list or an empty object (then released):
 * what Go's omitempty leaves out of a list or map. */
void ir_put_nonempty(json_t *o, const char *key, json_t *v);
/* A string unless NULL or "" (as Go's omitempty leaves out a string). */
void ir_put_str(json_t *o, const char *key, const char *v);
/* true, or nothing for false. */
void ir_put_true(json_t *o, const char *key, bool v);
/* A number, always. */
void ir_put_uint(json_t *o, const char *key, uint64_t v);
void ir_put_u32(json_t *o, const char *key, ir_opt_u32 v);
void ir_put_tristate(json_t *o, const char *key, ir_tristate v);
/* A duration as Go prints it ("1m30s"). */
void ir_put_duration(json_t *o, const char *key, duration d);
/* Tracing tags: customTags (literal, environment, request header) and
 * tags (format strings), each list unless empty. */
void ir_put_tracing_tags(json_t *o, const ir_tracing_tag *tags, size_t n);
/* A list of strings unless it is empty. */
void ir_put_strings(json_t *o, const char *key, const char *const *v, size_t n);

/* ---- values ---- */

/* []byte as Go's JSON prints it: standard base64. */
json_t *ir_json_bytes(const char *data, size_t n);
json_t *ir_json_strings(const char *const *v, size_t n);
/* A float as Go prints it: an integer when it is a whole number. */
json_t *ir_json_number(double v);
/* `o` when it has keys, else NULL (and `o` released). */
json_t *ir_json_nonempty(json_t *o);
json_t *ir_json_string_matches(const ir_string_match *m, size_t n);
json_t *ir_json_string_match(const ir_string_match *m);
json_t *ir_json_headers(const ir_header *h, size_t n);
json_t *ir_json_redirect(const ir_redirect *r);
json_t *ir_json_retry(const ir_retry *r);
json_t *ir_json_destination(const ir_destination *d);
/* A preferLocal object. */
json_t *ir_json_prefer_local(const ir_prefer_local *p);
json_t *ir_json_cors(const ir_cors *c);
/* tcpKeepalive of a route's traffic or a listener. */
json_t *ir_json_tcp_keepalive(const ir_tcp_keepalive *k);
/* http2 of a route's traffic or a listener. The reference's BTP IR has the
 * two windows under each other's names (and its xDS translator hands them on
 * that way, so Envoy gets them swapped): `swap_windows` prints that shape;
 * Envoy still gets each window as the policy wrote it. */
json_t *ir_json_http2(const ir_http2_settings *h, bool swap_windows);

/* ---- features ---- */

/* Adds the keys of a listener's ClientTrafficPolicy settings (NULL: none)
 * to its JSON, leaving keys it already has (ir_render_client.c). */
void ir_client_settings_render(json_t *listener, const ir_client_settings *s);

/* routes[].traffic (and the settings of a called service's cluster). */
json_t *ir_traffic_to_json(const ir_traffic *t);

/* routes[].security; credentials print as "[redacted]". */
json_t *ir_security_to_json(const ir_security *s);
/* A TCP route's authorization. */
json_t *ir_authorization_to_json(const ir_authorization *a);

#endif
