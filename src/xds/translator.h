/* The xDS translator: one fleet's IR in, Envoy v3 resources out.
 *
 * A pure function like the Gateway API translator: no I/O, no clock, no
 * globals. Resources are jansson trees in the proto3 JSON mapping (camelCase
 * field names, durations as "5s", enums by name, `Any` as "@type"), in the
 * order and with the names the reference Envoy Gateway uses (a secret shared
 * by listeners is listed once per listener, as the reference lists it;
 * consumers keep one resource per name). The caller owns
 * the arrays in xds_resources and releases them with xds_resources_clear(). */
#ifndef EG_XDS_TRANSLATOR_H
#define EG_XDS_TRANSLATOR_H

#include <jansson.h>

#include "core/diag.h"
#include "ir/ir.h"

typedef enum xds_type {
    XDS_LISTENER,
    XDS_ROUTE,
    XDS_CLUSTER,
    XDS_ENDPOINT,
    XDS_SECRET,
    XDS_N_TYPES
} xds_type;

typedef struct xds_resources {
    json_t *of[XDS_N_TYPES]; /* one JSON array per type, owned */
} xds_resources;

/* Translates `ir` into `out` (which must be zeroed or cleared). Returns 0, or
 * -1 after adding errors to `diags` naming each IR element that could not be
 * translated (a listener without an address, a cluster with an endpoint
 * without one); those are left out and everything else is still in `out`. */
int xds_translate(const ir_xds *ir, xds_resources *out, diag_list *diags);

/* Where a streaming translation hands over resources that are final. `take`
 * steals the resource (a tree in the proto3 JSON mapping, as in `out`). */
typedef struct xds_sink {
    void (*take)(void *arg, xds_type t, json_t *resource);
    /* Optional: a finished part of resource `name` that comes later in `out`
     * (or in a later part), as a resource of the same type holding only that
     * part: {"virtualHosts": [...]} of a RouteConfiguration. Encoded parts
     * followed by the encoded resource are the resource's encoding (protobuf
     * concatenation appends repeated fields in order). Steals `part`. */
    void (*take_part)(void *arg, xds_type t, const char *name, json_t *part);
    void *arg;
} xds_sink;

/* As xds_translate, but clusters and endpoints go to `sink` as soon as no
 * later step can change them (after each route's, and after each listener),
 * in the order they would have in `out`, which keeps everything else: what
 * reaches the sink of each type comes before what stays in `out`. At 200,000
 * routes the trees of every cluster and endpoint at once take gigabytes; a
 * caller that encodes each one as it arrives holds only its bytes. Callers
 * that must see every resource (patches, extension hooks) use xds_translate.
 * When a listener's HTTP/1 settings are copied onto its clusters once its
 * routes are done, nothing streams (the result is the same). Virtual hosts
 * of a plain-HTTP listener's route configuration go to take_part (when set)
 * once the listener's last route for their hostname is built, in order. */
int xds_translate_streaming(const ir_xds *ir, xds_resources *out, const xds_sink *sink,
                            diag_list *diags);
void xds_resources_clear(xds_resources *r);
/* Keeps the first resource of each name per type and drops the others, as a
 * config dump lists them (Envoy refuses a static config naming a secret
 * twice); the translator's own output lists a shared secret once per user. */
void xds_resources_unique(xds_resources *r);

/* The name of the cluster that carries the traffic of setting `i` of a
 * route destination: the destination's own, or the setting's when the
 * destination has one cluster per setting (which may depend on the route's
 * traffic settings `t`, NULL for none). */
const char *xds_setting_cluster(const ir_destination *d, const struct ir_traffic *t, size_t i);

/* "listeners", "routes", "clusters", "endpoints", "secrets". */
const char *xds_type_name(xds_type t);
/* "type.googleapis.com/envoy.config.listener.v3.Listener", ... */
const char *xds_type_url(xds_type t);
/* The resource's name (`name`, or `clusterName` for endpoints); borrowed
 * from the tree, NULL when it has none. */
const char *xds_resource_name(xds_type t, const json_t *resource);

#endif
