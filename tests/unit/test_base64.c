/* Unit tests for base64 (src/core/base64.c): RFC 4648 test vectors both
 * ways, the URL-safe alphabet, whitespace, and malformed text refused. */
#include <string.h>

#include "check.h"
#include "core/base64.h"

static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static const char *decoded(const char *text)
{
    static unsigned char out[256];
    size_t len = 0;
    if (!base64_decode(text, strlen(text), out, &len))
        return NULL;
    out[len] = '\0';
    return (const char *)out;
}

static void test_vectors(void)
{
    char out[64];
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        CHECK_INT(base64_encode(out, plain[i], strlen(plain[i])), strlen(coded[i]));
        CHECK_STR(out, coded[i]);
        CHECK_STR(decoded(coded[i]), plain[i]);
    }
    CHECK_INT(BASE64_ENCODED_LEN(4), 8);
}

static void test_lenient_forms(void)
{
    CHECK_STR(decoded("Zm9v\nYmFy\n"), "foobar");
    CHECK_STR(decoded("Zm9vYg"), "foob"); /* padding left out */
    unsigned char out[8];
    size_t len = 0;
    CHECK(base64_decode("-_8=", 4, out, &len)); /* URL-safe digits */
    CHECK_INT(len, 2);
    CHECK_INT(out[0], 0xfb);
    CHECK_INT(out[1], 0xff);
    static const unsigned char bin[] = {0xfb, 0xff, 0x00, 0x10};
    char text[16];
    base64_encode(text, bin, sizeof bin);
    CHECK(base64_decode(text, strlen(text), out, &len));
    CHECK_INT(len, 4);
    CHECK(memcmp(out, bin, 4) == 0);
}

static void test_malformed(void)
{
    CHECK(decoded("Zm9v!") == NULL);
    CHECK(decoded("Zg==Zg==") == NULL); /* data after padding */
    CHECK(decoded("Z") == NULL);        /* 6 bits are not a byte */
    CHECK(decoded("Zg===") == NULL);
}

int main(void)
{
    test_vectors();
    test_lenient_forms();
    test_malformed();
    return check_summary("test_base64");
}
