#define _GNU_SOURCE /* asprintf */
/* Unit tests of the codec (proto3 JSON <-> binary) over the embedded Envoy API.
 * Expected bytes were produced with the Python protobuf runtime's
 * json_format.ParseDict + SerializeToString(deterministic=True). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "proto/pool.h"

static int passed, failed;
static const pb_pool *pool;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static char *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * n] = 0;
    return s;
}

static uint8_t *unhex(const char *s, size_t *n)
{
    *n = strlen(s) / 2;
    uint8_t *p = malloc(*n + 1);
    for (size_t i = 0; i < *n; i++)
        sscanf(s + 2 * i, "%2hhx", &p[i]);
    return p;
}

/* Encodes JSON text; returns malloc'd hex, or "error: <diagnostic>". */
static char *encode(const char *type, const char *json_text)
{
    json_error_t jerr;
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, &jerr);
    if (!j) {
        printf("bad test JSON: %s: %s\n", json_text, jerr.text);
        abort();
    }
    pb_buf out = {0};
    diag_list errs = {0};
    char *result;
    if (pb_json_to_binary(pool, type, j, NULL, &out, &errs)) {
        result = hex(out.data, out.len);
        CHECK(errs.n == 0, "success with diagnostics");
    } else {
        char *d = diag_format(&errs.items[0]);
        if (asprintf(&result, "error: %s", d) < 0)
            abort();
        free(d);
        CHECK(out.len == 0, "failed encode left %zu bytes in the buffer", out.len);
    }
    pb_buf_free(&out);
    diag_list_clear(&errs);
    json_decref(j);
    return result;
}

/* Decodes hex; returns malloc'd compact JSON with sorted keys, or "error: ...". */
static char *decode_opts(const char *type, const char *hex_text, const pb_codec_options *opt)
{
    size_t n;
    uint8_t *bin = unhex(hex_text, &n);
    diag_list errs = {0};
    json_t *j = pb_binary_to_json(pool, type, bin, n, opt, &errs);
    char *result;
    if (j) {
        result = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    } else {
        CHECK(errs.n == 1, "a failed decode gives one diagnostic, got %zu", errs.n);
        char *d = errs.n ? diag_format(&errs.items[0]) : strdup("(none)");
        if (asprintf(&result, "error: %s", d) < 0)
            abort();
        free(d);
    }
    json_decref(j);
    diag_list_clear(&errs);
    free(bin);
    return result;
}

static char *decode(const char *type, const char *hex_text)
{
    return decode_opts(type, hex_text, NULL);
}

static char *sorted_json(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j) {
        printf("bad test JSON: %s\n", text);
        fflush(stdout);
        abort();
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    return s;
}

static void expect_encode(const char *type, const char *json_text, const char *want)
{
    char *got = encode(type, json_text);
    CHECK(strcmp(got, want) == 0, "encode %s %s\n  got  %s\n  want %s", type, json_text, got, want);
    free(got);
}

static void expect_decode(const char *type, const char *hex_text, const char *want_json)
{
    char *got = decode(type, hex_text);
    char *want = strncmp(want_json, "error: ", 7) == 0 ? strdup(want_json) : sorted_json(want_json);
    CHECK(strcmp(got, want) == 0, "decode %s %s\n  got  %s\n  want %s", type, hex_text, got, want);
    free(got);
    free(want);
}

/* JSON -> bytes as Python gives them, and those bytes back to Python's JSON. */
static void expect_both(const char *type, const char *json_in, const char *hex_text,
                        const char *json_out)
{
    expect_encode(type, json_in, hex_text);
    expect_decode(type, hex_text, json_out);
}

static void test_scalars_and_messages(void)
{
    expect_both("envoy.config.core.v3.SocketAddress",
                "{\"address\":\"127.0.0.1\",\"portValue\":10080}", "12093132372e302e302e3118e04e",
                "{\"address\":\"127.0.0.1\",\"portValue\":10080}");
    /* original field names are accepted too, and JSON key order does not matter */
    expect_encode("envoy.config.core.v3.SocketAddress",
                  "{\"port_value\":10080,\"address\":\"127.0.0.1\"}",
                  "12093132372e302e302e3118e04e");
    expect_both("envoy.config.cluster.v3.Cluster",
                "{\"name\":\"c\",\"connectTimeout\":\"1.5s\",\"type\":\"STRICT_DNS\","
                "\"perConnectionBufferLimitBytes\":32768}",
                "0a01631001220808011080cab5ee012a0408808002",
                "{\"name\":\"c\",\"type\":\"STRICT_DNS\",\"connectTimeout\":\"1.500s\","
                "\"perConnectionBufferLimitBytes\":32768}");
    expect_both(
        "envoy.config.route.v3.RouteMatch",
        "{\"prefix\":\"/\",\"headers\":[{\"name\":\"x\",\"stringMatch\":{\"exact\":\"v\"}}]}",
        "0a012f32080a01786a030a0176",
        "{\"prefix\":\"/\",\"headers\":[{\"name\":\"x\",\"stringMatch\":{\"exact\":\"v\"}}]}");
    /* enums by name or number */
    expect_both("envoy.config.core.v3.HeaderValueOption",
                "{\"header\":{\"key\":\"k\",\"value\":\"v\"},\"appendAction\":\"OVERWRITE_IF_"
                "EXISTS_OR_ADD\"}",
                "0a060a016b1201761802",
                "{\"header\":{\"key\":\"k\",\"value\":\"v\"},\"appendAction\":\"OVERWRITE_IF_"
                "EXISTS_OR_ADD\"}");
    expect_encode("envoy.config.core.v3.HeaderValueOption",
                  "{\"header\":{\"key\":\"k\",\"value\":\"v\"},\"appendAction\":2}",
                  "0a060a016b1201761802");
    expect_both("envoy.type.v3.FractionalPercent",
                "{\"numerator\":1,\"denominator\":\"TEN_THOUSAND\"}", "08011001",
                "{\"numerator\":1,\"denominator\":\"TEN_THOUSAND\"}");
    /* an enum number with no name comes back as a number */
    expect_decode("envoy.type.v3.FractionalPercent", "08011063",
                  "{\"numerator\":1,\"denominator\":99}");
    /* implicit-presence defaults are not written, and not printed */
    expect_encode("envoy.type.v3.FractionalPercent",
                  "{\"numerator\":0,\"denominator\":\"HUNDRED\"}", "");
    expect_decode("envoy.type.v3.FractionalPercent", "08001000", "{}");
    /* null means "not set" */
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"address\":null,\"portValue\":null}",
                  "");
    expect_both("envoy.config.cluster.v3.CircuitBreakers",
                "{\"thresholds\":[{\"priority\":\"HIGH\",\"maxConnections\":1024}]}",
                "0a0708011203088008",
                "{\"thresholds\":[{\"priority\":\"HIGH\",\"maxConnections\":1024}]}");
    expect_both("envoy.config.core.v3.RuntimeUInt32", "{\"defaultValue\":5,\"runtimeKey\":\"k\"}",
                "10051a016b", "{\"defaultValue\":5,\"runtimeKey\":\"k\"}");
    /* bytes are base64, standard or URL-safe, padded or not */
    expect_both("envoy.config.core.v3.DataSource", "{\"inlineBytes\":\"aGVsbG8=\"}",
                "120568656c6c6f", "{\"inlineBytes\":\"aGVsbG8=\"}");
    expect_encode("envoy.config.core.v3.DataSource", "{\"inlineBytes\":\"aGVsbG8\"}",
                  "120568656c6c6f");
    expect_encode("envoy.config.core.v3.DataSource", "{\"inline_bytes\":\"-_8\"}", "1202fbff");
    /* a oneof member holding its default is still set */
    expect_both("envoy.config.core.v3.DataSource", "{\"inlineString\":\"\"}", "1a00",
                "{\"inlineString\":\"\"}");
    /* decode with original names */
    pb_codec_options orig = {.original_names = true};
    char *got =
        decode_opts("envoy.config.core.v3.SocketAddress", "12093132372e302e302e3118e04e", &orig);
    CHECK(strcmp(got, "{\"address\":\"127.0.0.1\",\"port_value\":10080}") == 0,
          "original names: %s", got);
    free(got);
}

static void test_integers(void)
{
    /* 64-bit integers: strings out, numbers or strings in */
    expect_both("google.protobuf.Int64Value", "\"-9007199254740993\"", "08ffffffffffffffefff01",
                "\"-9007199254740993\"");
    expect_both("google.protobuf.UInt64Value", "\"18446744073709551615\"", "08ffffffffffffffffff01",
                "\"18446744073709551615\"");
    expect_encode("google.protobuf.Int64Value", "-9007199254740993", "08ffffffffffffffefff01");
    expect_encode("google.protobuf.UInt32Value", "\"4294967295\"", "08ffffffff0f");
    expect_encode("google.protobuf.UInt32Value", "7.0", "0807");
    expect_encode("google.protobuf.UInt32Value", "\"1e3\"", "08e807");
    expect_encode("google.protobuf.Int32Value", "-1", "08ffffffffffffffffff01");
    expect_encode("google.protobuf.UInt32Value", "4294967296",
                  "error: google.protobuf.UInt32Value: 4294967296 out of range for uint32");
    expect_encode("google.protobuf.UInt32Value", "-1",
                  "error: google.protobuf.UInt32Value: -1 out of range for uint32");
    expect_encode("google.protobuf.Int32Value", "1.5",
                  "error: google.protobuf.Int32Value: expected an integer, got 1.5");
    expect_encode("google.protobuf.Int32Value", "\"12a\"",
                  "error: google.protobuf.Int32Value: expected an integer, got \"12a\"");
    expect_encode("google.protobuf.Int32Value", "true",
                  "error: google.protobuf.Int32Value: expected an integer (int32), got a boolean");
    /* a varint is truncated to 32 bits for int32 */
    expect_decode("google.protobuf.Int32Value", "08ffffffffffffffffff01", "-1");
}

static void test_floats(void)
{
    expect_both("google.protobuf.FloatValue", "0.1", "0dcdcccc3d", "0.1");
    expect_both("google.protobuf.DoubleValue", "\"NaN\"", "09000000000000f87f", "\"NaN\"");
    expect_encode("google.protobuf.DoubleValue", "\"-Infinity\"", "09000000000000f0ff");
    expect_decode("google.protobuf.DoubleValue", "09000000000000f0ff", "\"-Infinity\"");
    expect_encode("google.protobuf.DoubleValue", "\"2.5\"", "090000000000000440");
    expect_encode("google.protobuf.FloatValue", "1e39",
                  "error: google.protobuf.FloatValue: 1e+39 out of range for float");
}

static void test_maps_and_struct(void)
{
    /* map entries are sorted by key; Struct holds any JSON */
    expect_both(
        "envoy.config.core.v3.Metadata",
        "{\"filterMetadata\":{\"b\":{\"x\":1,\"y\":[true,null,\"s\"]},\"a\":{}}}",
        "0a050a016112000a2b0a016212260a0e0a0178120911000000000000f03f0a140a0179120f320d0a022001"
        "0a0208000a031a0173",
        "{\"filterMetadata\":{\"a\":{},\"b\":{\"x\":1.0,\"y\":[true,null,\"s\"]}}}");
    /* keys sort bytewise, a prefix first (as C++ and Go do) */
    char *a = encode("google.protobuf.Struct", "{\"namespace\":1,\"name\":2}");
    char *b = encode("google.protobuf.Struct", "{\"name\":2,\"namespace\":1}");
    CHECK(strcmp(a, b) == 0, "map order depends on JSON order: %s vs %s", a, b);
    CHECK(strstr(a, "6e616d65120") < strstr(a, "6e616d657370616365"), "\"name\" sorts first: %s",
          a);
    free(a);
    free(b);
    /* integer map keys sort numerically */
    expect_decode("google.protobuf.Struct", "", "{}");
    expect_decode("google.protobuf.ListValue", "", "[]");
    expect_decode("google.protobuf.Value", "", "null");
    expect_encode("google.protobuf.Value", "[1,\"a\",{\"k\":false}]",
                  "321d0a0911000000000000f03f0a031a01610a0b2a090a070a016b12022000");
    expect_decode("google.protobuf.Value", "11000000000000f07f",
                  "error: google.protobuf.Value: number_value: inf has no JSON form in a "
                  "google.protobuf.Value");
}

static void test_any(void)
{
    expect_both("envoy.config.listener.v3.Filter",
                "{\"name\":\"envoy.filters.network.tcp_proxy\",\"typedConfig\":{\"@type\":\"type."
                "googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\","
                "\"statPrefix\":\"s\",\"cluster\":\"c\"}}",
                "0a1f656e766f792e66696c746572732e6e6574776f726b2e7463705f70726f787922540a4a74797065"
                "2e676f6f676c65617069732e636f6d2f656e766f792e657874656e73696f6e732e66696c746572732e"
                "6e6574776f726b2e7463705f70726f78792e76332e54637050726f787912060a0173120163",
                "{\"name\":\"envoy.filters.network.tcp_proxy\",\"typedConfig\":{\"@type\":\"type."
                "googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\","
                "\"statPrefix\":\"s\",\"cluster\":\"c\"}}");
    /* well-known types inside Any use "value" */
    expect_both("google.protobuf.Any",
                "{\"@type\":\"type.googleapis.com/google.protobuf.UInt32Value\",\"value\":7}",
                "0a2f747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e55496e"
                "74333256616c756512020807",
                "{\"@type\":\"type.googleapis.com/google.protobuf.UInt32Value\",\"value\":7}");
    expect_both(
        "google.protobuf.Any",
        "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"-0.5s\"}",
        "0a2c747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e447572"
        "6174696f6e120b1080b6ca91feffffffff01",
        "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"-0.500s\"}");
    /* an empty Any, an Any of an empty message */
    expect_both("google.protobuf.Any", "{}", "", "{}");
    expect_both(
        "google.protobuf.Any",
        "{\"@type\":\"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"}",
        "0a42747970652e676f6f676c65617069732e636f6d2f656e766f792e657874656e73696f6e732e6669"
        "6c746572732e687474702e726f757465722e76332e526f75746572",
        "{\"@type\":\"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"}");
    /* an Any built from bytes encoded earlier (as the xDS server wraps resources) */
    pb_buf value = {0}, any = {0};
    diag_list errs = {0};
    json_t *sa = json_pack("{s:s,s:i}", "address", "::", "portValue", 10080);
    const char *url = "type.googleapis.com/envoy.config.core.v3.SocketAddress";
    CHECK(pb_json_to_binary(pool, url, sa, NULL, &value, &errs), "encode by type URL");
    pb_write_len_field(&any, 1, url, strlen(url));
    pb_write_len_field(&any, 2, value.data, value.len);
    json_t *back = pb_binary_to_json(pool, "google.protobuf.Any", any.data, any.len, NULL, &errs);
    char *s = back ? json_dumps(back, JSON_COMPACT) : NULL;
    CHECK(s && strcmp(s, "{\"@type\":\"type.googleapis.com/envoy.config.core.v3.SocketAddress\","
                         "\"address\":\"::\",\"portValue\":10080}") == 0,
          "Any from bytes: %s", s ? s : "(null)");
    free(s);
    json_decref(back);
    json_decref(sa);
    pb_buf_free(&value);
    pb_buf_free(&any);
    diag_list_clear(&errs);
    expect_encode("google.protobuf.Any", "{\"statPrefix\":\"s\"}",
                  "error: google.protobuf.Any: \"@type\" is missing in a google.protobuf.Any");
    expect_encode("google.protobuf.Any", "{\"@type\":\"type.googleapis.com/no.such.Type\"}",
                  "error: google.protobuf.Any: \"@type\": unknown type "
                  "\"type.googleapis.com/no.such.Type\"");
}

static void test_well_known_types(void)
{
    expect_both("google.protobuf.Timestamp", "\"1972-01-01T10:00:20.021Z\"", "08b4e78b1e10c0de810a",
                "\"1972-01-01T10:00:20.021Z\"");
    expect_encode("google.protobuf.Timestamp", "\"1972-01-01T11:00:20.021+01:00\"",
                  "08b4e78b1e10c0de810a");
    expect_both("google.protobuf.FieldMask", "\"fooBar,baz.quxQuux\"",
                "0a07666f6f5f6261720a0c62617a2e7175785f71757578", "\"fooBar,baz.quxQuux\"");
    expect_both("google.protobuf.Duration", "\"0s\"", "", "\"0s\"");
    expect_both("google.protobuf.Empty", "{}", "", "{}");
    expect_encode("google.protobuf.Duration", "\"1.5\"",
                  "error: google.protobuf.Duration: invalid duration \"1.5\" (expected seconds "
                  "with an \"s\", such as \"1.5s\")");
    expect_encode("google.protobuf.Duration", "\"315576000001s\"",
                  "error: google.protobuf.Duration: invalid duration \"315576000001s\" (expected "
                  "seconds with an \"s\", such as \"1.5s\")");
    expect_decode("google.protobuf.Duration", "080110ffffffffffffffffff01",
                  "error: google.protobuf.Duration: Duration out of range (seconds 1, nanos -1)");
    expect_encode(
        "google.protobuf.Empty", "{\"x\":1}",
        "error: google.protobuf.Empty: unknown field \"x\" (message google.protobuf.Empty)");
}

static void test_errors_with_paths(void)
{
    const char *listener =
        "{\"name\":\"l\",\"filter_chains\":[{\"filters\":[{\"name\":\"hcm\",\"typed_config\":{"
        "\"@type\":\"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager."
        "v3.HttpConnectionManager\",\"stat_prefix\":\"http\",\"http_filters\":[{\"name\":\"a\"},"
        "{\"name\":\"b\"},{\"name\":\"c\",\"foo\":1}]}}]}]}";
    expect_encode(
        "envoy.config.listener.v3.Listener", listener,
        "error: envoy.config.listener.v3.Listener: filter_chains[0].filters[0].typed_config."
        "http_filters[2]: unknown field \"foo\" (message envoy.extensions.filters.network."
        "http_connection_manager.v3.HttpFilter)");
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"PortValue\":1}",
                  "error: envoy.config.core.v3.SocketAddress: unknown field \"PortValue\" (message "
                  "envoy.config.core.v3.SocketAddress); did you mean \"portValue\"?");
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"portValue\":\"http\"}",
                  "error: envoy.config.core.v3.SocketAddress: portValue: expected an integer, got "
                  "\"http\"");
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"address\":1}",
                  "error: envoy.config.core.v3.SocketAddress: address: expected a string, got an "
                  "integer");
    expect_encode("envoy.config.core.v3.SocketAddress", "[]",
                  "error: envoy.config.core.v3.SocketAddress: expected an object "
                  "(envoy.config.core.v3.SocketAddress), got an array");
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"portValue\":1,\"port_value\":2}",
                  "error: envoy.config.core.v3.SocketAddress: field port_value is given twice, as "
                  "\"portValue\" and \"port_value\"");
    expect_encode("envoy.config.core.v3.SocketAddress", "{\"portValue\":1,\"namedPort\":\"x\"}",
                  "error: envoy.config.core.v3.SocketAddress: \"portValue\" and \"namedPort\" are "
                  "both set, but only one of oneof port_specifier may be");
    expect_encode(
        "envoy.config.core.v3.HeaderValueOption", "{\"appendAction\":\"SOMETIMES\"}",
        "error: envoy.config.core.v3.HeaderValueOption: appendAction: unknown value "
        "\"SOMETIMES\" of enum envoy.config.core.v3.HeaderValueOption.HeaderAppendAction");
    expect_encode("envoy.config.core.v3.Metadata", "{\"filterMetadata\":{\"k\":[]}}",
                  "error: envoy.config.core.v3.Metadata: filterMetadata[\"k\"]: expected an object "
                  "(google.protobuf.Struct), got an array");
    expect_encode(
        "envoy.config.route.v3.RouteMatch", "{\"headers\":[null]}",
        "error: envoy.config.route.v3.RouteMatch: headers[0]: null is not allowed in a list");
    expect_encode("envoy.config.core.v3.DataSource", "{\"inlineBytes\":\"a$\"}",
                  "error: envoy.config.core.v3.DataSource: inlineBytes: invalid base64");
    expect_encode("no.such.Type", "{}",
                  "error: no.such.Type: no such message type in the descriptor pool");
}

static void test_binary_errors(void)
{
    /* unknown field 15, a truncated length, a wrong wire type, bad UTF-8 */
    expect_decode(
        "envoy.config.core.v3.SocketAddress", "7801",
        "error: envoy.config.core.v3.SocketAddress: unknown field number 15 (wire type 0) "
        "in message envoy.config.core.v3.SocketAddress");
    pb_codec_options skip = {.ignore_unknown = true};
    char *got = decode_opts("envoy.config.core.v3.SocketAddress", "780118e04e", &skip);
    CHECK(strcmp(got, "{\"portValue\":10080}") == 0, "ignore_unknown: %s", got);
    free(got);
    expect_decode("envoy.config.core.v3.SocketAddress", "120931",
                  "error: envoy.config.core.v3.SocketAddress: address: truncated value");
    expect_decode("envoy.config.core.v3.SocketAddress", "1001",
                  "error: envoy.config.core.v3.SocketAddress: address: wire type 0 where string "
                  "(wire type 2) was expected");
    expect_decode("envoy.config.core.v3.SocketAddress", "1201ff",
                  "error: envoy.config.core.v3.SocketAddress: address: string is not valid UTF-8");
    expect_decode("envoy.config.route.v3.RouteMatch", "32020a05",
                  "error: envoy.config.route.v3.RouteMatch: headers[0]: name: truncated value");
    /* last scalar wins, message records merge, the last oneof member counts */
    expect_decode("envoy.config.core.v3.SocketAddress", "1201611201621801",
                  "{\"address\":\"b\",\"portValue\":1}");
    expect_decode("envoy.config.route.v3.RouteMatch", "32030a017832026a00",
                  "{\"headers\":[{\"name\":\"x\"},{\"stringMatch\":{}}]}");
    expect_decode("envoy.config.core.v3.DataSource", "0a01611a0162", "{\"inlineString\":\"b\"}");
    expect_decode("envoy.config.core.v3.Address", "0a031201610a021831",
                  "{\"socketAddress\":{\"address\":\"a\",\"portValue\":49}}");
    /* an unpacked repeated scalar is read too (here, a packed field sent unpacked) */
    expect_decode("envoy.type.v3.Int64Range", "0801", "{\"start\":\"1\"}");
}

static void test_depth_limit(void)
{
    /* Struct in Struct, deeper than protobuf allows */
    char json[4096] = "", *p = json;
    for (int i = 0; i < 120; i++)
        p += sprintf(p, "{\"a\":");
    p += sprintf(p, "1");
    for (int i = 0; i < 120; i++)
        *p++ = '}';
    *p = 0;
    char *got = encode("google.protobuf.Struct", json);
    CHECK(strncmp(got, "error: google.protobuf.Struct: [\"a\"].a", 30) == 0 &&
              strstr(got, "messages nested more than 100 deep"),
          "depth limit: %.120s", got);
    free(got);
}

static void test_determinism(void)
{
    const char *a =
        "{\"name\":\"c\",\"metadata\":{\"filterMetadata\":{\"z\":{\"b\":1,\"a\":2},\"y\":{}}},"
        "\"connectTimeout\":\"5s\"}";
    const char *b =
        "{\"connectTimeout\":\"5s\",\"metadata\":{\"filterMetadata\":{\"y\":{},\"z\":{\"a\":2,"
        "\"b\":1}}},\"name\":\"c\"}";
    char *x = encode("envoy.config.cluster.v3.Cluster", a);
    char *y = encode("envoy.config.cluster.v3.Cluster", b);
    CHECK(strcmp(x, y) == 0, "same JSON, different bytes:\n  %s\n  %s", x, y);
    free(x);
    free(y);
}

/* Inputs the fuzzers found, kept so the bugs stay fixed. */
static void test_fuzz_regressions(void)
{
    /* an empty FieldMask path kept its comma */
    expect_both("google.protobuf.FieldMask", "\",a.d\"", "0a000a03612e64", "\",a.d\"");
    /* empty bytes in a oneof: base64 of nothing */
    expect_decode("envoy.config.core.v3.DataSource", "1200", "{\"inlineBytes\":\"\"}");
    /* a Struct key holding a NUL survives a round trip (JSON text cannot hold it) */
    size_t n;
    uint8_t *bin = unhex("0a090a0361006212020800", &n);
    diag_list errs = {0};
    json_t *j = pb_binary_to_json(pool, "google.protobuf.Struct", bin, n, NULL, &errs);
    void *it = j ? json_object_iter(j) : NULL;
    CHECK(it && json_object_iter_key_len(it) == 3 && json_is_null(json_object_iter_value(it)),
          "Struct key with a NUL");
    pb_buf again = {0};
    CHECK(j && pb_json_to_binary(pool, "google.protobuf.Struct", j, NULL, &again, &errs) &&
              again.len == n && memcmp(again.data, bin, n) == 0,
          "Struct key with a NUL encodes back");
    pb_buf_free(&again);
    json_decref(j);
    diag_list_clear(&errs);
    free(bin);
    /* -FLT_MAX prints as its shortest text, which reads back a hair beyond
     * FLT_MAX and was refused as out of range */
    bin = unhex("0dffff7fff", &n);
    j = pb_binary_to_json(pool, "google.protobuf.FloatValue", bin, n, NULL, &errs);
    pb_buf back = {0};
    CHECK(j && pb_json_to_binary(pool, "google.protobuf.FloatValue", j, NULL, &back, &errs) &&
              back.len == n && memcmp(back.data, bin, n) == 0,
          "-FLT_MAX FloatValue encodes back");
    pb_buf_free(&back);
    json_decref(j);
    diag_list_clear(&errs);
    free(bin);
    /* twice FLT_MAX is still refused */
    json_t *big = json_real(6.8e38);
    CHECK(!pb_json_to_binary(pool, "google.protobuf.FloatValue", big, NULL, &back, &errs),
          "6.8e38 is out of range for a float");
    pb_buf_free(&back);
    json_decref(big);
    diag_list_clear(&errs);
}

int main(void)
{
    diag_list errs = {0};
    pb_pool *p = pb_pool_load_envoy(&errs);
    if (!p) {
        diag_print(&errs, stdout);
        return 1;
    }
    pool = p;
    test_scalars_and_messages();
    test_integers();
    test_floats();
    test_maps_and_struct();
    test_any();
    test_well_known_types();
    test_errors_with_paths();
    test_binary_errors();
    test_depth_limit();
    test_determinism();
    test_fuzz_regressions();
    pb_pool_free(p);
    printf("proto codec: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
