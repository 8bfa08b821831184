/* A small Kubernetes API client on the libuv loop.
 *
 * Every request is a libcurl easy handle driven by one curl multi handle whose
 * sockets and timer are libuv poll and timer handles: no threads, every
 * callback runs on the loop. Configuration comes from a kubeconfig
 * ($KUBECONFIG, else ~/.kube/config) or from inside a cluster (service-account
 * token, CA, KUBERNETES_SERVICE_HOST/PORT). A bearer token read from a file is
 * read again whenever the file changes (projected tokens are rotated).
 *
 * Informers list a collection, then watch it from the list's resourceVersion
 * with bookmarks; a watch that ends is resumed from the last version seen, a
 * 410 Gone (expired version) triggers a new list, and errors back off
 * (250 ms doubling to 8 s). Each informer keeps the current objects. */
#ifndef EG_PROVIDER_KUBERNETES_KCLIENT_H
#define EG_PROVIDER_KUBERNETES_KCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

/* Where and how to reach the API server. Strings are malloc'd, owned. */
typedef struct kc_config {
    char *server;               /* https://host:port */
    char *token;                /* bearer token given inline */
    char *token_file;           /* bearer token read from this file (re-read when it changes) */
    char *ca_file, *ca_pem;     /* CA bundle: a file or PEM text */
    char *cert_file, *cert_pem; /* client certificate */
    char *key_file, *key_pem;   /* client key */
    bool insecure;              /* skip server certificate verification */
    char *source;               /* where this came from, for logs */
} kc_config;

/* $KUBECONFIG (its first file), else in-cluster when KUBERNETES_SERVICE_HOST
 * is set, else ~/.kube/config. Returns 0, or -1 with a malloc'd message. */
int kc_config_load(kc_config *c, char **err);
/* One kubeconfig file (its current context). */
int kc_config_from_kubeconfig(kc_config *c, const char *path, char **err);
/* In-cluster: the service-account directory (NULL: the standard
 * /var/run/secrets/kubernetes.io/serviceaccount) and KUBERNETES_SERVICE_*. */
int kc_config_in_cluster(kc_config *c, const char *sa_dir, char **err);
void kc_config_free(kc_config *c);

typedef struct kc_client kc_client;

kc_client *kc_client_new(uv_loop_t *loop, const kc_config *cfg);
/* Cancels every request and informer (no more callbacks) and frees the client
 * once libuv released its handles. */
void kc_client_close(kc_client *c);

/* The answer to a request: `status` is the HTTP status, 0 when the request
 * failed before an answer (then `error` says why). `body` is the parsed JSON
 * answer or NULL; borrowed for the duration of the callback. */
typedef struct kc_response {
    long status;
    json_t *body;
    const char *error;
} kc_response;
typedef void (*kc_response_cb)(void *arg, const kc_response *r);

/* Sends one request. `path` is the URL path with query ("/api/v1/..."),
 * `body` (may be NULL) is sent with `content_type`. `cb` may be NULL. */
void kc_request(kc_client *c, const char *method, const char *path, const char *content_type,
                const char *body, long timeout_ms, kc_response_cb cb, void *arg);
/* The same, blocking (for shutdown, when the loop no longer runs requests):
 * returns the HTTP status (0 on failure); *body (may be NULL) gets the
 * parsed answer, owned by the caller. */
long kc_request_blocking(kc_client *c, const char *method, const char *path,
                         const char *content_type, const char *body, long timeout_ms,
                         json_t **answer);
/* Server-side apply of `obj` (apiVersion, kind, metadata.name, ...) at
 * `path` (the object's URL) with the field manager, forcing ownership. */
void kc_apply(kc_client *c, const char *path, const json_t *obj, const char *field_manager,
              kc_response_cb cb, void *arg);
uv_loop_t *kc_client_loop(const kc_client *c);
/* Number of requests sent so far (writes included), for tests and logs. */
unsigned long kc_request_count(const kc_client *c);

/* ---- informers ---- */

typedef struct kc_informer kc_informer;
/* After the first list (synced turns true) and after every change of the
 * store. `type` is "ADDED", "MODIFIED", "STATUS" (modified, but only its
 * status), "DELETED" or "RELIST"; `obj` is the object (NULL for RELIST). */
typedef void (*kc_informer_cb)(void *arg, kc_informer *inf, const char *type, json_t *obj);

/* A collection: `prefix` "/api/v1" or "/apis/<group>/<version>", `resource`
 * ("services"), `namespace` NULL for every namespace, `label_selector` may be
 * NULL. Items get `api_version` and `kind` (lists leave them out), and lose
 * metadata.managedFields. Nothing happens until kc_informer_start. */
kc_informer *kc_informer_new(kc_client *c, const char *prefix, const char *resource,
                             const char *namespace, const char *label_selector,
                             const char *api_version, const char *kind, kc_informer_cb cb,
                             void *arg);
void kc_informer_start(kc_informer *inf);
/* True once the first list succeeded, or the API answered that the resource
 * does not exist (404: a CRD not installed; its store stays empty). */
bool kc_informer_synced(const kc_informer *inf);
/* The objects, keyed "namespace/name" (or "name"); borrowed. */
json_t *kc_informer_store(const kc_informer *inf);
const char *kc_informer_kind(const kc_informer *inf);
/* The object's URL path: prefix[/namespaces/ns]/resource/name. */
char *kc_informer_object_path(const kc_informer *inf, const char *namespace, const char *name);
/* Replaces an object in the store (after a successful write), so a later
 * read sees it before the watch event arrives. Takes a reference. */
void kc_informer_store_put(kc_informer *inf, json_t *obj);
/* The same, only when the store still holds the object and `obj` is not older
 * than it (same uid, resourceVersion no lower): a write answered after the
 * object's deletion, re-creation or next change was seen must not bring the
 * old one back. */
void kc_informer_store_update(kc_informer *inf, json_t *obj);

#endif
