/* The static configuration of `envoy-gateway server` in standalone mode: the
 * EnvoyGateway document of --config-path (provider.type Custom, a File
 * resource provider, Host infrastructure, admin address), with the
 * reference's defaults filled in (XDG directories, admin on 127.0.0.1:19000).
 * Everything in srv_config is malloc'd and owned by it. */
#ifndef EG_SERVER_CONFIG_H
#define EG_SERVER_CONFIG_H

#include <stddef.h>

typedef struct srv_config {
    char *text;   /* the EnvoyGateway document as read, or NULL (defaults) */
    char **paths; /* provider.custom.resource.file.paths */
    size_t n_paths;
    char *config_home; /* host.configHome: certificates live in <configHome>/certs */
    char *data_home;   /* host.dataHome: an `envoy` binary here is preferred */
    char *state_home;  /* host.stateHome */
    char *runtime_dir; /* host.runtimeDir: bootstraps of running proxies */
    char *admin_host;
    int admin_port;
    /* provider.type Kubernetes, the default without a configuration file:
     * resources from the API server (src/provider/kubernetes). */
    int kubernetes;
} srv_config;

/* Reads `path` (NULL: the reference's default, Kubernetes; the file paths are
 * then <configHome>/resources).
 * Returns 0, or -1 with a malloc'd message naming the field in *err. */
int srv_config_load(srv_config *c, const char *path, char **err);
void srv_config_free(srv_config *c);

#endif
