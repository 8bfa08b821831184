/* Control-plane certificates as Secrets (see kcerts.h). */
#define _GNU_SOURCE
#include "provider/kubernetes/kcerts.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/core_kinds.h"
#include "core/arena.h"
#include "core/os.h"
#include "core/text.h"
#include "server/certgen.h"
#include "server/log.h"

#define SECRET_GATEWAY "envoy-gateway"
#define SECRET_HMAC "envoy-oidc-hmac"
#define REQUEST_MS 15000

static const char *const cert_secrets[] = {SECRET_GATEWAY, "envoy", "envoy-rate-limit"};

const char *kcerts_namespace(void)
{
    const char *ns = getenv("ENVOY_GATEWAY_NAMESPACE");
    return ns && *ns ? ns : "envoy-gateway-system";
}

static int fail(char **err, char *msg)
{
    *err = msg;
    return -1;
}

static char *b64(const void *data, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        abort();
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

static char *secret_path(const char *ns, const char *name)
{
    return name ? core_asprintf("/api/v1/namespaces/%s/secrets/%s", ns, name)
                : core_asprintf("/api/v1/namespaces/%s/secrets", ns);
}

/* A Secret object with `data` (base64 values; the reference is taken). */
static json_t *secret_new(const char *ns, const char *name, const char *type, json_t *data)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:o}", "apiVersion", "v1", "kind", "Secret",
                     "metadata", "name", name, "namespace", ns, "labels",
                     "app.kubernetes.io/managed-by", "envoy-gateway-certgen", "type", type, "data",
                     data);
}

static json_t *tls_secret(const char *ns, const char *name, const char *ca,
                          const srv_pem_pair *pair)
{
    char *v[3] = {b64(ca, strlen(ca)), b64(pair->cert, strlen(pair->cert)),
                  b64(pair->key, strlen(pair->key))};
    json_t *data = json_pack("{s:s,s:s,s:s}", "ca.crt", v[0], "tls.crt", v[1], "tls.key", v[2]);
    for (int i = 0; i < 3; i++)
        free(v[i]);
    return secret_new(ns, name, "kubernetes.io/tls", data);
}

static json_t *hmac_secret(const char *ns)
{
    unsigned char key[SRV_OIDC_HMAC_LEN];
    if (RAND_bytes(key, sizeof key) != 1)
        return NULL;
    char *v = b64(key, sizeof key);
    json_t *s = secret_new(ns, SECRET_HMAC, "Opaque", json_pack("{s:s}", "hmac-secret", v));
    free(v);
    return s;
}

/* POST (create) or, with `replace`, a forced server-side apply. */
static int secret_write(kc_client *c, const char *ns, json_t *secret, bool replace, char **err)
{
    const char *name =
        json_string_value(json_object_get(json_object_get(secret, "metadata"), "name"));
    char *body = json_dumps(secret, JSON_COMPACT);
    char *path = secret_path(ns, replace ? name : NULL);
    if (replace) {
        char *p = core_asprintf("%s?fieldManager=envoy-gateway-certgen&force=true", path);
        free(path);
        path = p;
    }
    json_t *answer = NULL;
    long status = kc_request_blocking(c, replace ? "PATCH" : "POST", path,
                                      replace ? "application/apply-patch+yaml" : "application/json",
                                      body, REQUEST_MS, &answer);
    free(body);
    free(path);
    int rc = 0;
    if (status != 200 && status != 201) {
        const char *msg = json_string_value(json_object_get(answer, "message"));
        rc = fail(err, core_asprintf("cannot %s Secret %s/%s: HTTP %ld%s%s",
                                     replace ? "replace" : "create", ns, name, status,
                                     msg ? ": " : "", msg ? msg : ""));
    } else
        printf("Secret %s/%s %s\n", ns, name, replace ? "replaced" : "created");
    json_decref(answer);
    return rc;
}

/* 1 when the Secret exists, 0 when not, -1 with *err. */
static int secret_exists(kc_client *c, const char *ns, const char *name, char **err)
{
    char *path = secret_path(ns, name);
    json_t *answer = NULL;
    long status = kc_request_blocking(c, "GET", path, NULL, NULL, REQUEST_MS, &answer);
    free(path);
    const char *msg = json_string_value(json_object_get(answer, "message"));
    int rc = status == 200 ? 1 : status == 404 ? 0 : -1;
    if (rc < 0)
        fail(err, core_asprintf("cannot read Secret %s/%s: %s%ld%s%s", ns, name,
                                status ? "HTTP " : "no answer from the API server ", status,
                                msg ? ": " : "", msg ? msg : ""));
    json_decref(answer);
    return rc;
}

static int generate(kc_client *c, const char *ns, const char *domain, bool overwrite, char **err)
{
    int have[3], n_have = 0;
    for (int i = 0; i < 3; i++) {
        if ((have[i] = secret_exists(c, ns, cert_secrets[i], err)) < 0)
            return -1;
        n_have += have[i];
    }
    if (n_have == 3 && !overwrite)
        printf("Secrets %s, %s and %s exist in %s: kept (--overwrite issues new ones)\n",
               cert_secrets[0], cert_secrets[1], cert_secrets[2], ns);
    else if (n_have > 0 && !overwrite) {
        char missing[128] = "";
        for (int i = 0; i < 3; i++)
            if (!have[i])
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                         *missing ? ", " : "", cert_secrets[i]);
        return fail(err, core_asprintf("namespace %s has some certificate Secrets but not %s; "
                                       "certificates of another CA would not verify each "
                                       "other: run certgen --overwrite to issue all three",
                                       ns, missing));
    } else {
        srv_cluster_certs certs;
        if (srv_certgen_cluster(ns, domain, &certs, err) < 0)
            return -1;
        const srv_pem_pair *pairs[3] = {&certs.gateway, &certs.envoy, &certs.ratelimit};
        int rc = 0;
        for (int i = 0; i < 3 && rc == 0; i++) {
            json_t *s = tls_secret(ns, cert_secrets[i], certs.ca, pairs[i]);
            rc = secret_write(c, ns, s, have[i] != 0, err);
            json_decref(s);
        }
        srv_cluster_certs_free(&certs);
        if (rc < 0)
            return -1;
    }
    int hmac = secret_exists(c, ns, SECRET_HMAC, err);
    if (hmac < 0)
        return -1;
    if (hmac == 1) {
        printf("Secret %s/%s exists: kept\n", ns, SECRET_HMAC);
        return 0;
    }
    json_t *s = hmac_secret(ns);
    if (!s)
        return fail(err, strdup("no random bytes for the HMAC key"));
    int rc = secret_write(c, ns, s, false, err);
    json_decref(s);
    return rc;
}

int kcerts_generate(const kc_config *cfg, const char *ns, const char *cluster_domain,
                    bool overwrite, char **err)
{
    *err = NULL;
    uv_loop_t loop;
    uv_loop_init(&loop);
    kc_client *c = kc_client_new(&loop, cfg);
    int rc = generate(c, ns, cluster_domain, overwrite, err);
    kc_client_close(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc;
}

/* ---- the server's copy ---- */

/* Writes `len` bytes to dir/file through a temporary file and a rename, so a
 * reader never sees half a key. */
static int file_replace(const char *dir, const char *file, const void *data, size_t len, char **err)
{
    char *path = core_asprintf("%s/%s", dir, file), *tmp = core_asprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = 0;
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0 || rename(tmp, path) != 0)
        rc = fail(err, core_asprintf("cannot write %s: %s", path, strerror(errno)));
    free(path);
    free(tmp);
    return rc;
}

/* The Secret's keys (NULL-terminated list) decoded into dir; -1 with *err
 * when one is missing or not base64. */
static int secret_to_files(const json_t *secret, const char *const *keys, const char *dir,
                           char **err)
{
    const char *ns =
        json_string_value(json_object_get(json_object_get(secret, "metadata"), "namespace"));
    const char *name =
        json_string_value(json_object_get(json_object_get(secret, "metadata"), "name"));
    json_t *data = json_object_get(secret, "data");
    arena *a = arena_new();
    int rc = 0;
    for (size_t i = 0; keys[i] && rc == 0; i++) {
        size_t len = 0;
        const char *text = json_string_value(json_object_get(data, keys[i]));
        char *bytes = text ? api_base64_decode(a, text, &len) : NULL;
        if (!bytes || !len)
            rc = fail(err,
                      core_asprintf("Secret %s/%s: data.%s: %s", ns ? ns : "?", name ? name : "?",
                                    keys[i], text ? "not base64" : "missing"));
        else
            rc = file_replace(dir, keys[i], bytes, len, err);
    }
    arena_free(a);
    return rc;
}

static const char *const tls_keys[] = {"ca.crt", "tls.crt", "tls.key", NULL};
static const char *const hmac_keys[] = {"hmac-secret", NULL};

static long secret_get(kc_client *c, const char *ns, const char *name, json_t **answer)
{
    char *path = secret_path(ns, name);
    long status = kc_request_blocking(c, "GET", path, NULL, NULL, REQUEST_MS, answer);
    free(path);
    return status;
}

int kcerts_fetch(kc_client *c, const char *ns, const char *dir, char **err)
{
    *err = NULL;
    if (core_mkdir_p(dir, 0700) < 0)
        return fail(err, core_asprintf("cannot create %s: %s", dir, strerror(errno)));
    json_t *answer = NULL;
    long status = secret_get(c, ns, SECRET_GATEWAY, &answer);
    int rc = 0;
    if (status == 404)
        rc = 1;
    else if (status != 200) {
        const char *msg = json_string_value(json_object_get(answer, "message"));
        rc = fail(err, core_asprintf("cannot read Secret %s/%s: HTTP %ld%s%s", ns, SECRET_GATEWAY,
                                     status, msg ? ": " : "", msg ? msg : ""));
    } else
        rc = secret_to_files(answer, tls_keys, dir, err);
    json_decref(answer);
    if (rc != 0)
        return rc;
    answer = NULL;
    if (secret_get(c, ns, SECRET_HMAC, &answer) == 200) {
        char *herr = NULL;
        if (secret_to_files(answer, hmac_keys, dir, &herr) < 0) {
            srv_log(SRV_LOG_WARN, "certs", "%s", herr);
            free(herr);
        }
    }
    json_decref(answer);
    return 0;
}

/* ---- following rotations ---- */

struct kcerts_watch {
    kc_informer *inf;
    char *dir;
    char *seen[2]; /* the data last written, as JSON text: envoy-gateway, envoy-oidc-hmac */
    void (*changed)(void *arg);
    void *arg;
};

/* Writes the files of `obj` (envoy-gateway or envoy-oidc-hmac) when its data
 * differs from what was last written; true when it did. */
static bool secret_consider(kcerts_watch *w, const json_t *obj)
{
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    int which = name && strcmp(name, SECRET_GATEWAY) == 0 ? 0
                : name && strcmp(name, SECRET_HMAC) == 0  ? 1
                                                          : -1;
    if (which < 0)
        return false;
    char *data = json_dumps(json_object_get(obj, "data"), JSON_COMPACT | JSON_SORT_KEYS);
    if (!data || (w->seen[which] && strcmp(w->seen[which], data) == 0)) {
        free(data);
        return false;
    }
    char *err = NULL;
    if (secret_to_files(obj, which == 0 ? tls_keys : hmac_keys, w->dir, &err) < 0) {
        srv_log(SRV_LOG_ERROR, "certs", "rotation not applied: %s", err);
        free(err);
        free(data);
        return false;
    }
    srv_log(SRV_LOG_INFO, "certs", "Secret %s %s: files in %s updated", name,
            w->seen[which] ? "changed" : "listed", w->dir);
    free(w->seen[which]);
    w->seen[which] = data;
    return true;
}

static void on_secret(void *arg, kc_informer *inf, const char *type, json_t *obj)
{
    kcerts_watch *w = arg;
    bool changed = false;
    if (strcmp(type, "RELIST") == 0) {
        json_t *store = kc_informer_store(inf);
        const char *key;
        json_t *v;
        json_object_foreach(store, key, v)
        {
            changed |= secret_consider(w, v);
        }
    } else if (obj && strcmp(type, "DELETED") != 0) /* deleted: the last one stays in use */
        changed = secret_consider(w, obj);
    if (changed)
        w->changed(w->arg);
}

kcerts_watch *kcerts_watch_new(kc_client *c, const char *ns, const char *dir,
                               void (*changed)(void *arg), void *arg)
{
    kcerts_watch *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->dir = strdup(dir);
    w->changed = changed;
    w->arg = arg;
    w->inf = kc_informer_new(c, "/api/v1", "secrets", ns, NULL, "v1", "Secret", on_secret, w);
    return w;
}

void kcerts_watch_start(kcerts_watch *w)
{
    kc_informer_start(w->inf);
}

void kcerts_watch_free(kcerts_watch *w)
{
    if (!w)
        return;
    free(w->seen[0]);
    free(w->seen[1]);
    free(w->dir);
    free(w);
}
