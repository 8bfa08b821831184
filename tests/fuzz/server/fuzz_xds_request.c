/* libFuzzer target for what an xDS client sends the server: arbitrary bytes
 * are split into gRPC length-prefixed messages (in chunks, as TCP delivers
 * them) and each message is decoded as a DiscoveryRequest and as a
 * DeltaDiscoveryRequest. The first byte picks the chunk size. Any crash,
 * sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_xds_request -max_total_time=60 work-dir tests/fuzz/corpus/xds_request */
#include <stdint.h>
#include <stdlib.h>

#include "server/grpc.h"
#include "server/xds_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_both(void *arg, const uint8_t *msg, size_t len)
{
    for (int delta = 0; delta < 2; delta++) {
        ads_request req;
        if (ads_request_decode(&req, delta, msg, len)) {
            (void)ads_type_from_url(req.type_url);
            (void)ads_str_list_has(&req.resource_names, "*");
            ads_request_free(&req);
        }
    }
    (*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] + 1, messages = 0;
    srv_frame_buf buf = {0};
    for (size_t off = 1; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (srv_frames_feed(&buf, data + off, n, 1 << 20, decode_both, &messages) < 0)
            break;
    }
    srv_frame_buf_free(&buf);
    return 0;
}
