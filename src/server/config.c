/* EnvoyGateway static configuration for standalone mode (see config.h). */
#define _GNU_SOURCE
#include "core/text.h"
#include "server/config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/document.h"
#include "api/resources.h"

static char *xdg_dir(const char *env, const char *home_suffix)
{
    const char *v = getenv(env);
    char *out = NULL;
    int r = v && v[0] ? asprintf(&out, "%s/envoy-gateway", v)
                      : asprintf(&out, "%s/%s/envoy-gateway",
                                 getenv("HOME") ? getenv("HOME") : "/tmp", home_suffix);
    if (r < 0)
        abort();
    return out;
}

static void config_defaults(srv_config *c)
{
    c->config_home = xdg_dir("XDG_CONFIG_HOME", ".config");
    c->data_home = xdg_dir("XDG_DATA_HOME", ".local/share");
    c->state_home = xdg_dir("XDG_STATE_HOME", ".local/state");
    if (asprintf(&c->runtime_dir, "/tmp/envoy-gateway-%u", (unsigned)getuid()) < 0)
        abort();
    c->admin_host = strdup("127.0.0.1");
    c->admin_port = 19000;
}

static int fail(char **err, const char *fmt, const char *a, const char *b)
{
    if (asprintf(err, fmt, a, b) < 0)
        *err = NULL;
    return -1;
}

static void set_string(char **dst, json_t *v)
{
    if (json_is_string(v)) {
        free(*dst);
        *dst = strdup(json_string_value(v));
    }
}

static int config_provider(srv_config *c, json_t *provider, const char *path, char **err)
{
    const char *type = json_string_value(json_object_get(provider, "type"));
    if (!type || strcmp(type, "Kubernetes") == 0) { /* the reference's default */
        c->kubernetes = 1;
        return 0;
    }
    if (strcmp(type, "Custom") != 0)
        return fail(err, "%s: provider.type: expected \"Kubernetes\" or \"Custom\", got %s", path,
                    type);
    json_t *custom = json_object_get(provider, "custom");
    json_t *res = json_object_get(custom, "resource");
    const char *rtype = json_string_value(json_object_get(res, "type"));
    if (!rtype || strcmp(rtype, "File") != 0)
        return fail(err, "%s: provider.custom.resource.type: expected \"File\", got %s", path,
                    rtype ? rtype : "nothing");
    json_t *paths = json_object_get(json_object_get(res, "file"), "paths");
    if (!json_is_array(paths) || json_array_size(paths) == 0)
        return fail(err, "%s: provider.custom.resource.file.paths: %s", path,
                    "required: a list of files and directories");
    c->n_paths = json_array_size(paths);
    c->paths = calloc(c->n_paths, sizeof *c->paths);
    for (size_t i = 0; i < c->n_paths; i++) {
        const char *p = json_string_value(json_array_get(paths, i));
        if (!p)
            return fail(err, "%s: provider.custom.resource.file.paths: %s", path,
                        "every entry must be a string");
        c->paths[i] = strdup(p);
    }
    json_t *infra = json_object_get(custom, "infrastructure");
    const char *itype = json_string_value(json_object_get(infra, "type"));
    if (itype && strcmp(itype, "Host") != 0)
        return fail(err,
                    "%s: provider.custom.infrastructure.type: only \"Host\" is supported, got %s",
                    path, itype);
    json_t *host = json_object_get(infra, "host");
    set_string(&c->config_home, json_object_get(host, "configHome"));
    set_string(&c->data_home, json_object_get(host, "dataHome"));
    set_string(&c->state_home, json_object_get(host, "stateHome"));
    set_string(&c->runtime_dir, json_object_get(host, "runtimeDir"));
    return 0;
}

static void config_admin(srv_config *c, json_t *doc)
{
    json_t *addr = json_object_get(json_object_get(doc, "admin"), "address");
    set_string(&c->admin_host, json_object_get(addr, "host"));
    if (json_is_integer(json_object_get(addr, "port")))
        c->admin_port = (int)json_integer_value(json_object_get(addr, "port"));
}

/* The EnvoyGateway document of `text` as JSON, with the metadata the typed
 * decoder wants (a static configuration names none), or NULL. */
static json_t *config_document(const char *text, const char *path, char **err)
{
    api_document_list docs = {0};
    diag_list diags = {0};
    json_t *doc = NULL;
    if (api_documents_parse(text, strlen(text), path, &docs, &diags) < 0 || docs.n != 1) {
        char *first = diags.n ? diag_format(&diags.items[0])
                              : strdup("expected exactly one EnvoyGateway document");
        fail(err, "%s: %s", path, first);
        free(first);
    } else {
        doc = json_incref(docs.items[0].root);
        if (!json_object_get(doc, "metadata"))
            json_object_set_new(doc, "metadata", json_pack("{s:s}", "name", "envoy-gateway"));
    }
    diag_list_clear(&diags);
    api_document_list_clear(&docs);
    return doc;
}

int srv_config_load(srv_config *c, const char *path, char **err)
{
    memset(c, 0, sizeof *c);
    *err = NULL;
    config_defaults(c);
    if (!path) {
        c->kubernetes = 1;
        c->n_paths = 1;
        c->paths = calloc(1, sizeof *c->paths);
        if (asprintf(&c->paths[0], "%s/resources", c->config_home) < 0)
            abort();
        return 0;
    }
    char *raw = core_read_file(path, NULL);
    if (!raw)
        return fail(err, "%s: cannot read the configuration%s", path, "");
    json_t *doc = config_document(raw, path, err);
    free(raw);
    if (!doc)
        return -1;
    c->text = json_dumps(doc, JSON_COMPACT);
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    int rc = 0;
    if (api_resources_add(r, doc, path, 1, &diags) < 0 || !r->envoy_gateway) {
        char *first = diags.n ? diag_format(&diags.items[0]) : strdup("not an EnvoyGateway");
        rc = fail(err, "%s", first, "");
        free(first);
    } else {
        rc = config_provider(c, r->envoy_gateway->provider, path, err);
        if (rc == 0)
            config_admin(c, doc);
    }
    diag_list_clear(&diags);
    api_resources_free(r);
    json_decref(doc);
    return rc;
}

void srv_config_free(srv_config *c)
{
    free(c->text);
    for (size_t i = 0; i < c->n_paths; i++)
        free(c->paths[i]);
    free(c->paths);
    free(c->config_home);
    free(c->data_home);
    free(c->state_home);
    free(c->runtime_dir);
    free(c->admin_host);
    memset(c, 0, sizeof *c);
}
