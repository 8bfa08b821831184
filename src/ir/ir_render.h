/* Rendering the IR in the reference IR's JSON shape, shared by ir.c and
 * the per-feature renderers (ir_render_*.c). Private to src/ir. Each
 * function returns a new reference. */
#ifndef EG_IR_RENDER_H
#define EG_IR_RENDER_H

#include "ir/ir.h"

/* []byte as Go's JSON prints it: standard base64. */
json_t *ir_json_bytes(const char *data, size_t n);
json_t *ir_json_strings(const char *const *v, size_t n);
json_t *ir_json_string_matches(const ir_string_match *m, size_t n);
json_t *ir_json_string_match(const ir_string_match *m);
json_t *ir_json_headers(const ir_header *h, size_t n);
json_t *ir_json_redirect(const ir_redirect *r);
json_t *ir_json_retry(const ir_retry *r);
json_t *ir_json_destination(const ir_destination *d);
json_t *ir_json_cors(const ir_cors *c);

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
