/* Test certificates for the gateway stage's unit tests: a self-signed P-256
 * certificate for foo.example.com (SANs foo.example.com and *.example.com,
 * valid for 100 years from 2026) with its key, and an unrelated P-256 key. Generated for
 * these tests with openssl; each line is indented 8 spaces to sit inside a
 * YAML block scalar ("tls.crt: |"). */
#ifndef EG_TESTS_GW_GATEWAY_CERTS_H
#define EG_TESTS_GW_GATEWAY_CERTS_H

#define TEST_CERT_PEM                                                                              \
    "        -----BEGIN CERTIFICATE-----\n"                                                        \
    "        MIIBtjCCAVygAwIBAgIUFULYicJfZYH4Xyh9xGIHN4H5v84wCgYIKoZIzj0EAwIw\n"                   \
    "        GjEYMBYGA1UEAwwPZm9vLmV4YW1wbGUuY29tMCAXDTI2MTEyNzA1MzQ0NVoYDzIx\n"                   \
    "        MjYxMTAzMDUzNDQ1WjAaMRgwFgYDVQQDDA9mb28uZXhhbXBsZS5jb20wWTATBgcq\n"                   \
    "        hkjOPQIBBggqhkjOPQMBBwNCAAR+yfBu7GcUm0tH0ywlkYNltTTdEIaP0xJrpvhJ\n"                   \
    "        4KClvCs+Gwo3sWD3k46DLn4Hb/zORvFDoltnSwxMSrYPSXsRo34wfDAdBgNVHQ4E\n"                   \
    "        FgQUhA0LIJlaRZAZhIqyFdBToSoGLVkwHwYDVR0jBBgwFoAUhA0LIJlaRZAZhIqy\n"                   \
    "        FdBToSoGLVkwDwYDVR0TAQH/BAUwAwEB/zApBgNVHREEIjAggg9mb28uZXhhbXBs\n"                   \
    "        ZS5jb22CDSouZXhhbXBsZS5jb20wCgYIKoZIzj0EAwIDSAAwRQIgEVdcZqo0nUd/\n"                   \
    "        rhQvlg0QbuUE8IAuMBpOotvq7y1s/jUCIQCZbYASzBA9fFbr2Fk2EmttVJ2PuQXS\n"                   \
    "        Kr3WZwfeiF7Ckg==\n"                                                                   \
    "        -----END CERTIFICATE-----\n"

#define TEST_KEY_PEM                                                                               \
    "        -----BEGIN PRIVATE KEY-----\n"                                                        \
    "        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRauRq64xVlfOkyHv\n"                   \
    "        MejsfJb9/yIzjLiVtetUru35ukChRANCAAR+yfBu7GcUm0tH0ywlkYNltTTdEIaP\n"                   \
    "        0xJrpvhJ4KClvCs+Gwo3sWD3k46DLn4Hb/zORvFDoltnSwxMSrYPSXsR\n"                           \
    "        -----END PRIVATE KEY-----\n"

#define TEST_OTHER_KEY_PEM                                                                         \
    "        -----BEGIN EC PRIVATE KEY-----\n"                                                     \
    "        MHcCAQEEIKI4OPcGKDDDlMgS8Dksrs+XY5CgZhHnKkG+UPHHVHthoAoGCCqGSM49\n"                   \
    "        AwEHoUQDQgAEA6ldBeqK18kKDjohkhVST7P5t5M6iXrk9LiySY/UQWJG0y3Uv9to\n"                   \
    "        OyCoV75PyYnZyQSCxgFZtzI91xPMix6dog==\n"                                               \
    "        -----END EC PRIVATE KEY-----\n"

#endif
