/* The resources a running server translated last, for the admin endpoint's
 * /api/config_dump?resource=TYPE (what `egctl config envoy-gateway` reads).
 *
 * The answer has the reference's shape: {"resources": [...], "totalCount":
 * N, "timestamp": T}. With TYPE "all" each item is one GatewayClass of our
 * controller and what it translates: {"gatewayClass": {...}, "gateways":
 * [...], "httpRoutes": [...], ...} (keys of the reference's resource set,
 * empty lists left out; "listenerSets" and "clusterTrustBundles" are ours).
 * The class, its Gateways and the EnvoyProxies they name belong to one item;
 * every other object (routes, policies, Services, Secrets, ...) is listed in
 * each item. With another TYPE (lower-case kind: gateway, httproute,
 * envoyproxy, ...) the items are the objects of that kind, each once.
 *
 * Secrets are shown without their values (each data/stringData value is
 * "[redacted]") and without annotations or managedFields.
 *
 * The dump is built off the loop from the translation's input and kept as
 * the objects' compact JSON texts in one deflated block (one allocation,
 * about a tenth of the text); the trees are made only when asked for. */
#ifndef EG_SERVER_RESOURCES_DUMP_H
#define EG_SERVER_RESOURCES_DUMP_H

#include <jansson.h>
#include <stdbool.h>

#include "api/resources.h"

typedef struct srv_resources_dump srv_resources_dump;

/* Any thread; reads `r` only. */
srv_resources_dump *srv_resources_dump_build(const api_resources *r);
void srv_resources_dump_free(srv_resources_dump *d);

/* Whether TYPE is one the endpoint answers ("all" or a kind's name). */
bool srv_resources_dump_type_known(const char *type);
/* The answer for TYPE (new reference). An unknown TYPE: a text naming the
 * known ones and *status 400; no dump yet (d NULL): *status 503. */
json_t *srv_resources_dump_answer(const srv_resources_dump *d, const char *type, int *status);

#endif
