/* Status: what the translator says about each resource.
 *
 * Conditions, listener statuses (Gateway, ListenerSet) and per-parent or
 * per-ancestor statuses (routes, policies), in the shape of the Gateway API
 * and Envoy Gateway status fields. All memory lives in the translation arena.
 * gw_status_to_json() renders one status as the object's `status` field. */
#ifndef EG_GATEWAYAPI_STATUS_H
#define EG_GATEWAYAPI_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct gw_condition {
    const char *type;
    const char *status; /* "True", "False", "Unknown" */
    const char *reason;
    const char *message;
    int64_t observed_generation;
} gw_condition;

typedef struct gw_conditions {
    gw_condition *items;
    size_t n, cap;
} gw_conditions;

typedef struct gw_group_kind {
    const char *group;
    const char *kind;
} gw_group_kind;

typedef struct gw_listener_status {
    const char *name;
    gw_group_kind *supported_kinds;
    size_t n_supported_kinds, cap_supported_kinds;
    int attached_routes;
    gw_conditions conditions;
} gw_listener_status;

/* A reference to a parent (routes) or an ancestor (policies). NULL fields are
 * left out of the output; port 0 means none. */
typedef struct gw_parent_ref {
    const char *group, *kind, *namespace, *name, *section_name;
    int32_t port;
} gw_parent_ref;

typedef struct gw_parent_status {
    gw_parent_ref ref;
    const char *controller_name;
    gw_conditions conditions;
} gw_parent_status;

typedef struct gw_address {
    const char *type; /* "IPAddress", "Hostname" */
    const char *value;
} gw_address;

typedef struct gw_status {
    gw_conditions conditions;
    gw_listener_status *listeners;
    size_t n_listeners, cap_listeners;
    gw_parent_status *parents; /* status.parents, or status.ancestors when `ancestors` */
    size_t n_parents, cap_parents;
    bool ancestors;
    gw_address *addresses;
    size_t n_addresses, cap_addresses;
    /* metadata.generation of the object: every condition reports it as its
     * observedGeneration (0 = the object has none, and none is reported). */
    int64_t generation;
    bool has_attached_listener_sets; /* Gateway: status.attachedListenerSets */
    int attached_listener_sets;
} gw_status;

/* Sets a condition, replacing one of the same type. Strings are borrowed. */
void gw_conditions_set(arena *a, gw_conditions *c, const char *type, bool status,
                       const char *reason, const char *message);
/* Same, with a message built from a format. */
void gw_conditions_setf(arena *a, gw_conditions *c, const char *type, bool status,
                        const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
const gw_condition *gw_conditions_get(const gw_conditions *c, const char *type);

gw_listener_status *gw_status_listener(arena *a, gw_status *s, const char *name);
/* The entry for `ref` (same group/kind/namespace/name/section/port), created if missing. */
gw_parent_status *gw_status_parent(arena *a, gw_status *s, const gw_parent_ref *ref,
                                   const char *controller_name);
void gw_listener_add_kind(arena *a, gw_listener_status *l, const char *group, const char *kind);

/* The `status` object for output (new reference). */
json_t *gw_status_to_json(const gw_status *s);

#endif
