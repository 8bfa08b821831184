/* The message types the codec fuzzers exercise: the first input byte picks one.
 * Envoy's resources, the bootstrap, and every well-known type with a JSON form
 * of its own. */
#ifndef EG_FUZZ_PROTO_TYPES_H
#define EG_FUZZ_PROTO_TYPES_H

#include <stddef.h>

static const char *const fuzz_types[] = {
    "envoy.config.listener.v3.Listener",
    "envoy.config.route.v3.RouteConfiguration",
    "envoy.config.cluster.v3.Cluster",
    "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "envoy.extensions.transport_sockets.tls.v3.Secret",
    "envoy.config.bootstrap.v3.Bootstrap",
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "envoy.config.core.v3.Metadata",
    "google.protobuf.Any",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Duration",
    "google.protobuf.Timestamp",
    "google.protobuf.FieldMask",
    "google.protobuf.UInt64Value",
    "google.protobuf.FloatValue",
    "google.protobuf.BytesValue",
};

static inline const char *fuzz_pick_type(unsigned char selector)
{
    return fuzz_types[selector % (sizeof fuzz_types / sizeof fuzz_types[0])];
}

#endif
