/* egctl x status and egctl config envoy-proxy (see egctl_admin.h): one GET
 * to the server's admin endpoint, then a table or a YAML/JSON document. */
#define _GNU_SOURCE
#include "cmd/egctl_admin.h"

#include <ctype.h>
#include <jansson.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cmd/output.h"

#define DEFAULT_ADMIN "127.0.0.1:19000"

/* ---- the admin endpoint ---- */

static int admin_connect(const char *address, char **err)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    size_t hl = colon ? (size_t)(colon - address) : 0;
    if (!colon || hl == 0 || hl >= sizeof host) {
        if (asprintf(err, "--admin-address %s: expected HOST:PORT", address) < 0)
            *err = NULL;
        return -1;
    }
    memcpy(host, address, hl);
    host[hl] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        if (asprintf(err, "cannot resolve %s", address) < 0)
            *err = NULL;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        struct timeval tv = {.tv_sec = 10};
        if (fd >= 0) {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        }
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0 && asprintf(err,
                           "cannot reach the envoy-gateway admin endpoint at %s: is the server "
                           "running? (--admin-address HOST:PORT)",
                           address) < 0)
        *err = NULL;
    return fd;
}

/* Whether the answer's headers (the first `len` bytes) say chunked. */
static bool chunked(const char *head, size_t len)
{
    static const char name[] = "\r\ntransfer-encoding:";
    for (size_t i = 0; i + sizeof name - 1 <= len; i++) {
        if (strncasecmp(head + i, name, sizeof name - 1) != 0)
            continue;
        const char *v = head + i + sizeof name - 1;
        while (*v == ' ')
            v++;
        return strncasecmp(v, "chunked", 7) == 0;
    }
    return false;
}

/* The body of a chunked answer (Envoy's admin endpoint sends large ones so),
 * malloc'd; NULL when it is malformed. */
static char *dechunk(const char *p)
{
    size_t cap = strlen(p) + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (;;) {
        char *end;
        unsigned long size = strtoul(p, &end, 16);
        const char *eol = strstr(end, "\r\n");
        if (end == p || !eol || size > strlen(eol + 2)) {
            free(out);
            return NULL;
        }
        if (size == 0)
            break;
        memcpy(out + n, eol + 2, size);
        n += size;
        p = eol + 2 + size;
        if (strncmp(p, "\r\n", 2) == 0)
            p += 2;
    }
    out[n] = 0;
    return out;
}

/* GET `path` from `address`: the body of a 200 answer (malloc'd), or NULL
 * with a message in *err. */
static char *http_get(const char *address, const char *path, char **err)
{
    int fd = admin_connect(address, err);
    if (fd < 0)
        return NULL;
    char *req = NULL;
    int n =
        asprintf(&req, "GET %s HTTP/1.1\r\nhost: %s\r\nconnection: close\r\n\r\n", path, address);
    bool sent = n > 0 && write(fd, req, (size_t)n) == n;
    free(req);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    ssize_t got;
    while (sent && (got = read(fd, chunk, sizeof chunk)) > 0)
        fwrite(chunk, 1, (size_t)got, m);
    fclose(m);
    close(fd);
    int status = 0;
    const char *body = buf ? strstr(buf, "\r\n\r\n") : NULL;
    char *out = NULL;
    if (!body || sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status != 200) {
        /* A short text answer says why (an unknown type, no translation yet). */
        int shown = body ? (int)strcspn(body + 4, "\r\n") : 0;
        if (shown > 200)
            shown = 200;
        if (asprintf(err, "%s%s: %s%s%.*s", address, path,
                     status ? "the endpoint answered an error" : "no valid answer",
                     shown ? ": " : "", shown, body ? body + 4 : "") < 0)
            *err = NULL;
    } else {
        out = chunked(buf, (size_t)(body - buf)) ? dechunk(body + 4) : strdup(body + 4);
        if (!out && asprintf(err, "%s%s: a malformed chunked answer", address, path) < 0)
            *err = NULL;
    }
    free(buf);
    return out;
}

/* GET `path`: the JSON body of a 200 answer, or NULL with a message in *err. */
static json_t *admin_get(const char *address, const char *path, char **err)
{
    char *body = http_get(address, path, err);
    if (!body)
        return NULL;
    json_t *j = json_loads(body, 0, NULL);
    if (!j && asprintf(err, "%s%s: the answer is not JSON", address, path) < 0)
        *err = NULL;
    free(body);
    return j;
}

/* ---- tables, aligned like kubectl's (columns padded by 3) ---- */

typedef struct table {
    size_t cols;
    char **cells; /* rows * cols, malloc'd */
    size_t rows, cap;
} table;

static void table_add(table *t, const char *const *row)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = realloc(t->cells, t->cap * t->cols * sizeof *t->cells);
        if (!t->cells)
            abort();
    }
    for (size_t c = 0; c < t->cols; c++)
        t->cells[t->rows * t->cols + c] = strdup(row[c] ? row[c] : "");
    t->rows++;
}

static void table_print(FILE *out, table *t)
{
    size_t *width = calloc(t->cols, sizeof *width);
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++)
            if (strlen(t->cells[r * t->cols + c]) > width[c])
                width[c] = strlen(t->cells[r * t->cols + c]);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++) {
            const char *cell = t->cells[r * t->cols + c];
            if (c + 1 < t->cols)
                fprintf(out, "%-*s", (int)(width[c] + 3), cell);
            else
                fprintf(out, "%s\n", cell);
        }
    }
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(width);
}

/* ---- egctl x status ---- */

typedef enum kind_class { KIND_CLUSTER, KIND_NAMESPACED, KIND_ROUTE, KIND_POLICY } kind_class;

static const struct status_kind {
    const char *kind;
    kind_class cls;
} status_kinds[] = {
    {"GatewayClass", KIND_CLUSTER},
    {"Gateway", KIND_NAMESPACED},
    {"HTTPRoute", KIND_ROUTE},
    {"GRPCRoute", KIND_ROUTE},
    {"TLSRoute", KIND_ROUTE},
    {"TCPRoute", KIND_ROUTE},
    {"UDPRoute", KIND_ROUTE},
    {"BackendTLSPolicy", KIND_POLICY},
    {"BackendTrafficPolicy", KIND_POLICY},
    {"ClientTrafficPolicy", KIND_POLICY},
    {"EnvoyExtensionPolicy", KIND_POLICY},
    {"EnvoyPatchPolicy", KIND_POLICY},
    {"SecurityPolicy", KIND_POLICY},
};
enum { N_STATUS_KINDS = sizeof status_kinds / sizeof status_kinds[0] };

typedef struct status_opts {
    const char *type; /* all, xroute, xpolicy, or a kind (any case) */
    const char *namespace;
    bool all_namespaces, quiet, verbose;
} status_opts;

static bool kind_selected(const status_opts *o, const struct status_kind *k)
{
    if (strcasecmp(o->type, "all") == 0)
        return true;
    if (strcasecmp(o->type, "xroute") == 0)
        return k->cls == KIND_ROUTE;
    if (strcasecmp(o->type, "xpolicy") == 0)
        return k->cls == KIND_POLICY;
    return strcasecmp(o->type, k->kind) == 0;
}

static bool type_known(const char *type)
{
    if (!strcasecmp(type, "all") || !strcasecmp(type, "xroute") || !strcasecmp(type, "xpolicy"))
        return true;
    for (size_t i = 0; i < N_STATUS_KINDS; i++)
        if (strcasecmp(type, status_kinds[i].kind) == 0)
            return true;
    return false;
}

static char *lower(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* "gateway/eg" for a parentRef or ancestorRef (kind Gateway unless named). */
static char *ref_text(const json_t *ref)
{
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    char *k = lower(kind ? kind : "Gateway"), *out = NULL;
    if (asprintf(&out, "%s/%s", k, name ? name : "") < 0)
        abort();
    free(k);
    return out;
}

/* One row per condition, newest first (the reverse of the list, as the
 * reference prints them); only the newest with --quiet. The leading cells
 * (namespace, name, parent) are printed on the first row only. */
static void add_conditions(table *t, const status_opts *o, const char *const *lead, size_t n_lead,
                           const json_t *conditions)
{
    size_t n = json_array_size(conditions);
    for (size_t i = n; i-- > 0;) {
        const json_t *c = json_array_get(conditions, i);
        const char *row[12];
        size_t k = 0;
        for (size_t j = 0; j < n_lead; j++)
            row[k++] = i == n - 1 ? lead[j] : "";
        row[k++] = json_string_value(json_object_get(c, "type"));
        row[k++] = json_string_value(json_object_get(c, "status"));
        row[k++] = json_string_value(json_object_get(c, "reason"));
        char gen[32] = "";
        if (o->verbose) {
            json_t *g = json_object_get(c, "observedGeneration");
            if (json_is_integer(g))
                snprintf(gen, sizeof gen, "%lld", (long long)json_integer_value(g));
            row[k++] = json_string_value(json_object_get(c, "message"));
            row[k++] = gen;
            row[k++] = json_string_value(json_object_get(c, "lastTransitionTime"));
        }
        table_add(t, row);
        if (o->quiet)
            break;
    }
}

static void status_header(table *t, const status_opts *o, const struct status_kind *k)
{
    const char *row[12];
    size_t n = 0;
    if (k->cls != KIND_CLUSTER && o->all_namespaces)
        row[n++] = "NAMESPACE";
    row[n++] = "NAME";
    if (k->cls == KIND_ROUTE)
        row[n++] = "PARENT";
    if (k->cls == KIND_POLICY)
        row[n++] = "ANCESTOR REFERENCE";
    row[n++] = "TYPE";
    row[n++] = "STATUS";
    row[n++] = "REASON";
    if (o->verbose) {
        row[n++] = "MESSAGE";
        row[n++] = "OBSERVED GENERATION";
        row[n++] = "LAST TRANSITION TIME";
    }
    t->cols = n;
    table_add(t, row);
}

static void status_resource(table *t, const status_opts *o, const struct status_kind *k,
                            const json_t *res)
{
    const char *ns = json_string_value(json_object_get(res, "namespace"));
    const char *name = json_string_value(json_object_get(res, "name"));
    const json_t *st = json_object_get(res, "status");
    char *shown = NULL;
    if (strcasecmp(o->type, "all") == 0) {
        char *kind = lower(k->kind);
        if (asprintf(&shown, "%s/%s", kind, name) < 0)
            abort();
        free(kind);
    } else {
        shown = strdup(name);
    }
    const char *lead[3];
    size_t n = 0;
    if (k->cls != KIND_CLUSTER && o->all_namespaces)
        lead[n++] = ns;
    lead[n++] = shown;
    if (k->cls == KIND_CLUSTER || k->cls == KIND_NAMESPACED) {
        add_conditions(t, o, lead, n, json_object_get(st, "conditions"));
    } else {
        const char *list = k->cls == KIND_ROUTE ? "parents" : "ancestors";
        const char *ref = k->cls == KIND_ROUTE ? "parentRef" : "ancestorRef";
        size_t i;
        const json_t *p;
        json_array_foreach(json_object_get(st, list), i, p)
        {
            char *parent = ref_text(json_object_get(p, ref));
            lead[n] = parent;
            add_conditions(t, o, lead, n + 1, json_object_get(p, "conditions"));
            for (size_t j = 0; j < n; j++)
                lead[j] = ""; /* later parents: the resource is named once */
            free(parent);
        }
    }
    free(shown);
}

static bool resource_in_scope(const status_opts *o, const struct status_kind *k, const json_t *res)
{
    const char *ns = json_string_value(json_object_get(res, "namespace"));
    return k->cls == KIND_CLUSTER || o->all_namespaces || (ns && strcmp(ns, o->namespace) == 0);
}

/* Prints one table per selected kind that has statuses, blank lines between. */
static void status_print(FILE *out, const status_opts *o, const json_t *resources)
{
    bool first = true;
    for (size_t i = 0; i < N_STATUS_KINDS; i++) {
        const struct status_kind *k = &status_kinds[i];
        if (!kind_selected(o, k))
            continue;
        table t = {0};
        status_header(&t, o, k);
        size_t j;
        const json_t *res;
        json_array_foreach(resources, j, res)
        {
            const char *kind = json_string_value(json_object_get(res, "kind"));
            if (kind && strcmp(kind, k->kind) == 0 && resource_in_scope(o, k, res))
                status_resource(&t, o, k, res);
        }
        if (t.rows > 1) {
            if (!first)
                fputc('\n', out);
            first = false;
            table_print(out, &t);
        } else { /* no status of this kind: not shown */
            for (size_t c = 0; c < t.rows * t.cols; c++)
                free(t.cells[c]);
            free(t.cells);
        }
    }
}

/* ---- egctl config envoy-proxy ---- */

static const struct dump_type {
    const char *arg, *message, *key;
} dump_types[] = {
    {"listener", "envoy.config.listener.v3.Listener", "listeners"},
    {"route", "envoy.config.route.v3.RouteConfiguration", "routes"},
    {"cluster", "envoy.config.cluster.v3.Cluster", "clusters"},
    {"endpoint", "envoy.config.endpoint.v3.ClusterLoadAssignment", "endpoints"},
    {"secret", "envoy.extensions.transport_sockets.tls.v3.Secret", "secrets"},
};

static json_t *fleet_entries(const json_t *list, const char *key_field, const char *fleet)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *f = json_string_value(json_object_get(e, key_field));
        if (f && strcmp(f, fleet) == 0)
            json_array_append(out, e);
    }
    return out;
}

/* {fleet: {listeners: [...], ..., process: {...}, xds: [...]}}. */
static json_t *proxy_dump(const json_t *dump, const char *type, const char *only)
{
    json_t *out = json_object();
    const char *fleet;
    json_t *types;
    json_object_foreach(json_object_get(dump, "fleets"), fleet, types)
    {
        if (only && strcmp(only, fleet) != 0)
            continue;
        json_t *f = json_object();
        for (size_t i = 0; i < sizeof dump_types / sizeof dump_types[0]; i++) {
            if (strcmp(type, "all") != 0 && strcmp(type, dump_types[i].arg) != 0)
                continue;
            json_t *list = json_array();
            size_t j;
            json_t *e;
            json_array_foreach(json_object_get(types, dump_types[i].message), j, e)
            {
                /* The server redacts keys; a secret shows which certificate it holds. */
                json_t *certs = json_object_get(e, "certificates");
                json_t *res = json_object_get(e, "resource");
                if (certs && json_is_object(res)) {
                    res = json_copy(res);
                    json_object_set(res, "certificates", certs);
                    json_array_append_new(list, res);
                } else {
                    json_array_append(list, res);
                }
            }
            json_object_set_new(f, dump_types[i].key, list);
        }
        if (strcmp(type, "all") == 0) {
            json_t *procs = fleet_entries(json_object_get(dump, "processes"), "fleet", fleet);
            json_object_set(f, "process",
                            json_array_size(procs) ? json_array_get(procs, 0) : json_null());
            json_decref(procs);
            json_object_set_new(f, "xds",
                                fleet_entries(json_object_get(dump, "proxies"), "fleet", fleet));
        }
        json_object_set_new(out, fleet, f);
    }
    return out;
}

static bool dump_type_known(const char *type)
{
    if (strcmp(type, "all") == 0)
        return true;
    for (size_t i = 0; i < sizeof dump_types / sizeof dump_types[0]; i++)
        if (strcmp(type, dump_types[i].arg) == 0)
            return true;
    return false;
}

/* ---- egctl config envoy-gateway ---- */

/* The types the server's /api/config_dump?resource= answers, with the
 * reference's short names. */
static const struct eg_type {
    const char *type, *alias;
} eg_types[] = {
    {"all", NULL},
    {"gatewayclass", "gc"},
    {"gateway", "gw"},
    {"httproute", "hr"},
    {"grpcroute", "gr"},
    {"tlsroute", "tr"},
    {"tcproute", "tcr"},
    {"udproute", "ur"},
    {"clienttrafficpolicy", "ctp"},
    {"backendtrafficpolicy", "btp"},
    {"backendtlspolicy", "btlsp"},
    {"securitypolicy", "sp"},
    {"envoypatchpolicy", "epp"},
    {"envoyextensionpolicy", "eep"},
    {"service", "svc"},
    {"secret", "sec"},
    {"configmap", "cm"},
    {"namespace", "ns"},
    {"endpointslice", "eps"},
    {"referencegrant", "rg"},
    {"httproutefilter", "hrf"},
    {"envoyproxy", "ep"},
    {"backend", "be"},
    {"serviceimport", "si"},
    {"listenerset", "ls"},
    {"clustertrustbundle", "ctb"},
};

/* The type `arg` names (any case, or its short name), or NULL. */
static const char *eg_type(const char *arg)
{
    for (size_t i = 0; i < sizeof eg_types / sizeof eg_types[0]; i++)
        if (strcasecmp(arg, eg_types[i].type) == 0 ||
            (eg_types[i].alias && strcmp(arg, eg_types[i].alias) == 0))
            return eg_types[i].type;
    return NULL;
}

/* Whether `o` is in namespace `ns` (cluster-scoped objects always are). */
static bool in_namespace(const json_t *o, const char *ns)
{
    const char *have =
        json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace"));
    return !have || strcmp(have, ns) == 0;
}

/* Keeps the objects of `list` in namespace `ns` (in place). */
static void filter_list(json_t *list, const char *ns)
{
    for (size_t i = json_array_size(list); i-- > 0;)
        if (!in_namespace(json_array_get(list, i), ns))
            json_array_remove(list, i);
}

/* --resource-namespace: each "all" item's lists, or the typed list. */
static void filter_resources(json_t *resources, bool all, const char *ns)
{
    if (!all) {
        filter_list(resources, ns);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(resources, i, item)
    {
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(item, tmp, key, v)
        {
            if (json_is_array(v)) {
                filter_list(v, ns);
                if (json_array_size(v) == 0)
                    json_object_del(item, key);
            } else if (!in_namespace(v, ns)) {
                json_object_del(item, key);
            }
        }
    }
}

/* ---- commands ---- */

void egctl_admin_usage(FILE *out)
{
    fputs("       egctl x status [TYPE] [-n NAMESPACE | -A] [--quiet] [--verbose]\n"
          "                      [--admin-address HOST:PORT]\n"
          "       egctl config envoy-proxy [TYPE] [--fleet NAME] [-o yaml|json]\n"
          "                      [--admin-address HOST:PORT]\n"
          "       egctl config envoy-ratelimit [--admin-address HOST:PORT]\n"
          "       egctl config envoy-gateway [TYPE] [-o json|yaml] [-n NAMESPACE]\n"
          "                      [--resource-namespace NS] [--admin-address HOST:PORT]\n"
          "       egctl x stats envoy-proxy [--fleet NAME] [--filter REGEX] [-o text|json]\n"
          "                      [--admin-address HOST:PORT]\n"
          "       egctl x dashboard envoy-gateway|envoy-proxy [FLEET]\n"
          "                      [--admin-address HOST:PORT]\n"
          "\n"
          "x status      the conditions of the resources a running envoy-gateway server\n"
          "              computed. TYPE: all, gatewayclass, gateway, httproute, grpcroute,\n"
          "              tlsroute, tcproute, udproute, xroute, backendtlspolicy,\n"
          "              backendtrafficpolicy, clienttrafficpolicy, envoyextensionpolicy,\n"
          "              envoypatchpolicy, securitypolicy, xpolicy (default all).\n"
          "              --quiet shows the newest condition only, --verbose adds the\n"
          "              message; -n picks a namespace (default \"default\"), -A all\n"
          "config envoy-proxy\n"
          "              what each proxy fleet was sent over xDS: TYPE all (with its Envoy\n"
          "              process and ADS connections), listener, route, cluster, endpoint\n"
          "              or secret\n"
          "config envoy-ratelimit (alias: rl)\n"
          "              the limits the rate-limit service the server runs has loaded, as\n"
          "              its debug endpoint lists them (/rlconfig)\n"
          "config envoy-gateway (aliases: gateway, eg; `c` for config, `proxy` for\n"
          "              envoy-proxy)\n"
          "              the resources the server translated last, from its admin API\n"
          "              (/api/config_dump?resource=TYPE), as the reference prints them:\n"
          "              {namespace: {server name: [...]}} (the server's namespace is\n"
          "              $ENVOY_GATEWAY_NAMESPACE, default envoy-gateway-system; its name\n"
          "              its host name, a pod's name in Kubernetes). TYPE all (default:\n"
          "              one item per GatewayClass of ours, its Gateways and EnvoyProxies\n"
          "              and every other object) or one kind, each object once:\n"
          "              gatewayclass (gc), gateway (gw), httproute (hr), grpcroute (gr),\n"
          "              tlsroute (tr), tcproute (tcr), udproute (ur), clienttrafficpolicy\n"
          "              (ctp), backendtrafficpolicy (btp), backendtlspolicy (btlsp),\n"
          "              securitypolicy (sp), envoypatchpolicy (epp), envoyextensionpolicy\n"
          "              (eep), service (svc), secret (sec; values redacted), configmap\n"
          "              (cm), namespace (ns), endpointslice (eps), referencegrant (rg),\n"
          "              httproutefilter (hrf), envoyproxy (ep), backend (be),\n"
          "              serviceimport (si), listenerset (ls), clustertrustbundle (ctb).\n"
          "              -n names the server's namespace, as the reference's pod namespace\n"
          "              (a mismatch is an error); --resource-namespace NS keeps the\n"
          "              objects of NS (and cluster-scoped ones); -o json is the default\n"
          "x stats envoy-proxy\n"
          "              each running proxy's counters, gauges and histograms as its Envoy\n"
          "              admin endpoint reports them (/stats); --fleet NAME picks one fleet,\n"
          "              --filter REGEX keeps the stats whose names match, -o json prints\n"
          "              {fleet: Envoy's JSON form}\n"
          "x dashboard   where to open an admin UI; nothing is port-forwarded (the server\n"
          "              and the Envoys it runs listen on this host). envoy-gateway (eg):\n"
          "              the server's admin URL, once it answers; envoy-proxy: the URL of\n"
          "              each running fleet's Envoy admin (\"FLEET URL\" lines), or only\n"
          "              the URL for FLEET (or --fleet FLEET). In Kubernetes mode the\n"
          "              Envoys run in pods: use kubectl port-forward to their admin port\n"
          "  --admin-address  the server's admin endpoint (default " DEFAULT_ADMIN ")\n",
          out);
}

/* `x` or its long form, as the reference's egctl spells it. */
static bool experimental(const char *a)
{
    return strcmp(a, "x") == 0 || strcmp(a, "experimental") == 0;
}

static bool config_cmd(const char *a)
{
    return strcmp(a, "config") == 0 || strcmp(a, "c") == 0;
}

static bool envoy_gateway(const char *a)
{
    return strcmp(a, "envoy-gateway") == 0 || strcmp(a, "gateway") == 0 || strcmp(a, "eg") == 0;
}

static bool envoy_ratelimit(const char *a)
{
    return strcmp(a, "envoy-ratelimit") == 0 || strcmp(a, "rl") == 0;
}

bool egctl_admin_handles(int argc, char **argv)
{
    return (argc >= 3 && experimental(argv[1]) &&
            (strcmp(argv[2], "status") == 0 || strcmp(argv[2], "stats") == 0 ||
             strcmp(argv[2], "dashboard") == 0)) ||
           (argc >= 3 && config_cmd(argv[1]) &&
            (strcmp(argv[2], "envoy-proxy") == 0 || strcmp(argv[2], "proxy") == 0 ||
             envoy_gateway(argv[2]) || envoy_ratelimit(argv[2])));
}

static int fail(char *err)
{
    fprintf(stderr, "egctl: %s\n", err ? err : "failed");
    free(err);
    return 1;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "egctl: ");
    fprintf(stderr, fmt, arg);
    fputs("\nusage:", stderr);
    egctl_admin_usage(stderr);
    return 2;
}

static int cmd_status(int argc, char **argv, const char *admin)
{
    status_opts o = {.type = "all", .namespace = "default"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0)
            o.all_namespaces = true;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            o.quiet = true;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            o.verbose = true;
        else if ((strcmp(a, "-n") == 0 || strcmp(a, "--namespace") == 0) && i + 1 < argc)
            o.namespace = argv[++i];
        else if (a[0] != '-' && type_known(a))
            o.type = a;
        else
            return usage_error("x status: unknown argument %s", a);
    }
    char *err = NULL;
    json_t *st = admin_get(admin, "/api/status", &err);
    if (!st)
        return fail(err);
    status_print(stdout, &o, json_object_get(st, "resources"));
    json_decref(st);
    return 0;
}

static int cmd_config(int argc, char **argv, const char *admin)
{
    const char *type = "all", *fleet = NULL, *output = "yaml";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--fleet") == 0 && i + 1 < argc)
            fleet = argv[++i];
        else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc)
            output = argv[++i];
        else if (a[0] != '-' && dump_type_known(a))
            type = a;
        else
            return usage_error("config envoy-proxy: unknown argument %s", a);
    }
    if (strcmp(output, "yaml") != 0 && strcmp(output, "json") != 0)
        return usage_error("-o %s: expected yaml or json", output);
    char *err = NULL;
    json_t *dump = admin_get(admin, "/api/config_dump", &err);
    if (!dump)
        return fail(err);
    json_t *out = proxy_dump(dump, type, fleet);
    int rc = 0;
    if (fleet && json_object_size(out) == 0) {
        fprintf(stderr, "egctl: no proxy fleet %s (fleets are named namespace/gateway)\n", fleet);
        rc = 1;
    } else {
        rc =
            (strcmp(output, "json") == 0 ? output_json(stdout, out) : output_yaml(stdout, out)) < 0;
    }
    json_decref(out);
    json_decref(dump);
    return rc;
}

static int cmd_config_gateway(int argc, char **argv, const char *admin)
{
    const char *type = NULL, *instance = NULL, *output = "json", *server_ns = NULL,
               *resource_ns = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc)
            output = argv[++i];
        else if ((strcmp(a, "-n") == 0 || strcmp(a, "--namespace") == 0) && i + 1 < argc)
            server_ns = argv[++i];
        else if (strcmp(a, "--resource-namespace") == 0 && i + 1 < argc)
            resource_ns = argv[++i];
        else if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0)
            server_ns = NULL;
        else if (a[0] != '-' && !type && eg_type(a))
            type = eg_type(a);
        else if (a[0] != '-' && !instance)
            instance = a; /* the reference's pod name: this server's name */
        else
            return usage_error("config envoy-gateway: unknown argument %s", a);
    }
    if (!type)
        type = "all";
    if (strcmp(output, "yaml") != 0 && strcmp(output, "json") != 0)
        return usage_error("-o %s: expected json or yaml", output);
    char *path = NULL, *err = NULL;
    if (asprintf(&path, "/api/config_dump?resource=%s", type) < 0)
        abort();
    json_t *answer = admin_get(admin, path, &err);
    free(path);
    if (!answer)
        return fail(err);
    json_t *server = json_object_get(answer, "server");
    const char *ns = json_string_value(json_object_get(server, "namespace"));
    const char *name = json_string_value(json_object_get(server, "name"));
    json_t *resources = json_object_get(answer, "resources");
    int rc = 0;
    if (!ns || !name || !json_is_array(resources)) {
        fprintf(stderr, "egctl: %s/api/config_dump: not the answer of an envoy-gateway server\n",
                admin);
        rc = 1;
    } else if (server_ns && strcmp(server_ns, ns) != 0) {
        fprintf(stderr, "egctl: the envoy-gateway server at %s runs in namespace %s, not %s\n",
                admin, ns, server_ns);
        rc = 1;
    } else if (instance && strcmp(instance, name) != 0) {
        fprintf(stderr, "egctl: the envoy-gateway server at %s is %s, not %s\n", admin, name,
                instance);
        rc = 1;
    } else {
        if (resource_ns)
            filter_resources(resources, strcmp(type, "all") == 0, resource_ns);
        json_t *out = json_pack("{s:{s:O}}", ns, name, resources);
        rc =
            (strcmp(output, "json") == 0 ? output_json(stdout, out) : output_yaml(stdout, out)) < 0;
        json_decref(out);
    }
    json_decref(answer);
    return rc;
}

/* egctl config envoy-ratelimit: the limits the rate-limit service loaded, as
 * its debug endpoint's /rlconfig lists them. */
static int cmd_config_ratelimit(int argc, char **argv, const char *admin)
{
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--namespace") == 0) && i + 1 < argc)
            i++; /* the reference's namespace of the service's pods: one service here */
        else
            return usage_error("config envoy-ratelimit: unknown argument %s", argv[i]);
    }
    char *err = NULL;
    json_t *proxies = admin_get(admin, "/api/proxies", &err);
    if (!proxies)
        return fail(err);
    json_t *rl = json_object_get(proxies, "ratelimit");
    const char *debug = json_string_value(json_object_get(rl, "debug"));
    int rc = 1;
    if (!json_is_object(rl)) {
        fputs("egctl: global rate limit is not enabled (the EnvoyGateway's "
              "rateLimit.backend.redis)\n",
              stderr);
    } else if (!debug) {
        fprintf(stderr,
                "egctl: the rate-limit service runs at %s, not on this host: kubectl "
                "port-forward to its debug port 6070 and GET /rlconfig\n",
                json_string_value(json_object_get(rl, "address")));
    } else {
        char *body = http_get(debug, "/rlconfig", &err);
        if (!body) {
            rc = fail(err);
        } else {
            fputs(body, stdout);
            if (*body && body[strlen(body) - 1] != '\n')
                putchar('\n');
            free(body);
            rc = 0;
        }
    }
    json_decref(proxies);
    return rc;
}

/* The admin address of `p`, an entry of /api/proxies' processes, when it is a
 * fleet asked for (`fleet`, or any fleet); NULL for another fleet. One asked
 * for whose Envoy is not running is counted too, said on stderr, sets *rc
 * and gives NULL. *shown counts the fleets asked for. */
static const char *asked_fleet_admin(json_t *p, const char *fleet, int *shown, int *rc)
{
    const char *name = json_string_value(json_object_get(p, "fleet"));
    const char *addr = json_string_value(json_object_get(p, "admin"));
    if (!name || (fleet && strcmp(fleet, name) != 0))
        return NULL;
    (*shown)++;
    if (!addr || !json_is_true(json_object_get(p, "running"))) {
        fprintf(stderr, "egctl: fleet %s: its Envoy is not running\n", name);
        *rc = 1;
        return NULL;
    }
    return addr;
}

/* egctl x dashboard: prints where the admin UIs are. */
static int cmd_dashboard(int argc, char **argv, const char *admin)
{
    if (argc < 1)
        return usage_error("x dashboard: %s", "expected envoy-gateway or envoy-proxy");
    const char *what = argv[0], *fleet = NULL;
    bool gateway = strcmp(what, "envoy-gateway") == 0 || strcmp(what, "eg") == 0;
    if (!gateway && strcmp(what, "envoy-proxy") != 0)
        return usage_error("x dashboard %s: expected envoy-gateway or envoy-proxy", what);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fleet") == 0 && i + 1 < argc && !gateway)
            fleet = argv[++i];
        else if (argv[i][0] != '-' && !fleet && !gateway)
            fleet = argv[i];
        else
            return usage_error("x dashboard: unknown argument %s", argv[i]);
    }
    char *err = NULL;
    if (gateway) {
        char *ok = http_get(admin, "/healthz", &err);
        if (!ok)
            return fail(err);
        free(ok);
        printf("http://%s\n", admin);
        return 0;
    }
    json_t *proxies = admin_get(admin, "/api/proxies", &err);
    if (!proxies)
        return fail(err);
    int shown = 0, rc = 0;
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(proxies, "processes"), k, p)
    {
        const char *addr = asked_fleet_admin(p, fleet, &shown, &rc);
        if (addr && fleet)
            printf("http://%s\n", addr);
        else if (addr)
            printf("%s http://%s\n", json_string_value(json_object_get(p, "fleet")), addr);
    }
    if (shown == 0) {
        if (fleet)
            fprintf(stderr, "egctl: no proxy fleet %s (fleets are named namespace/gateway)\n",
                    fleet);
        else
            fputs("egctl: this server runs no proxies (in Kubernetes mode they run in pods: "
                  "kubectl port-forward to their admin port 19000)\n",
                  stderr);
        rc = 1;
    }
    json_decref(proxies);
    return rc;
}

/* Percent-encodes a query value (a regular expression has ?, &, + ...). */
static char *query_escape(const char *v)
{
    char *out = malloc(strlen(v) * 3 + 1), *o = out;
    if (!out)
        abort();
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = 0;
    return out;
}

static int cmd_stats(int argc, char **argv, const char *admin)
{
    const char *fleet = NULL, *filter = NULL, *output = "text";
    int i = 0;
    if (argc > 0 && strcmp(argv[0], "envoy-proxy") == 0)
        i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--fleet") == 0 && i + 1 < argc)
            fleet = argv[++i];
        else if (strcmp(a, "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc)
            output = argv[++i];
        else
            return usage_error("x stats envoy-proxy: unknown argument %s", a);
    }
    bool json = strcmp(output, "json") == 0;
    if (!json && strcmp(output, "text") != 0)
        return usage_error("-o %s: expected text or json", output);
    char *err = NULL;
    json_t *proxies = admin_get(admin, "/api/proxies", &err);
    if (!proxies)
        return fail(err);
    char *escaped = filter ? query_escape(filter) : NULL;
    char *path = NULL;
    if (asprintf(&path, "/stats%s%s%s%s", json || escaped ? "?" : "", json ? "format=json" : "",
                 json && escaped ? "&" : "", escaped ? "filter=" : "") < 0)
        abort();
    if (escaped) {
        char *full = NULL;
        if (asprintf(&full, "%s%s", path, escaped) < 0)
            abort();
        free(path);
        path = full;
    }
    int rc = 0, shown = 0;
    int n_json = 0; /* -o json: {fleet: Envoy's JSON} */
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(proxies, "processes"), k, p)
    {
        const char *addr = asked_fleet_admin(p, fleet, &shown, &rc);
        if (!addr)
            continue;
        const char *name = json_string_value(json_object_get(p, "fleet"));
        char *body = http_get(addr, path, &err);
        if (!body) {
            fprintf(stderr, "egctl: fleet %s: %s\n", name, err ? err : "no answer");
            free(err);
            err = NULL;
            rc = 1;
            continue;
        }
        if (json) {
            /* Envoy's JSON is passed through as it is: its counters can be
             * larger than a JSON parser's integers. */
            json_t *key = json_string(name);
            char *quoted = json_dumps(key, JSON_ENCODE_ANY);
            size_t blen = strlen(body);
            while (blen && (body[blen - 1] == '\n' || body[blen - 1] == ' '))
                body[--blen] = 0;
            printf("%s%s: %s", n_json++ ? ",\n" : "{\n", quoted ? quoted : "\"\"",
                   blen ? body : "null");
            free(quoted);
            json_decref(key);
        } else {
            printf("# fleet %s (Envoy pid %lld, admin %s)\n%s", name,
                   (long long)json_integer_value(json_object_get(p, "pid")), addr, body);
            if (*body && body[strlen(body) - 1] != '\n')
                putchar('\n');
        }
        free(body);
    }
    if (n_json)
        fputs("\n}\n", stdout);
    if (shown == 0) {
        fprintf(stderr,
                fleet ? "egctl: no proxy fleet %s (fleets are named namespace/gateway)\n"
                      : "egctl: no proxies are running%s\n",
                fleet ? fleet : "");
        rc = 1;
    }
    free(path);
    free(escaped);
    json_decref(proxies);
    return rc;
}

int egctl_admin_main(int argc, char **argv)
{
    /* --admin-address may come anywhere; the rest is the command's. */
    const char *admin = DEFAULT_ADMIN;
    char **rest = calloc((size_t)argc, sizeof *rest);
    int n = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--admin-address") == 0 && i + 1 < argc)
            admin = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("usage:", stdout);
            egctl_admin_usage(stdout);
            free(rest);
            return 0;
        } else
            rest[n++] = argv[i];
    }
    int rc;
    if (!experimental(argv[1]))
        rc = envoy_gateway(argv[2])     ? cmd_config_gateway(n, rest, admin)
             : envoy_ratelimit(argv[2]) ? cmd_config_ratelimit(n, rest, admin)
                                        : cmd_config(n, rest, admin);
    else
        rc = strcmp(argv[2], "stats") == 0       ? cmd_stats(n, rest, admin)
             : strcmp(argv[2], "dashboard") == 0 ? cmd_dashboard(n, rest, admin)
                                                 : cmd_status(n, rest, admin);
    free(rest);
    return rc;
}
