#include "api/object.h"

#include <string.h>

static const api_field owner_ref_fields[] = {
    API_F_STRING(api_owner_ref, api_version, "apiVersion"),
    API_F_STRING(api_owner_ref, kind, "kind"),
    API_F_STRING(api_owner_ref, name, "name"),
    API_F_STRING(api_owner_ref, uid, "uid"),
    API_F_END,
};
static const api_type owner_ref_type = API_TYPE(api_owner_ref, owner_ref_fields);

static const api_field meta_fields[] = {
    API_F_STRING(api_meta, name, "name", .flags = API_REQUIRED | API_NONEMPTY),
    API_F_STRING(api_meta, namespace, "namespace"),
    API_F_STRING(api_meta, uid, "uid"),
    API_F_STRING(api_meta, creation_timestamp, "creationTimestamp"),
    API_F_STRING(api_meta, resource_version, "resourceVersion"),
    API_F_STRING(api_meta, deletion_timestamp, "deletionTimestamp"),
    API_F_INT(api_meta, generation, "generation"),
    API_F_MAP(api_meta, labels, "labels"),
    API_F_MAP(api_meta, annotations, "annotations"),
    API_F_LIST(api_meta, owner_references, "ownerReferences", owner_ref_type),
    API_F_END,
};
const api_type api_meta_type = API_TYPE(api_meta, meta_fields);

const char *api_object_nsname(arena *a, const api_object *o)
{
    if (o->metadata.namespace && *o->metadata.namespace)
        return arena_printf(a, "%s/%s", o->metadata.namespace, o->metadata.name);
    return arena_strdup(a, o->metadata.name);
}

const char *api_version_group(arena *a, const char *api_version)
{
    const char *slash = api_version ? strrchr(api_version, '/') : NULL;
    return slash ? arena_strndup(a, api_version, (size_t)(slash - api_version)) : "";
}
