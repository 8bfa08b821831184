/* ReferenceGrant: may an object in one namespace refer to one in another?
 *
 * A grant lives in the namespace of the referenced object ("to"). It admits a
 * reference when one of its `from` entries names the referrer's group, kind
 * and namespace, and one of its `to` entries names the target's group and
 * kind, and either no name or the target's own name. The core group is "". */
#include <string.h>

#include "gatewayapi/context.h"

static const char *group_or_core(const char *group)
{
    return group ? group : "";
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool grant_admits_from(const api_reference_grant *g, const char *group, const char *kind,
                              const char *namespace)
{
    for (size_t i = 0; i < g->spec.n_from; i++) {
        const api_target_ref *f = &g->spec.from[i];
        if (same(group_or_core(f->group), group) && same(f->kind, kind) &&
            same(f->namespace, namespace))
            return true;
    }
    return false;
}

static bool grant_admits_to(const api_reference_grant *g, const char *group, const char *kind,
                            const char *name)
{
    for (size_t i = 0; i < g->spec.n_to; i++) {
        const api_target_ref *t = &g->spec.to[i];
        if (!same(group_or_core(t->group), group) || !same(t->kind, kind))
            continue;
        if (!t->name || !*t->name || same(t->name, name))
            return true;
    }
    return false;
}

bool gw_reference_granted(gw_ctx *c, const char *from_group, const char *from_kind,
                          const char *from_namespace, const char *to_group, const char *to_kind,
                          const char *to_namespace, const char *to_name)
{
    from_group = group_or_core(from_group);
    to_group = group_or_core(to_group);
    for (size_t i = 0; i < c->res->reference_grants.n; i++) {
        const api_reference_grant *g = c->res->reference_grants.items[i];
        if (!same(g->obj.metadata.namespace, to_namespace))
            continue;
        if (grant_admits_from(g, from_group, from_kind, from_namespace) &&
            grant_admits_to(g, to_group, to_kind, to_name))
            return true;
    }
    return false;
}
