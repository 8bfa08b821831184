/* A translation context over resources loaded from YAML text, for the unit
 * tests of the backend stage (gw_backend_resolve and friends) that run before
 * the gateway and route stages exist to call them. Header-only: each test
 * program is one .c file. */
#ifndef EG_TESTS_GW_BACKEND_FIXTURE_H
#define EG_TESTS_GW_BACKEND_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/backends.h"

typedef struct fixture {
    api_resources *res;
    gw_result *out;
    gw_ctx c;
} fixture;

/* Loads `yaml` (every document must decode) and prepares an empty translation. */
static inline fixture *fixture_new(const char *yaml)
{
    fixture *f = calloc(1, sizeof *f);
    diag_list diags = {0};
    f->res = api_resources_new();
    if (api_resources_load(f->res, yaml, strlen(yaml), "test.yaml", &diags) != 0) {
        diag_print(&diags, stderr);
        abort();
    }
    diag_list_clear(&diags);
    f->out = calloc(1, sizeof *f->out);
    f->out->arena = arena_new();
    f->out->n_status = f->res->all.n;
    f->out->status = ARENA_ARRAY(f->out->arena, gw_status *, f->res->all.n + 1);
    f->c = (gw_ctx){.arena = f->out->arena,
                    .res = f->res,
                    .out = f->out,
                    .controller_name = GW_DEFAULT_CONTROLLER};
    strmap_init(&f->c.gateway_index, f->c.arena);
    return f;
}

static inline void fixture_free(fixture *f)
{
    gw_result_free(f->out);
    api_resources_free(f->res);
    free(f);
}

static inline const api_object *fixture_object(fixture *f, const char *kind, const char *ns,
                                               const char *name)
{
    const api_object *o = api_resources_find(f->res, kind, ns, name);
    if (!o) {
        fprintf(stderr, "fixture: no %s %s/%s\n", kind, ns ? ns : "", name);
        abort();
    }
    return o;
}

/* Resolves a backendRef of HTTPRoute default/route (which must be in the YAML). */
static inline gw_backend_result fixture_resolve(fixture *f, gw_backend_ref ref)
{
    const api_object *route = fixture_object(f, "HTTPRoute", "default", "route");
    if (!ref.weight)
        ref.weight = 1;
    return gw_backend_resolve(&f->c, route, "HTTPRoute", &ref, IR_PROTO_HTTP,
                              "httproute/default/route/rule/0/backend/0");
}

/* The condition `type` of an object's status (or of its first ancestor when
 * `ancestor` is set), NULL when absent. */
static inline const gw_condition *fixture_condition(fixture *f, const char *kind, const char *ns,
                                                    const char *name, bool ancestor,
                                                    const char *type)
{
    gw_status *s = gw_result_status(f->out, fixture_object(f, kind, ns, name));
    if (!s)
        return NULL;
    if (!ancestor)
        return gw_conditions_get(&s->conditions, type);
    return s->n_parents ? gw_conditions_get(&s->parents[0].conditions, type) : NULL;
}

/* "True/Accepted" for a condition, "absent" when there is none. */
static inline const char *fixture_cond_text(fixture *f, const gw_condition *cond)
{
    return cond ? arena_printf(f->c.arena, "%s/%s", cond->status, cond->reason) : "absent";
}

#define TEST_NAMESPACES                                                                            \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"                            \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                                  \
    "metadata: {name: route, namespace: default}\nspec: {}\n---\n"

#endif
