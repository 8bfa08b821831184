#include "api/gateway.h"

#include <string.h>

/* The CRDs' enums (gateway.networking.k8s.io v1); "None" is allowedListeners' only. */
static const char *const namespaces_from_values[] = {"All", "Selector", "Same", "None", NULL};
static const char *const tls_modes[] = {"Terminate", "Passthrough", NULL};

static const api_field object_ref_fields[] = {
    API_F_STRING(api_object_ref, group, "group"),
    API_F_STRING(api_object_ref, kind, "kind"),
    API_F_STRING(api_object_ref, name, "name"),
    API_F_STRING(api_object_ref, namespace, "namespace"),
    API_F_END,
};
static const api_type object_ref_type = API_TYPE(api_object_ref, object_ref_fields);

static const api_field label_requirement_fields[] = {
    API_F_STRING(api_label_requirement, key, "key", .flags = API_REQUIRED),
    API_F_STRING(api_label_requirement, operator, "operator", .flags = API_REQUIRED),
    API_F_STRINGS(api_label_requirement, values, "values"),
    API_F_END,
};
static const api_type label_requirement_type =
    API_TYPE(api_label_requirement, label_requirement_fields);
const api_type api_label_requirement_type =
    API_TYPE(api_label_requirement, label_requirement_fields);

static const api_field label_selector_fields[] = {
    API_F_MAP(api_label_selector, match_labels, "matchLabels"),
    API_F_LIST(api_label_selector, match_expressions, "matchExpressions", label_requirement_type),
    API_F_END,
};
static const api_type label_selector_type = API_TYPE(api_label_selector, label_selector_fields);
const api_type api_label_selector_type = API_TYPE(api_label_selector, label_selector_fields);

static const api_field namespaces_from_fields[] = {
    API_F_STRING(api_namespaces_from, from, "from", .values = namespaces_from_values,
                 .flags = API_SERVER_ENUM),
    API_F_OBJECT(api_namespaces_from, selector, "selector", label_selector_type),
    API_F_END,
};
static const api_type namespaces_from_type = API_TYPE(api_namespaces_from, namespaces_from_fields);

/* ---- GatewayClass ---- */

static const api_field gateway_class_spec_fields[] = {
    API_F_STRING(api_gateway_class_spec, controller_name, "controllerName", .flags = API_REQUIRED),
    API_F_OBJECT(api_gateway_class_spec, parameters_ref, "parametersRef", object_ref_type),
    API_F_STRING(api_gateway_class_spec, description, "description"),
    API_F_END,
};
static const api_type gateway_class_spec_type =
    API_TYPE(api_gateway_class_spec, gateway_class_spec_fields);

static const api_field gateway_class_fields[] = {
    API_OBJECT_FIELDS(api_gateway_class),
    API_F_OBJECT(api_gateway_class, spec, "spec", gateway_class_spec_type,
                 .flags = API_REQUIRED | API_INLINE_OBJECT),
    API_F_END,
};
const api_type api_gateway_class_type = API_TYPE(api_gateway_class, gateway_class_fields);

/* ---- listeners ---- */

static const api_field route_group_kind_fields[] = {
    API_F_STRING(api_route_group_kind, group, "group"),
    API_F_STRING(api_route_group_kind, kind, "kind", .flags = API_REQUIRED),
    API_F_END,
};
static const api_type route_group_kind_type =
    API_TYPE(api_route_group_kind, route_group_kind_fields);

static const api_field allowed_routes_fields[] = {
    API_F_OBJECT(api_allowed_routes, namespaces, "namespaces", namespaces_from_type),
    API_F_LIST(api_allowed_routes, kinds, "kinds", route_group_kind_type),
    API_F_END,
};
static const api_type allowed_routes_type = API_TYPE(api_allowed_routes, allowed_routes_fields);

static const api_field listener_tls_fields[] = {
    API_F_STRING(api_listener_tls, mode, "mode", .values = tls_modes, .flags = API_SERVER_ENUM),
    API_F_LIST(api_listener_tls, certificate_refs, "certificateRefs", object_ref_type),
    API_F_MAP(api_listener_tls, options, "options"),
    API_F_JSON(api_listener_tls, frontend_validation, "frontendValidation"),
    API_F_END,
};
static const api_type listener_tls_type = API_TYPE(api_listener_tls, listener_tls_fields);

static const api_field listener_fields[] = {
    API_F_STRING(api_listener, name, "name", .def = ""),
    API_F_STRING(api_listener, hostname, "hostname"),
    API_F_INT(api_listener, port, "port", .flags = API_REQUIRED, .min = 1, .max = 65535),
    API_F_STRING(api_listener, protocol, "protocol", .flags = API_REQUIRED),
    API_F_OBJECT(api_listener, tls, "tls", listener_tls_type),
    API_F_OBJECT(api_listener, allowed_routes, "allowedRoutes", allowed_routes_type),
    API_F_END,
};
static const api_type listener_type = API_TYPE(api_listener, listener_fields);

/* ---- Gateway ---- */

static const api_field gateway_address_fields[] = {
    API_F_STRING(api_gateway_address, type, "type", .def = "IPAddress"),
    API_F_STRING(api_gateway_address, value, "value"),
    API_F_END,
};
static const api_type gateway_address_type = API_TYPE(api_gateway_address, gateway_address_fields);

static const api_field infrastructure_fields[] = {
    API_F_MAP(api_gateway_infrastructure, labels, "labels"),
    API_F_MAP(api_gateway_infrastructure, annotations, "annotations"),
    API_F_OBJECT(api_gateway_infrastructure, parameters_ref, "parametersRef", object_ref_type),
    API_F_END,
};
static const api_type infrastructure_type =
    API_TYPE(api_gateway_infrastructure, infrastructure_fields);

static const api_field allowed_listeners_fields[] = {
    API_F_OBJECT(api_allowed_listeners, namespaces, "namespaces", namespaces_from_type),
    API_F_END,
};
static const api_type allowed_listeners_type =
    API_TYPE(api_allowed_listeners, allowed_listeners_fields);

static const api_field gateway_spec_fields[] = {
    API_F_STRING(api_gateway_spec, gateway_class_name, "gatewayClassName", .flags = API_REQUIRED),
    API_F_LIST(api_gateway_spec, listeners, "listeners", listener_type),
    API_F_LIST(api_gateway_spec, addresses, "addresses", gateway_address_type),
    API_F_OBJECT(api_gateway_spec, infrastructure, "infrastructure", infrastructure_type),
    API_F_OBJECT(api_gateway_spec, allowed_listeners, "allowedListeners", allowed_listeners_type),
    API_F_JSON(api_gateway_spec, tls, "tls"),
    API_F_END,
};
static const api_type gateway_spec_type = API_TYPE(api_gateway_spec, gateway_spec_fields);

static const api_field gateway_fields[] = {
    API_OBJECT_FIELDS(api_gateway),
    API_F_OBJECT(api_gateway, spec, "spec", gateway_spec_type,
                 .flags = API_REQUIRED | API_INLINE_OBJECT),
    API_F_END,
};
const api_type api_gateway_type = API_TYPE(api_gateway, gateway_fields);

/* ---- ListenerSet ---- */

static const api_field listener_set_spec_fields[] = {
    API_F_OBJECT(api_listener_set_spec, parent_ref, "parentRef", object_ref_type,
                 .flags = API_REQUIRED | API_INLINE_OBJECT),
    API_F_LIST(api_listener_set_spec, listeners, "listeners", listener_type),
    API_F_END,
};
static const api_type listener_set_spec_type =
    API_TYPE(api_listener_set_spec, listener_set_spec_fields);

static const api_field listener_set_fields[] = {
    API_OBJECT_FIELDS(api_listener_set),
    API_F_OBJECT(api_listener_set, spec, "spec", listener_set_spec_type,
                 .flags = API_REQUIRED | API_INLINE_OBJECT),
    API_F_END,
};
const api_type api_listener_set_type = API_TYPE(api_listener_set, listener_set_fields);

/* ---- label selectors ---- */

typedef enum { OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST, OP_UNKNOWN } label_op;

static const struct {
    const char *name;
    label_op op;
    bool wants_values;
} label_ops[] = {
    {"In", OP_IN, true},
    {"NotIn", OP_NOT_IN, true},
    {"Exists", OP_EXISTS, false},
    {"DoesNotExist", OP_DOES_NOT_EXIST, false},
};

static const char *requirement_error(const api_label_requirement *r, label_op *op)
{
    for (size_t i = 0; i < sizeof label_ops / sizeof label_ops[0]; i++) {
        if (strcmp(label_ops[i].name, r->operator) != 0)
            continue;
        *op = label_ops[i].op;
        if (label_ops[i].wants_values && r->n_values == 0)
            return "operators In and NotIn need at least one value";
        if (!label_ops[i].wants_values && r->n_values > 0)
            return "operators Exists and DoesNotExist take no values";
        return NULL;
    }
    *op = OP_UNKNOWN;
    return "the operator must be one of In, NotIn, Exists, DoesNotExist";
}

static bool value_listed(const api_label_requirement *r, const char *v)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (v && strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

static bool requirement_matches(const api_label_requirement *r, label_op op, const api_kv *labels,
                                size_t n_labels)
{
    const char *v = api_kv_get(labels, n_labels, r->key);
    switch (op) {
    case OP_IN:
        return value_listed(r, v);
    case OP_NOT_IN:
        return !value_listed(r, v);
    case OP_EXISTS:
        return v != NULL;
    case OP_DOES_NOT_EXIST:
        return v == NULL;
    default:
        return false;
    }
}

const char *api_label_selector_error(const api_label_selector *selector)
{
    label_op op;
    for (size_t i = 0; selector && i < selector->n_match_expressions; i++) {
        const char *err = requirement_error(&selector->match_expressions[i], &op);
        if (err)
            return err;
    }
    return NULL;
}

bool api_label_selector_matches(const api_label_selector *selector, const api_kv *labels,
                                size_t n_labels, const char **error)
{
    *error = NULL;
    if (!selector)
        return true;
    for (size_t i = 0; i < selector->n_match_labels; i++) {
        const char *v = api_kv_get(labels, n_labels, selector->match_labels[i].key);
        if (!v || strcmp(v, selector->match_labels[i].value) != 0)
            return false;
    }
    for (size_t i = 0; i < selector->n_match_expressions; i++) {
        label_op op;
        const api_label_requirement *r = &selector->match_expressions[i];
        *error = requirement_error(r, &op);
        if (*error)
            return false;
        if (!requirement_matches(r, op, labels, n_labels))
            return false;
    }
    return true;
}
