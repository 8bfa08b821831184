/* Base64 (RFC 4648): the one encoder and decoder of the project. Secrets
 * and ConfigMaps carry it, Go's JSON prints []byte in it, proto3 JSON
 * writes bytes fields in it and kubeconfigs embed certificates in it. */
#ifndef EG_CORE_BASE64_H
#define EG_CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Characters base64_encode writes for n bytes (padding included, no NUL). */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)
/* Bytes base64_decode may write for a text of n characters. */
#define BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/* Writes the standard alphabet with '=' padding, then a NUL: `out` holds
 * BASE64_ENCODED_LEN(n) + 1 bytes. Returns the length written. */
size_t base64_encode(char *out, const void *data, size_t n);

/* Decodes n characters of `text` into `out` (BASE64_DECODED_MAX(n) bytes)
 * and sets *out_len. Takes the standard and the URL-safe alphabet, skips
 * ASCII whitespace, and accepts missing padding; false when a character is
 * not base64, padding is followed by data, or a single character is left
 * over (not a whole byte). */
bool base64_decode(const char *text, size_t n, unsigned char *out, size_t *out_len);

#endif
