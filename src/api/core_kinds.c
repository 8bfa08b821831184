#include "api/core_kinds.h"
#include "core/base64.h"

#include <string.h>

static const api_field namespace_fields[] = {
    API_OBJECT_FIELDS(api_namespace),
    API_F_END,
};
const api_type api_namespace_type = API_TYPE(api_namespace, namespace_fields);

static const api_field secret_fields[] = {
    API_OBJECT_FIELDS(api_secret),
    API_F_STRING(api_secret, type, "type", .def = "Opaque"),
    API_F_MAP(api_secret, data, "data"),
    API_F_MAP(api_secret, string_data, "stringData"),
    API_F_END,
};
const api_type api_secret_type = API_TYPE(api_secret, secret_fields);

static const api_field config_map_fields[] = {
    API_OBJECT_FIELDS(api_config_map),
    API_F_MAP(api_config_map, data, "data"),
    API_F_MAP(api_config_map, binary_data, "binaryData"),
    API_F_END,
};
const api_type api_config_map_type = API_TYPE(api_config_map, config_map_fields);

char *api_base64_decode(arena *a, const char *text, size_t *len)
{
    size_t n = strlen(text), o = 0;
    char *out = arena_alloc(a, BASE64_DECODED_MAX(n) + 1);
    if (!base64_decode(text, n, (unsigned char *)out, &o))
        return NULL;
    out[o] = '\0';
    if (len)
        *len = o;
    return out;
}

static const char *plain_or_base64(arena *a, const api_kv *plain, size_t n_plain,
                                   const api_kv *encoded, size_t n_encoded, const char *key,
                                   size_t *len)
{
    const char *v = api_kv_get(plain, n_plain, key);
    if (v) {
        if (len)
            *len = strlen(v);
        return v;
    }
    v = api_kv_get(encoded, n_encoded, key);
    return v ? api_base64_decode(a, v, len) : NULL;
}

const char *api_secret_value(arena *a, const api_secret *s, const char *key, size_t *len)
{
    return plain_or_base64(a, s->string_data, s->n_string_data, s->data, s->n_data, key, len);
}

const char *api_config_map_value(arena *a, const api_config_map *cm, const char *key, size_t *len)
{
    return plain_or_base64(a, cm->data, cm->n_data, cm->binary_data, cm->n_binary_data, key, len);
}
