/* Host ports shared by every fleet of one standalone server.
 *
 * In Kubernetes each Gateway gets its own Service and pods; on one host, every
 * fleet's Envoy binds the same machine's ports, and two Envoys binding one
 * port (SO_REUSEPORT) would split its traffic between tenants. Before the
 * proxies are programmed, each TCP or UDP port is given to one fleet: the one
 * of the oldest Gateway claiming it (metadata.creationTimestamp, or when the
 * server first saw it, then namespace/name, as the Gateway API orders
 * conflicts). The listeners of the other fleets on that port are withdrawn
 * from their IR and report Accepted=False (PortUnavailable) and
 * Programmed=False, naming the Gateway that holds the port. */
#ifndef EG_SERVER_HOST_PORTS_H
#define EG_SERVER_HOST_PORTS_H

#include <stddef.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"

typedef struct host_ports host_ports;

host_ports *host_ports_new(void);
void host_ports_free(host_ports *h);
/* Withdraws the conflicting listeners from `res` (its IR and statuses, in its
 * arena) and returns how many were withdrawn. `h` remembers when each Gateway
 * was first seen, for Gateways without a creationTimestamp. */
size_t host_ports_resolve(host_ports *h, const api_resources *r, gw_result *res);

#endif
