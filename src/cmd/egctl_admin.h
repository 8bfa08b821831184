/* egctl commands that look at a running `envoy-gateway server` through its
 * admin endpoint (default http://127.0.0.1:19000):
 *
 *   egctl x status [TYPE] [-n NS | -A] [--quiet] [--verbose]
 *       the conditions of each resource, as the reference's `egctl x status`
 *   egctl config envoy-proxy [TYPE] [--fleet NAME] [-o yaml|json]
 *       what each proxy fleet was sent over xDS, with its Envoy process and
 *       ADS connections */
#ifndef EG_CMD_EGCTL_ADMIN_H
#define EG_CMD_EGCTL_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

/* True when argv names one of these commands. */
bool egctl_admin_handles(int argc, char **argv);
/* Runs it; returns the exit code (0, 1 on failure, 2 on bad usage). */
int egctl_admin_main(int argc, char **argv);
/* The usage lines of these commands. */
void egctl_admin_usage(FILE *out);

#endif
