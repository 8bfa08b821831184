/* Kubernetes API client: curl multi on the libuv loop (see kclient.h). */
#define _GNU_SOURCE
#include "core/text.h"
#include "core/base64.h"
#include "provider/kubernetes/kclient.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/document.h"
#include "server/log.h"

#define KC_DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KC_MAX_REQUEST_CONNS 16

static char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static int fail(char **err, char *msg)
{
    *err = msg;
    return -1;
}

/* ---- configuration ---- */

void kc_config_free(kc_config *c)
{
    char **fields[] = {&c->server,    &c->token,    &c->token_file, &c->ca_file, &c->ca_pem,
                       &c->cert_file, &c->cert_pem, &c->key_file,   &c->key_pem, &c->source};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    c->insecure = false;
}

static char *base64_text_decode(const char *text)
{
    size_t n = strlen(text), len = 0;
    unsigned char *out = malloc(BASE64_DECODED_MAX(n) + 1);
    if (!out)
        abort();
    if (!base64_decode(text, n, out, &len)) {
        free(out);
        return NULL;
    }
    out[len] = 0;
    return (char *)out;
}

/* A path of the kubeconfig, relative to the kubeconfig's directory. */
static char *kubeconfig_path(const char *kubeconfig, const char *p)
{
    if (p[0] == '/')
        return xstrdup(p);
    const char *slash = strrchr(kubeconfig, '/');
    if (!slash)
        return xstrdup(p);
    return core_asprintf("%.*s/%s", (int)(slash - kubeconfig), kubeconfig, p);
}

static json_t *named_entry(json_t *list, const char *name, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && name && strcmp(n, name) == 0)
            return json_object_get(e, field);
    }
    return NULL;
}

/* `file_key` names a path, `data_key` base64 PEM; sets one of *file / *pem. */
static int kubeconfig_pem(const char *kubeconfig, json_t *obj, const char *file_key,
                          const char *data_key, char **file, char **pem, char **err)
{
    const char *f = json_string_value(json_object_get(obj, file_key));
    const char *d = json_string_value(json_object_get(obj, data_key));
    if (d) {
        *pem = base64_text_decode(d);
        if (!*pem)
            return fail(err, core_asprintf("%s: %s: not base64", kubeconfig, data_key));
    } else if (f) {
        *file = kubeconfig_path(kubeconfig, f);
    }
    return 0;
}

int kc_config_from_kubeconfig(kc_config *c, const char *path, char **err)
{
    memset(c, 0, sizeof *c);
    *err = NULL;
    size_t len;
    char *text = core_read_file(path, &len);
    if (!text)
        return fail(err, core_asprintf("%s: cannot read the kubeconfig", path));
    api_document_list docs = {0};
    diag_list diags = {0};
    int rc = api_documents_parse(text, len, path, &docs, &diags);
    free(text);
    if (rc < 0 || docs.n != 1 || !json_is_object(docs.items[0].root)) {
        char *first = diags.n ? diag_format(&diags.items[0]) : xstrdup("expected one document");
        diag_list_clear(&diags);
        api_document_list_clear(&docs);
        *err = core_asprintf("%s: %s", path, first);
        free(first);
        return -1;
    }
    diag_list_clear(&diags);
    json_t *root = docs.items[0].root;
    const char *current = json_string_value(json_object_get(root, "current-context"));
    json_t *contexts = json_object_get(root, "contexts");
    json_t *ctx = current ? named_entry(contexts, current, "context")
                          : json_object_get(json_array_get(contexts, 0), "context");
    const char *cluster_name = json_string_value(json_object_get(ctx, "cluster"));
    const char *user_name = json_string_value(json_object_get(ctx, "user"));
    json_t *cluster =
        cluster_name
            ? named_entry(json_object_get(root, "clusters"), cluster_name, "cluster")
            : json_object_get(json_array_get(json_object_get(root, "clusters"), 0), "cluster");
    json_t *user =
        user_name ? named_entry(json_object_get(root, "users"), user_name, "user") : NULL;
    const char *server = json_string_value(json_object_get(cluster, "server"));
    rc = 0;
    if (!server) {
        rc = fail(err, core_asprintf("%s: clusters[].cluster.server: required (context %s)", path,
                                     current ? current : "(first)"));
    } else {
        c->server = xstrdup(server);
        size_t n = strlen(c->server);
        while (n > 0 && c->server[n - 1] == '/')
            c->server[--n] = 0;
        c->insecure = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
        c->token = xstrdup(json_string_value(json_object_get(user, "token")));
        const char *tf = json_string_value(json_object_get(user, "tokenFile"));
        if (tf)
            c->token_file = kubeconfig_path(path, tf);
        if (kubeconfig_pem(path, cluster, "certificate-authority", "certificate-authority-data",
                           &c->ca_file, &c->ca_pem, err) < 0 ||
            kubeconfig_pem(path, user, "client-certificate", "client-certificate-data",
                           &c->cert_file, &c->cert_pem, err) < 0 ||
            kubeconfig_pem(path, user, "client-key", "client-key-data", &c->key_file, &c->key_pem,
                           err) < 0)
            rc = -1;
        c->source = core_asprintf("kubeconfig %s", path);
    }
    api_document_list_clear(&docs);
    if (rc < 0)
        kc_config_free(c);
    return rc;
}

int kc_config_in_cluster(kc_config *c, const char *sa_dir, char **err)
{
    memset(c, 0, sizeof *c);
    *err = NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host)
        return fail(err, xstrdup("in-cluster configuration: KUBERNETES_SERVICE_HOST is not set"));
    if (!sa_dir)
        sa_dir = KC_DEFAULT_SA_DIR;
    c->token_file = core_asprintf("%s/token", sa_dir);
    struct stat st;
    if (stat(c->token_file, &st) < 0) {
        *err =
            core_asprintf("in-cluster configuration: %s: no service-account token", c->token_file);
        kc_config_free(c);
        return -1;
    }
    c->ca_file = core_asprintf("%s/ca.crt", sa_dir);
    c->server = strchr(host, ':') ? core_asprintf("https://[%s]:%s", host, port ? port : "443")
                                  : core_asprintf("https://%s:%s", host, port ? port : "443");
    c->source = core_asprintf("in-cluster (%s)", sa_dir);
    return 0;
}

int kc_config_load(kc_config *c, char **err)
{
    const char *kc = getenv("KUBECONFIG");
    if (kc && *kc) {
        char *first = xstrdup(kc);
        char *colon = strchr(first, ':');
        if (colon)
            *colon = 0;
        int rc = kc_config_from_kubeconfig(c, first, err);
        free(first);
        return rc;
    }
    if (getenv("KUBERNETES_SERVICE_HOST"))
        return kc_config_in_cluster(c, getenv("EG_SERVICEACCOUNT_DIR"), err);
    const char *home = getenv("HOME");
    char *path = core_asprintf("%s/.kube/config", home ? home : "/root");
    int rc = kc_config_from_kubeconfig(c, path, err);
    if (rc < 0) {
        free(*err);
        *err = core_asprintf("no Kubernetes configuration: set KUBECONFIG, run in a cluster "
                             "(KUBERNETES_SERVICE_HOST), or provide %s",
                             path);
    }
    free(path);
    return rc;
}

/* ---- the client ---- */

typedef struct kc_req kc_req;

struct kc_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    kc_config cfg;
    char *token; /* current bearer token */
    struct timespec token_mtime;
    off_t token_size;
    kc_req *reqs; /* every request in flight (a list) */
    kc_informer **informers;
    size_t n_informers, cap_informers;
    unsigned long n_requests;
    /* Requests made from inside a curl callback (a watch line), added to the
     * multi handle once curl returned: it refuses recursive calls. */
    kc_req **deferred;
    size_t n_deferred, cap_deferred;
    int in_curl;
    bool closing;
    int open_handles;
};

typedef struct kc_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    kc_client *c;
} kc_sock;

/* Called with every complete line of a streaming answer (watch). */
typedef void (*kc_line_cb)(void *arg, const char *line, size_t len);

struct kc_req {
    kc_client *c;
    kc_req *next, *prev;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char *buf;
    size_t len, cap;
    kc_response_cb cb;
    kc_line_cb line_cb;
    void *arg;
    char errbuf[CURL_ERROR_SIZE];
};

uv_loop_t *kc_client_loop(const kc_client *c)
{
    return c->loop;
}

unsigned long kc_request_count(const kc_client *c)
{
    return c->n_requests;
}

static void token_refresh(kc_client *c)
{
    if (!c->cfg.token_file)
        return;
    struct stat st;
    if (stat(c->cfg.token_file, &st) < 0)
        return;
    if (c->token && st.st_mtim.tv_sec == c->token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == c->token_mtime.tv_nsec && st.st_size == c->token_size)
        return;
    char *t = core_read_file(c->cfg.token_file, NULL);
    if (!t)
        return;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
        t[--n] = 0;
    if (c->token)
        srv_log(SRV_LOG_INFO, "kubernetes", "token file %s changed: using the new token",
                c->cfg.token_file);
    free(c->token);
    c->token = t;
    c->token_mtime = st.st_mtim;
    c->token_size = st.st_size;
}

static void req_unlink(kc_req *r)
{
    kc_client *c = r->c;
    if (r->prev)
        r->prev->next = r->next;
    else if (c->reqs == r)
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
}

static void req_free(kc_req *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->c->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r->buf);
    free(r);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    kc_req *r = userdata;
    size_t n = size * nmemb;
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            abort();
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, ptr, n);
    r->len += n;
    r->buf[r->len] = 0;
    if (r->line_cb) {
        /* Hand over every complete line; keep the rest. */
        size_t start = 0;
        for (size_t i = 0; i < r->len; i++) {
            if (r->buf[i] != '\n')
                continue;
            if (i > start)
                r->line_cb(r->arg, r->buf + start, i - start);
            start = i + 1;
        }
        memmove(r->buf, r->buf + start, r->len - start);
        r->len -= start;
        r->buf[r->len] = 0;
    }
    return n;
}

static kc_req *req_new(kc_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, long timeout_ms)
{
    kc_req *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->c = c;
    r->easy = curl_easy_init();
    if (!r->easy)
        abort();
    token_refresh(c);
    char *url = core_asprintf("%s%s", c->cfg.server, path);
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->cfg.insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->cfg.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->cfg.ca_file);
    if (c->cfg.ca_pem) {
        struct curl_blob b = {c->cfg.ca_pem, strlen(c->cfg.ca_pem), CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    }
    if (c->cfg.cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cfg.cert_file);
    if (c->cfg.cert_pem) {
        struct curl_blob b = {c->cfg.cert_pem, strlen(c->cfg.cert_pem), CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (c->cfg.key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->cfg.key_file);
    if (c->cfg.key_pem) {
        struct curl_blob b = {c->cfg.key_pem, strlen(c->cfg.key_pem), CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    r->headers = curl_slist_append(r->headers, "Accept: application/json");
    r->headers = curl_slist_append(r->headers, "Expect:");
    r->headers = curl_slist_append(r->headers, "User-Agent: envoy-gateway-c");
    const char *token = c->token ? c->token : c->cfg.token;
    if (token) {
        char *h = core_asprintf("Authorization: Bearer %s", token);
        r->headers = curl_slist_append(r->headers, h);
        free(h);
    }
    if (body) {
        char *h =
            core_asprintf("Content-Type: %s", content_type ? content_type : "application/json");
        r->headers = curl_slist_append(r->headers, h);
        free(h);
        r->body = xstrdup(body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    return r;
}

static void check_done(kc_client *c);

static void req_send(kc_req *r)
{
    kc_client *c = r->c;
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    c->n_requests++;
    if (c->in_curl) {
        if (c->n_deferred == c->cap_deferred) {
            c->cap_deferred = c->cap_deferred ? 2 * c->cap_deferred : 8;
            c->deferred = realloc(c->deferred, c->cap_deferred * sizeof *c->deferred);
            if (!c->deferred)
                abort();
        }
        c->deferred[c->n_deferred++] = r;
        return;
    }
    CURLMcode rc = curl_multi_add_handle(c->multi, r->easy);
    if (rc != CURLM_OK)
        srv_log(SRV_LOG_ERROR, "kubernetes", "cannot start a request: %s", curl_multi_strerror(rc));
}

/* After curl returned: start what its callbacks asked for. */
static void add_deferred(kc_client *c)
{
    while (c->n_deferred > 0 && !c->in_curl) {
        kc_req *r = c->deferred[--c->n_deferred];
        curl_multi_add_handle(c->multi, r->easy);
    }
}

static void socket_action(kc_client *c, curl_socket_t fd, int flags)
{
    int running;
    c->in_curl++;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    c->in_curl--;
    check_done(c);
    add_deferred(c);
}

void kc_request(kc_client *c, const char *method, const char *path, const char *content_type,
                const char *body, long timeout_ms, kc_response_cb cb, void *arg)
{
    kc_req *r = req_new(c, method, path, content_type, body, timeout_ms > 0 ? timeout_ms : 30000);
    r->cb = cb;
    r->arg = arg;
    req_send(r);
}

long kc_request_blocking(kc_client *c, const char *method, const char *path,
                         const char *content_type, const char *body, long timeout_ms,
                         json_t **answer)
{
    kc_req *r = req_new(c, method, path, content_type, body, timeout_ms);
    long status = 0;
    if (curl_easy_perform(r->easy) == CURLE_OK)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (answer) {
        json_error_t jerr;
        *answer = r->len ? json_loadb(r->buf, r->len, 0, &jerr) : NULL;
    }
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    req_free(r);
    return status;
}

void kc_apply(kc_client *c, const char *path, const json_t *obj, const char *field_manager,
              kc_response_cb cb, void *arg)
{
    char *body = json_dumps(obj, JSON_COMPACT);
    char *p = core_asprintf("%s?fieldManager=%s&force=true", path, field_manager);
    kc_request(c, "PATCH", p, "application/apply-patch+yaml", body, 30000, cb, arg);
    free(p);
    free(body);
}

static void check_done(kc_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        kc_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        kc_response resp = {0};
        if (rc == CURLE_OK)
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
        else
            resp.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
        if (r->buf && r->len && !r->line_cb) {
            json_error_t jerr;
            resp.body = json_loadb(r->buf, r->len, 0, &jerr);
        }
        req_unlink(r);
        curl_multi_remove_handle(c->multi, r->easy);
        if (r->cb)
            r->cb(r->arg, &resp);
        json_decref(resp.body);
        req_free(r);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    kc_sock *s = h->data;
    kc_client *c = s->c;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    socket_action(c, s->fd, flags);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    kc_client *c = userp;
    kc_sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            s->poll.data = s;
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            abort();
        s->fd = fd;
        s->c = c;
        uv_poll_init_socket(c->loop, &s->poll, fd);
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    kc_client *c = t->data;
    socket_action(c, CURL_SOCKET_TIMEOUT, 0);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    kc_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

kc_client *kc_client_new(uv_loop_t *loop, const kc_config *cfg)
{
    static bool curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
    kc_client *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->loop = loop;
    c->cfg = (kc_config){.server = xstrdup(cfg->server),
                         .token = xstrdup(cfg->token),
                         .token_file = xstrdup(cfg->token_file),
                         .ca_file = xstrdup(cfg->ca_file),
                         .ca_pem = xstrdup(cfg->ca_pem),
                         .cert_file = xstrdup(cfg->cert_file),
                         .cert_pem = xstrdup(cfg->cert_pem),
                         .key_file = xstrdup(cfg->key_file),
                         .key_pem = xstrdup(cfg->key_pem),
                         .insecure = cfg->insecure,
                         .source = xstrdup(cfg->source)};
    c->multi = curl_multi_init();
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)KC_MAX_REQUEST_CONNS);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    return c;
}

/* ---- informers ---- */

struct kc_informer {
    kc_client *c;
    char *prefix, *resource, *namespace, *label_selector, *api_version, *kind;
    kc_informer_cb cb;
    void *arg;
    json_t *store;
    char *resource_version;
    bool synced, started;
    kc_req *watch;
    uv_timer_t retry;
    unsigned backoff_ms;
    bool relist_needed;
};

static void informer_list(kc_informer *inf);
static void informer_watch(kc_informer *inf);
static void informer_on_retry(uv_timer_t *t);

static char *collection_path(const kc_informer *inf)
{
    if (inf->namespace)
        return core_asprintf("%s/namespaces/%s/%s", inf->prefix, inf->namespace, inf->resource);
    return core_asprintf("%s/%s", inf->prefix, inf->resource);
}

char *kc_informer_object_path(const kc_informer *inf, const char *namespace, const char *name)
{
    if (namespace && *namespace)
        return core_asprintf("%s/namespaces/%s/%s/%s", inf->prefix, namespace, inf->resource, name);
    return core_asprintf("%s/%s/%s", inf->prefix, inf->resource, name);
}

static char *object_key(const json_t *obj)
{
    json_t *md = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!name)
        return NULL;
    return ns && *ns ? core_asprintf("%s/%s", ns, name) : xstrdup(name);
}

static void object_prepare(const kc_informer *inf, json_t *obj)
{
    json_object_set_new(obj, "apiVersion", json_string(inf->api_version));
    json_object_set_new(obj, "kind", json_string(inf->kind));
    json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

static void informer_retry_later(kc_informer *inf, bool relist)
{
    if (inf->c->closing)
        return;
    inf->relist_needed = inf->relist_needed || relist;
    unsigned ms = inf->backoff_ms ? inf->backoff_ms : 250;
    inf->backoff_ms = ms * 2 > 8000 ? 8000 : ms * 2;
    uv_timer_start(&inf->retry, informer_on_retry, ms, 0);
}

static void informer_on_retry(uv_timer_t *t)
{
    kc_informer *inf = t->data;
    if (inf->relist_needed || !inf->resource_version)
        informer_list(inf);
    else
        informer_watch(inf);
}

static void on_list(void *arg, const kc_response *r)
{
    kc_informer *inf = arg;
    if (r->status == 404 && (!inf->synced || json_object_size(inf->store) == 0)) {
        /* The resource is not served (its CRD is not installed): empty, and
         * looked for again now and then (a CRD installed later is watched).
         * Said once; an empty store that stays empty changes nothing. */
        if (!inf->synced) {
            srv_log(SRV_LOG_WARN, "kubernetes",
                    "%s/%s is not served by the API server: none watched until it is", inf->prefix,
                    inf->resource);
            inf->synced = true;
            if (inf->cb)
                inf->cb(inf->arg, inf, "RELIST", NULL);
        }
        inf->relist_needed = true;
        inf->backoff_ms = 8000;
        informer_retry_later(inf, true);
        return;
    }
    if (r->status != 200 || !json_is_object(r->body)) {
        const char *msg = json_string_value(json_object_get(r->body, "message"));
        if (r->error)
            srv_log(SRV_LOG_WARN, "kubernetes", "list %s/%s%s%s: %s; retrying", inf->prefix,
                    inf->resource, inf->namespace ? " in namespace " : "",
                    inf->namespace ? inf->namespace : "", r->error);
        else
            srv_log(SRV_LOG_WARN, "kubernetes", "list %s/%s%s%s: HTTP %ld: %s; retrying",
                    inf->prefix, inf->resource, inf->namespace ? " in namespace " : "",
                    inf->namespace ? inf->namespace : "", r->status, msg ? msg : "no message");
        informer_retry_later(inf, true);
        return;
    }
    json_t *store = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(r->body, "items"), i, item)
    {
        object_prepare(inf, item);
        char *key = object_key(item);
        if (key)
            json_object_set(store, key, item);
        free(key);
    }
    json_decref(inf->store);
    inf->store = store;
    free(inf->resource_version);
    inf->resource_version = xstrdup(json_string_value(
        json_object_get(json_object_get(r->body, "metadata"), "resourceVersion")));
    inf->synced = true;
    inf->relist_needed = false;
    inf->backoff_ms = 0;
    if (inf->cb)
        inf->cb(inf->arg, inf, "RELIST", NULL);
    informer_watch(inf);
}

static void informer_list(kc_informer *inf)
{
    if (inf->c->closing)
        return;
    char *path = collection_path(inf);
    char *full = inf->label_selector
                     ? core_asprintf("%s?labelSelector=%s", path, inf->label_selector)
                     : xstrdup(path);
    kc_request(inf->c, "GET", full, NULL, NULL, 60000, on_list, inf);
    free(full);
    free(path);
}

/* Whether `now` differs from `before` only in its status (and version). */
static bool only_status_changed(const json_t *before, const json_t *now)
{
    if (!before)
        return false;
    json_t *a = json_copy((json_t *)before), *b = json_copy((json_t *)now);
    json_object_del(a, "status");
    json_object_del(b, "status");
    json_t *ma = json_copy(json_object_get(a, "metadata")),
           *mb = json_copy(json_object_get(b, "metadata"));
    json_object_del(ma, "resourceVersion");
    json_object_del(mb, "resourceVersion");
    json_object_set_new(a, "metadata", ma);
    json_object_set_new(b, "metadata", mb);
    bool same = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

static void on_watch_line(void *arg, const char *line, size_t len)
{
    kc_informer *inf = arg;

    json_error_t jerr;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    if (!type || !json_is_object(obj)) {
        json_decref(ev);
        return;
    }
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));
        if (code == 410)
            inf->relist_needed = true;
        srv_log(code == 410 ? SRV_LOG_INFO : SRV_LOG_WARN, "kubernetes", "watch %s/%s: %s%s",
                inf->prefix, inf->resource,
                json_string_value(json_object_get(obj, "message"))
                    ? json_string_value(json_object_get(obj, "message"))
                    : "error",
                code == 410 ? ": listing again" : "");
        json_decref(ev);
        return;
    }
    if (rv) {
        free(inf->resource_version);
        inf->resource_version = xstrdup(rv);
    }
    if (strcmp(type, "BOOKMARK") == 0) {
        json_decref(ev);
        return;
    }
    object_prepare(inf, obj);
    char *key = object_key(obj);
    if (key) {
        if (strcmp(type, "MODIFIED") == 0 &&
            only_status_changed(json_object_get(inf->store, key), obj))
            type = "STATUS";
        if (strcmp(type, "DELETED") == 0)
            json_object_del(inf->store, key);
        else
            json_object_set(inf->store, key, obj);
        if (inf->cb)
            inf->cb(inf->arg, inf, type, obj);
    }
    free(key);
    json_decref(ev);
}

static void on_watch_done(void *arg, const kc_response *r)
{
    kc_informer *inf = arg;
    inf->watch = NULL;
    if (inf->c->closing)
        return;
    if (r->status == 410)
        inf->relist_needed = true;
    if (r->status == 200 && !inf->relist_needed) {
        /* The server ended the watch (its timeout): resume at once. */
        inf->backoff_ms = 0;
        informer_watch(inf);
        return;
    }
    if (r->error)
        srv_log(SRV_LOG_WARN, "kubernetes", "watch %s/%s: %s: retrying", inf->prefix, inf->resource,
                r->error);
    else if (r->status != 200 && r->status != 410)
        srv_log(SRV_LOG_WARN, "kubernetes", "watch %s/%s: HTTP %ld: retrying", inf->prefix,
                inf->resource, r->status);
    if (inf->relist_needed && r->status == 200) {
        inf->backoff_ms = 0;
        informer_list(inf);
        return;
    }
    informer_retry_later(inf, r->status == 410);
}

static void informer_watch(kc_informer *inf)
{
    if (inf->c->closing)
        return;
    char *path = collection_path(inf);
    char *full = core_asprintf("%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=240&"
                               "resourceVersion=%s%s%s",
                               path, inf->resource_version ? inf->resource_version : "",
                               inf->label_selector ? "&labelSelector=" : "",
                               inf->label_selector ? inf->label_selector : "");
    kc_req *r = req_new(inf->c, "GET", full, NULL, NULL, 300000);
    /* Watches are quiet for long: only a dead connection should end them. */
    curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L);
    r->line_cb = on_watch_line;
    r->cb = on_watch_done;
    r->arg = inf;
    inf->watch = r;
    req_send(r);
    free(full);
    free(path);
}

kc_informer *kc_informer_new(kc_client *c, const char *prefix, const char *resource,
                             const char *namespace, const char *label_selector,
                             const char *api_version, const char *kind, kc_informer_cb cb,
                             void *arg)
{
    kc_informer *inf = calloc(1, sizeof *inf);
    if (!inf)
        abort();
    inf->c = c;
    inf->prefix = xstrdup(prefix);
    inf->resource = xstrdup(resource);
    inf->namespace = xstrdup(namespace);
    inf->label_selector = xstrdup(label_selector);
    inf->api_version = xstrdup(api_version);
    inf->kind = xstrdup(kind);
    inf->cb = cb;
    inf->arg = arg;
    inf->store = json_object();
    uv_timer_init(c->loop, &inf->retry);
    inf->retry.data = inf;
    if (c->n_informers == c->cap_informers) {
        c->cap_informers = c->cap_informers ? 2 * c->cap_informers : 16;
        c->informers = realloc(c->informers, c->cap_informers * sizeof *c->informers);
        if (!c->informers)
            abort();
    }
    c->informers[c->n_informers++] = inf;
    /* Each watch holds a connection; other requests share KC_MAX_REQUEST_CONNS
     * more and wait in curl's queue beyond that (10,000 status writes must not
     * open 10,000 connections). */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)(c->n_informers + KC_MAX_REQUEST_CONNS));
    return inf;
}

void kc_informer_start(kc_informer *inf)
{
    if (inf->started)
        return;
    inf->started = true;
    informer_list(inf);
}

bool kc_informer_synced(const kc_informer *inf)
{
    return inf->synced;
}

json_t *kc_informer_store(const kc_informer *inf)
{
    return inf->store;
}

const char *kc_informer_kind(const kc_informer *inf)
{
    return inf->kind;
}

void kc_informer_store_put(kc_informer *inf, json_t *obj)
{
    object_prepare(inf, obj);
    char *key = object_key(obj);
    if (key)
        json_object_set(inf->store, key, obj);
    free(key);
    json_decref(obj);
}

static const char *meta_string(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

/* Whether `incoming` (a write's answer) is not older than `stored` (what the
 * watch showed): the same object (uid) and a resourceVersion no lower. The
 * answer to a status write can arrive after the watch has shown the object
 * deleted and created again, or changed again; storing it then would hide the
 * newer object until its next event. */
static bool object_not_older(const json_t *stored, const json_t *incoming)
{
    const char *su = meta_string(stored, "uid"), *iu = meta_string(incoming, "uid");
    if (su && iu && strcmp(su, iu) != 0)
        return false;
    const char *sv = meta_string(stored, "resourceVersion");
    const char *iv = meta_string(incoming, "resourceVersion");
    if (!sv || !iv)
        return true;
    char *se, *ie;
    unsigned long long sn = strtoull(sv, &se, 10), in = strtoull(iv, &ie, 10);
    if (*se || *ie) /* not numbers: opaque, nothing to compare */
        return true;
    return in >= sn;
}

void kc_informer_store_update(kc_informer *inf, json_t *obj)
{
    char *key = object_key(obj);
    json_t *stored = key ? json_object_get(inf->store, key) : NULL;
    if (stored && object_not_older(stored, obj)) {
        object_prepare(inf, obj);
        json_object_set(inf->store, key, obj);
    }
    free(key);
    json_decref(obj);
}

/* ---- shutdown ---- */

static void on_client_handle_closed(uv_handle_t *h)
{
    kc_client *c = h->data;
    if (--c->open_handles > 0)
        return;
    curl_multi_cleanup(c->multi);
    for (size_t i = 0; i < c->n_informers; i++) {
        kc_informer *inf = c->informers[i];
        json_decref(inf->store);
        free(inf->prefix);
        free(inf->resource);
        free(inf->namespace);
        free(inf->label_selector);
        free(inf->api_version);
        free(inf->kind);
        free(inf->resource_version);
        free(inf);
    }
    free(c->informers);
    free(c->deferred);
    kc_config_free(&c->cfg);
    free(c->token);
    free(c);
}

void kc_client_close(kc_client *c)
{
    c->closing = true;
    while (c->reqs) {
        kc_req *r = c->reqs;
        req_unlink(r);
        req_free(r);
    }
    c->open_handles = 1 + (int)c->n_informers;
    for (size_t i = 0; i < c->n_informers; i++) {
        c->informers[i]->retry.data = c;
        uv_close((uv_handle_t *)&c->informers[i]->retry, on_client_handle_closed);
    }
    c->timer.data = c;
    uv_close((uv_handle_t *)&c->timer, on_client_handle_closed);
}
