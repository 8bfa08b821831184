/* Unit tests of the wire layer (varints, lengths) and the well-known types'
 * text forms (Duration, Timestamp, FieldMask, base64, float printing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"
#include "proto/wkt.h"

static int passed, failed;

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

static void test_varints(void)
{
    const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        pb_buf b = {0};
        pb_write_varint(&b, values[i]);
        CHECK(b.len == pb_varint_size(values[i]), "size of %llu", (unsigned long long)values[i]);
        pb_reader r = {b.data, b.data + b.len};
        uint64_t v = 0;
        CHECK(pb_read_varint(&r, &v) && v == values[i] && r.p == r.end, "varint %llu round trip",
              (unsigned long long)values[i]);
        r = (pb_reader){b.data, b.data + b.len - 1};
        CHECK(!pb_read_varint(&r, &v), "truncated varint of %llu", (unsigned long long)values[i]);
        pb_buf_free(&b);
    }
    uint8_t eleven[11];
    memset(eleven, 0xff, sizeof eleven);
    pb_reader r = {eleven, eleven + sizeof eleven};
    uint64_t v;
    CHECK(!pb_read_varint(&r, &v), "an 11-byte varint is refused");
    CHECK(pb_zigzag_encode(-1) == 1 && pb_zigzag_encode(1) == 2 && pb_zigzag_decode(3) == -2 &&
              pb_zigzag_decode(pb_zigzag_encode(INT64_MIN)) == INT64_MIN,
          "zigzag");
    uint8_t tag0[] = {0x00}, tag_wt7[] = {0x0f};
    uint32_t f;
    pb_wire_type wt;
    r = (pb_reader){tag0, tag0 + 1};
    CHECK(!pb_read_tag(&r, &f, &wt), "field number 0 is refused");
    r = (pb_reader){tag_wt7, tag_wt7 + 1};
    CHECK(!pb_read_tag(&r, &f, &wt), "wire type 7 is refused");
}

static void test_lengths(void)
{
    /* a length written after its payload, across the one/two/three byte boundaries */
    const size_t sizes[] = {0, 127, 128, 16383, 16384, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        pb_buf b = {0};
        pb_buf_append(&b, "X", 1);
        size_t mark = pb_len_begin(&b);
        for (size_t j = 0; j < sizes[i]; j++)
            pb_buf_append(&b, "a", 1);
        pb_buf_append(&b, "", 0);
        pb_len_end(&b, mark);
        pb_reader r = {b.data + 1, b.data + b.len};
        const uint8_t *data;
        size_t len;
        CHECK(pb_read_len(&r, &data, &len) && len == sizes[i] && r.p == r.end &&
                  (len == 0 || (data[0] == 'a' && data[len - 1] == 'a')),
              "length %zu", sizes[i]);
        pb_buf_free(&b);
    }
}

static void expect_duration(const char *text, bool ok, int64_t s, int32_t ns, const char *back)
{
    int64_t gs = 0;
    int32_t gns = 0;
    bool got = pb_duration_parse(text, &gs, &gns);
    CHECK(got == ok && (!ok || (gs == s && gns == ns)), "duration \"%s\": %d %lld %d", text, got,
          (long long)gs, gns);
    if (ok && back) {
        char out[PB_WKT_TEXT_MAX];
        CHECK(pb_duration_format(s, ns, out) && strcmp(out, back) == 0,
              "duration %s prints as \"%s\", want \"%s\"", text, out, back);
    }
}

static void test_durations(void)
{
    expect_duration("1.5s", true, 1, 500000000, "1.500s");
    expect_duration("0s", true, 0, 0, "0s");
    expect_duration("-0.5s", true, 0, -500000000, "-0.500s");
    expect_duration("-3.000001s", true, -3, -1000, "-3.000001s");
    expect_duration("0.000000001s", true, 0, 1, "0.000000001s");
    expect_duration("315576000000s", true, 315576000000LL, 0, "315576000000s");
    expect_duration("315576000001s", false, 0, 0, NULL);
    expect_duration("1.5", false, 0, 0, NULL);
    expect_duration("1.s", false, 0, 0, NULL);
    expect_duration(".5s", false, 0, 0, NULL);
    expect_duration("1.0000000001s", false, 0, 0, NULL);
    expect_duration("1s ", false, 0, 0, NULL);
    char out[PB_WKT_TEXT_MAX];
    CHECK(!pb_duration_format(1, -1, out), "mixed signs are invalid");
    CHECK(!pb_duration_format(0, 1000000000, out), "nanos out of range");
}

static void expect_timestamp(const char *text, bool ok, int64_t s, int32_t ns, const char *back)
{
    int64_t gs = 0;
    int32_t gns = 0;
    bool got = pb_timestamp_parse(text, &gs, &gns);
    CHECK(got == ok && (!ok || (gs == s && gns == ns)), "timestamp \"%s\": %d %lld %d", text, got,
          (long long)gs, gns);
    if (ok && back) {
        char out[PB_WKT_TEXT_MAX];
        CHECK(pb_timestamp_format(s, ns, out) && strcmp(out, back) == 0,
              "timestamp %s prints as \"%s\", want \"%s\"", text, out, back);
    }
}

static void test_timestamps(void)
{
    expect_timestamp("1970-01-01T00:00:00Z", true, 0, 0, "1970-01-01T00:00:00Z");
    expect_timestamp("1972-01-01T10:00:20.021Z", true, 63108020, 21000000,
                     "1972-01-01T10:00:20.021Z");
    expect_timestamp("1972-01-01T10:00:20.021-05:00", true, 63108020 + 5 * 3600, 21000000, NULL);
    expect_timestamp("2024-02-29T23:59:59.5Z", true, 1709251199, 500000000,
                     "2024-02-29T23:59:59.500Z");
    expect_timestamp("1969-12-31T23:59:59Z", true, -1, 0, "1969-12-31T23:59:59Z");
    expect_timestamp("0001-01-01T00:00:00Z", true, -62135596800LL, 0, "0001-01-01T00:00:00Z");
    expect_timestamp("9999-12-31T23:59:59.999999999Z", true, 253402300799LL, 999999999,
                     "9999-12-31T23:59:59.999999999Z");
    expect_timestamp("2023-02-29T00:00:00Z", false, 0, 0, NULL);
    expect_timestamp("2024-01-01T00:00:00", false, 0, 0, NULL);
    expect_timestamp("2024-01-01t00:00:00Z", false, 0, 0, NULL);
    expect_timestamp("2024-01-01T24:00:00Z", false, 0, 0, NULL);
    expect_timestamp("0001-01-01T00:00:00+00:01", false, 0, 0, NULL);
}

static void test_field_mask_and_base64(void)
{
    pb_buf b = {0};
    CHECK(pb_field_mask_path_to_json("foo_bar.baz_qux", 15, &b) && b.len == 13 &&
              memcmp(b.data, "fooBar.bazQux", 13) == 0,
          "snake to camel");
    b.len = 0;
    CHECK(!pb_field_mask_path_to_json("foo__bar", 8, &b), "double underscore has no JSON form");
    b.len = 0;
    CHECK(!pb_field_mask_path_to_json("fooBar", 6, &b), "upper case has no JSON form");
    b.len = 0;
    CHECK(pb_field_mask_path_from_json("fooBar.x", 8, &b) && b.len == 9 &&
              memcmp(b.data, "foo_bar.x", 9) == 0,
          "camel to snake");
    b.len = 0;
    CHECK(!pb_field_mask_path_from_json("foo_bar", 7, &b), "underscore in JSON path");

    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *encoded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        b.len = 0;
        pb_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), &b);
        CHECK(b.len == strlen(encoded[i]) && memcmp(b.data, encoded[i], b.len) == 0,
              "base64 of \"%s\"", plain[i]);
        b.len = 0;
        CHECK(pb_base64_decode(encoded[i], strlen(encoded[i]), &b) && b.len == strlen(plain[i]) &&
                  memcmp(b.data, plain[i], b.len) == 0,
              "base64 decode of \"%s\"", encoded[i]);
    }
    b.len = 0;
    CHECK(pb_base64_decode("-_-_", 4, &b) && b.len == 3 && b.data[0] == 0xfb, "URL-safe alphabet");
    b.len = 0;
    CHECK(!pb_base64_decode("Zm9vY", 5, &b), "a dangling sextet is refused");
    b.len = 0;
    CHECK(!pb_base64_decode("Zm 9v", 5, &b), "spaces are refused");
    pb_buf_free(&b);
}

static void test_floats(void)
{
    CHECK(pb_float_shortest(0.1f) == 0.1, "0.1f prints as 0.1");
    CHECK(pb_float_shortest(1.0f / 3.0f) == 0.33333334, "1/3 needs 8 digits: %.17g",
          pb_float_shortest(1.0f / 3.0f));
    CHECK(pb_float_shortest(16777216.0f) == 16777216.0, "2^24");
    CHECK(pb_float_shortest(3.4028235e38f) == 3.4028235e38, "FLT_MAX");
}

int main(void)
{
    test_varints();
    test_lengths();
    test_durations();
    test_timestamps();
    test_field_mask_and_base64();
    test_floats();
    printf("proto wire and well-known types: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
