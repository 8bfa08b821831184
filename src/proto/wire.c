#include "proto/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pb_read_varint(pb_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return false;
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false; /* more than 10 bytes */
}

bool pb_read_fixed32(pb_reader *r, uint32_t *out)
{
    if (r->end - r->p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | r->p[i];
    r->p += 4;
    *out = v;
    return true;
}

bool pb_read_fixed64(pb_reader *r, uint64_t *out)
{
    if (r->end - r->p < 8)
        return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | r->p[i];
    r->p += 8;
    *out = v;
    return true;
}

bool pb_read_tag(pb_reader *r, uint32_t *field, pb_wire_type *wt)
{
    uint64_t tag;
    if (!pb_read_varint(r, &tag) || tag > UINT32_MAX)
        return false;
    *field = (uint32_t)(tag >> 3);
    *wt = (pb_wire_type)(tag & 7);
    return *field >= 1 && *wt <= PB_WIRE_FIXED32;
}

bool pb_read_len(pb_reader *r, const uint8_t **data, size_t *len)
{
    uint64_t n;
    if (!pb_read_varint(r, &n) || n > (uint64_t)(r->end - r->p))
        return false;
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return true;
}

bool pb_skip_value(pb_reader *r, uint32_t field, pb_wire_type wt, int depth)
{
    uint64_t v;
    uint32_t v32;
    const uint8_t *data;
    size_t len;
    switch (wt) {
    case PB_WIRE_VARINT:
        return pb_read_varint(r, &v);
    case PB_WIRE_FIXED64:
        return pb_read_fixed64(r, &v);
    case PB_WIRE_FIXED32:
        return pb_read_fixed32(r, &v32);
    case PB_WIRE_LEN:
        return pb_read_len(r, &data, &len);
    case PB_WIRE_SGROUP:
        if (depth <= 0)
            return false;
        for (;;) {
            uint32_t f;
            pb_wire_type t;
            if (!pb_read_tag(r, &f, &t))
                return false;
            if (t == PB_WIRE_EGROUP)
                return f == field;
            if (!pb_skip_value(r, f, t, depth - 1))
                return false;
        }
    case PB_WIRE_EGROUP:
        return false;
    }
    return false;
}

void pb_buf_free(pb_buf *b)
{
    free(b->data);
    *b = (pb_buf){0};
}

uint8_t *pb_buf_reserve(pb_buf *b, size_t n)
{
    if (!b->data || b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            fprintf(stderr, "out of memory growing a protobuf buffer to %zu bytes\n", cap);
            abort();
        }
        b->data = d;
        b->cap = cap;
    }
    return b->data + b->len;
}

void pb_buf_append(pb_buf *b, const void *data, size_t n)
{
    if (n == 0)
        return;
    memcpy(pb_buf_reserve(b, n), data, n);
    b->len += n;
}

void pb_write_varint(pb_buf *b, uint64_t v)
{
    uint8_t *p = pb_buf_reserve(b, 10), *start = p;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    b->len += (size_t)(p - start);
}

void pb_write_fixed32(pb_buf *b, uint32_t v)
{
    uint8_t *p = pb_buf_reserve(b, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->len += 4;
}

void pb_write_fixed64(pb_buf *b, uint64_t v)
{
    uint8_t *p = pb_buf_reserve(b, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->len += 8;
}

void pb_write_tag(pb_buf *b, uint32_t field, pb_wire_type wt)
{
    pb_write_varint(b, ((uint64_t)field << 3) | (uint64_t)wt);
}

void pb_write_len_field(pb_buf *b, uint32_t field, const void *data, size_t len)
{
    pb_write_tag(b, field, PB_WIRE_LEN);
    pb_write_varint(b, len);
    pb_buf_append(b, data, len);
}

size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t pb_len_begin(pb_buf *b)
{
    pb_buf_reserve(b, 1);
    b->data[b->len++] = 0;
    return b->len;
}

void pb_len_end(pb_buf *b, size_t mark)
{
    size_t len = b->len - mark;
    size_t extra = pb_varint_size(len) - 1;
    if (extra) {
        pb_buf_reserve(b, extra);
        memmove(b->data + mark + extra, b->data + mark, len);
        b->len += extra;
    }
    uint8_t *p = b->data + mark - 1;
    uint64_t v = len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}
