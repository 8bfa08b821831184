/* Text forms of the proto3 JSON mapping that are not plain JSON values:
 * Duration ("1.5s"), Timestamp (RFC 3339), FieldMask paths, base64 bytes, and
 * the shortest decimal form of a 32-bit float. Pure functions, no allocation
 * except where a pb_buf is passed in. */
#ifndef EG_PROTO_WKT_H
#define EG_PROTO_WKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

/* Longest text any formatter below writes, with the NUL. */
enum { PB_WKT_TEXT_MAX = 64 };

/* Duration: seconds within +-315,576,000,000, |nanos| < 1e9, both of one sign. */
bool pb_duration_valid(int64_t seconds, int32_t nanos);
/* "-1.5s" -> (-1, -500000000). Up to 9 fractional digits. False when malformed or out of range. */
bool pb_duration_parse(const char *s, int64_t *seconds, int32_t *nanos);
/* Writes "1.500s" (0, 3, 6 or 9 fractional digits); false (and writes nothing) when invalid. */
bool pb_duration_format(int64_t seconds, int32_t nanos, char out[PB_WKT_TEXT_MAX]);

/* Timestamp: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z, 0 <= nanos < 1e9. */
bool pb_timestamp_valid(int64_t seconds, int32_t nanos);
/* RFC 3339 with "Z" or a "+hh:mm"/"-hh:mm" offset and up to 9 fractional digits. */
bool pb_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos);
/* Always UTC ("Z"), 0, 3, 6 or 9 fractional digits. */
bool pb_timestamp_format(int64_t seconds, int32_t nanos, char out[PB_WKT_TEXT_MAX]);

/* FieldMask path "foo_bar.baz" <-> JSON "fooBar.baz". Appends to `out` (no NUL);
 * false when the path has no such form (a '_' in camelCase input, an upper-case
 * letter or a '_' not followed by a lower-case letter in snake_case input). */
bool pb_field_mask_path_to_json(const char *path, size_t len, pb_buf *out);
bool pb_field_mask_path_from_json(const char *path, size_t len, pb_buf *out);

/* Standard base64 with padding; appends to out (no NUL). */
void pb_base64_encode(const uint8_t *data, size_t len, pb_buf *out);
/* Accepts the standard and the URL-safe alphabet, padding optional. Appends the
 * bytes to out; false on any other character or a bad length. */
bool pb_base64_decode(const char *s, size_t len, pb_buf *out);

/* The double nearest the shortest decimal (6 to 9 significant digits) that reads
 * back as the same float: what the proto3 JSON printers show for a float field. */
double pb_float_shortest(float f);

#endif
