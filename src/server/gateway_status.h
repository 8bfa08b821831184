/* Gateway status from the infrastructure, for the standalone server.
 *
 * The translator (like the reference's) gives a Gateway gateway-level Accepted
 * and Programmed conditions only when something is wrong; the reference's
 * status updater then completes them from the infrastructure. This module does
 * the same for the statuses the standalone server serves on /api/status (and
 * `egctl x status` shows); `egctl x translate` never sees it. For each Gateway
 * the translator put in a proxy fleet:
 *
 *   - Accepted=True (reason Accepted) unless the translator set Accepted;
 *   - status.addresses: one IPAddress, where the proxies listen: the
 *     --proxy-address when given; otherwise the listeners bind the wildcard
 *     address (0.0.0.0) and the Gateway reports the host's loopback,
 *     127.0.0.1, which always reaches them;
 *   - Programmed=True (reason Programmed) once the fleet's proxy is serving,
 *     else Programmed=False (reason Pending), unless the translator set
 *     Programmed (then that condition stays as it is).
 *
 * Whether a fleet serves changes without any translation (Envoy starts, dies,
 * restarts), so both variants of each Gateway's status are rendered once per
 * translation and gws_apply() picks one per Gateway when the status is asked
 * for. */
#ifndef EG_SERVER_GATEWAY_STATUS_H
#define EG_SERVER_GATEWAY_STATUS_H

#include <jansson.h>
#include <stdbool.h>

#include "gatewayapi/translator.h"

typedef struct gws_list gws_list;

/* Completes the statuses in `res` (in its arena) of the Gateways that have a
 * fleet and renders both variants of each. `proxy_address` may be NULL.
 * Returns a new list (never NULL); it does not borrow from `r` or `res`. */
gws_list *gws_build(const api_resources *r, gw_result *res, const char *proxy_address);
/* Only the Accepted part (and Programmed=False when not accepted), in `res`:
 * what Kubernetes mode needs before the source completes the rest from the
 * Deployment and the Service. */
void gws_accept(const api_resources *r, gw_result *res);
/* `statuses` is the array of served statuses, item i for r->all.items[i] of
 * the translation gws_build() saw. Sets the `status` of each Gateway item to
 * its variant for whether serving(arg, fleet) says its fleet serves. */
void gws_apply(const gws_list *l, json_t *statuses, bool (*serving)(void *arg, const char *fleet),
               void *arg);
void gws_free(gws_list *l);

#endif
