/* Protobuf wire format: varints, tags, length-delimited records, and a growable
 * output buffer. The lowest layer of the codec; it knows nothing of descriptors.
 *
 * Readers never read past `end` and report truncation by returning false. */
#ifndef EG_PROTO_WIRE_H
#define EG_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pb_wire_type {
    PB_WIRE_VARINT = 0,
    PB_WIRE_FIXED64 = 1,
    PB_WIRE_LEN = 2,
    PB_WIRE_SGROUP = 3,
    PB_WIRE_EGROUP = 4,
    PB_WIRE_FIXED32 = 5,
} pb_wire_type;

/* A cursor over bytes being read. */
typedef struct pb_reader {
    const uint8_t *p, *end;
} pb_reader;

bool pb_read_varint(pb_reader *r, uint64_t *out);
bool pb_read_fixed32(pb_reader *r, uint32_t *out);
bool pb_read_fixed64(pb_reader *r, uint64_t *out);
/* A tag: field number >= 1 and a wire type 0..5; false on garbage or truncation. */
bool pb_read_tag(pb_reader *r, uint32_t *field, pb_wire_type *wt);
/* The payload of a length-delimited record; `*data` points into the reader's bytes. */
bool pb_read_len(pb_reader *r, const uint8_t **data, size_t *len);
/* Skips the value of a record of wire type `wt` whose tag was just read
 * (groups are skipped whole, `depth` levels at most). */
bool pb_skip_value(pb_reader *r, uint32_t field, pb_wire_type wt, int depth);

static inline uint64_t pb_zigzag_encode(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t pb_zigzag_decode(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A growable byte buffer. The buffer owns `data` (malloc'd); release it with
 * pb_buf_free() or take it over and free() it yourself. Out of memory aborts. */
typedef struct pb_buf {
    uint8_t *data;
    size_t len, cap;
} pb_buf;

void pb_buf_free(pb_buf *b);
/* Makes room for `n` more bytes and returns where they go (len is not changed). */
uint8_t *pb_buf_reserve(pb_buf *b, size_t n);
void pb_buf_append(pb_buf *b, const void *data, size_t n);
void pb_write_varint(pb_buf *b, uint64_t v);
void pb_write_fixed32(pb_buf *b, uint32_t v);
void pb_write_fixed64(pb_buf *b, uint64_t v);
void pb_write_tag(pb_buf *b, uint32_t field, pb_wire_type wt);
/* A whole length-delimited field: tag, length, bytes (a string, bytes, or an
 * already encoded message, such as the value of an Any). */
void pb_write_len_field(pb_buf *b, uint32_t field, const void *data, size_t len);
/* Bytes a varint of v takes (1..10). */
size_t pb_varint_size(uint64_t v);

/* Length-delimited records whose length is known only once written: begin
 * reserves a one-byte length and returns the mark; end writes the real length,
 * moving the payload when it needs more bytes. */
size_t pb_len_begin(pb_buf *b);
void pb_len_end(pb_buf *b, size_t mark);

#endif
