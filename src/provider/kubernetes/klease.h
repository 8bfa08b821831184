/* Leader election with a coordination.k8s.io/v1 Lease, as client-go does it:
 * every retry period the candidate reads the Lease; it creates it when
 * missing, renews it while it holds it, and takes it over once the holder's
 * record has not changed for a whole lease duration (as observed here, so
 * clocks need not agree). A leader that cannot renew within the renew
 * deadline steps down. Only the leader writes statuses and infrastructure;
 * every replica serves xDS. */
#ifndef EG_PROVIDER_KUBERNETES_KLEASE_H
#define EG_PROVIDER_KUBERNETES_KLEASE_H

#include <stdbool.h>

#include "provider/kubernetes/kclient.h"

typedef struct klease klease;

typedef struct klease_config {
    const char *namespace, *name; /* the Lease */
    const char *identity;         /* this replica */
    unsigned lease_ms, renew_ms, retry_ms;
} klease_config;

/* `changed(arg, leader)` is called when this replica gains or loses the lease. */
klease *klease_new(kc_client *c, const klease_config *cfg, void (*changed)(void *arg, bool leader),
                   void *arg);
void klease_start(klease *l);
bool klease_is_leader(const klease *l);
/* Gives the lease up when held (blocking, at shutdown), so a successor need
 * not wait for it to expire. */
void klease_release(klease *l);
/* Stops the timer and frees the elector once libuv released it. */
void klease_close(klease *l);

#endif
