/* Redaction of sensitive fields (see redact.h). The walk is by JSON field
 * name: the names below hold secrets wherever they appear in Envoy's API
 * (transport socket secrets, and the typed configs of the basic auth, API key,
 * HMAC and OAuth2 filters nested in listeners and routes). */
#define _GNU_SOURCE
#include "server/redact.h"
#include "core/base64.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields whose whole value is secret: a DataSource, a string, or a list of them. */
static const char *const sensitive_fields[] = {
    "privateKey",   /* TlsCertificate */
    "password",     /* TlsCertificate (PKCS#12 / key password) */
    "pkcs12",       /* TlsCertificate: certificate and key in one blob */
    "secret",       /* GenericSecret (OAuth2 client and HMAC secrets) */
    "keys",         /* TlsSessionTicketKeys */
    "users",        /* basic_auth htpasswd */
    "hmacSecret",   /* HMAC keys */
    "clientSecret", /* OAuth2 client secrets given inline */
    "key",          /* api_key_auth credentials[].key (only under "credentials") */
};

static bool field_is_sensitive(const char *key, const char *parent)
{
    for (size_t i = 0; i < sizeof sensitive_fields / sizeof sensitive_fields[0]; i++) {
        if (strcmp(key, sensitive_fields[i]) != 0)
            continue;
        /* "key" and "keys" are too common to redact everywhere. */
        if (strcmp(key, "key") == 0)
            return parent && strcmp(parent, "credentials") == 0;
        if (strcmp(key, "keys") == 0)
            return parent && strcmp(parent, "sessionTicketKeys") == 0;
        return true;
    }
    return false;
}

/* A sensitive value: DataSource objects keep their shape (a file name is not
 * the secret), inline contents and plain strings become "[redacted]". */
static int redact_value(json_t *v)
{
    int n = 0;
    if (json_is_string(v)) {
        json_string_set(v, SRV_REDACTED);
        return 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (json_is_string(e)) {
                json_array_set_new(v, i, json_string(SRV_REDACTED));
                n++;
            } else {
                n += redact_value(e);
            }
        }
        return n;
    }
    if (json_is_object(v)) {
        static const char *const inline_fields[] = {"inlineString", "inlineBytes",
                                                    "environmentVariable"};
        bool any = false;
        for (size_t i = 0; i < 3; i++) {
            if (json_object_get(v, inline_fields[i])) {
                json_object_del(v, inline_fields[i]);
                any = true;
            }
        }
        if (any) {
            json_object_set_new(v, "inlineString", json_string(SRV_REDACTED));
            return 1;
        }
        /* Not a DataSource (e.g. a session ticket key list entry): everything in it. */
        const char *k;
        json_t *e;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, e)
        {
            if (json_is_string(e)) {
                json_object_set_new(v, k, json_string(SRV_REDACTED));
                n++;
            } else if (!json_is_boolean(e) && !json_is_number(e)) {
                n += redact_value(e);
            }
        }
    }
    return n;
}

static int redact_walk(json_t *v, const char *parent)
{
    int n = 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) n += redact_walk(e, parent);
        return n;
    }
    if (!json_is_object(v))
        return 0;
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e)
    {
        if (field_is_sensitive(k, parent))
            n += redact_value(e);
        else
            n += redact_walk(e, k);
    }
    return n;
}

int srv_redact(json_t *resource)
{
    return resource ? redact_walk(resource, NULL) : 0;
}

/* ---- certificate summaries ---- */

static char *asn1_time_iso(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return NULL;
    char *out = NULL;
    if (asprintf(&out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) < 0)
        return NULL;
    return out;
}

static json_t *cert_sans(X509 *x)
{
    json_t *arr = json_array();
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        char buf[128];
        if (g->type == GEN_DNS || g->type == GEN_URI || g->type == GEN_EMAIL) {
            const ASN1_IA5STRING *s = g->d.ia5;
            snprintf(buf, sizeof buf, "%s:%.*s",
                     g->type == GEN_DNS   ? "DNS"
                     : g->type == GEN_URI ? "URI"
                                          : "email",
                     s->length, (const char *)s->data);
            json_array_append_new(arr, json_string(buf));
        } else if (g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = g->d.ip;
            if (ip->length == 4)
                snprintf(buf, sizeof buf, "IP:%d.%d.%d.%d", ip->data[0], ip->data[1], ip->data[2],
                         ip->data[3]);
            else
                snprintf(buf, sizeof buf, "IP:(%d bytes)", ip->length);
            json_array_append_new(arr, json_string(buf));
        }
    }
    GENERAL_NAMES_free(names);
    return arr;
}

static json_t *cert_summary(X509 *x)
{
    char *subject = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
    char *data;
    long len = BIO_get_mem_data(b, &data);
    subject = strndup(data, (size_t)len);
    BIO_free(b);
    char *nb = asn1_time_iso(X509_get0_notBefore(x));
    char *na = asn1_time_iso(X509_get0_notAfter(x));
    json_t *o = json_pack("{s:s?,s:o,s:s?,s:s?}", "subject", subject, "sans", cert_sans(x),
                          "notBefore", nb, "notAfter", na);
    free(subject);
    free(nb);
    free(na);
    return o;
}

static unsigned char *bytes_decode(const char *in, size_t *out_len)
{
    size_t n = strlen(in);
    unsigned char *out = malloc(BASE64_DECODED_MAX(n));
    if (!out)
        abort();
    if (!base64_decode(in, n, out, out_len)) {
        free(out);
        return NULL;
    }
    return out;
}

json_t *srv_secret_certificate_info(const json_t *secret)
{
    const json_t *chain =
        json_object_get(json_object_get(secret, "tlsCertificate"), "certificateChain");
    if (!chain)
        return NULL;
    BIO *b = NULL;
    unsigned char *decoded = NULL;
    const char *s;
    if ((s = json_string_value(json_object_get(chain, "inlineString")))) {
        b = BIO_new_mem_buf(s, -1);
    } else if ((s = json_string_value(json_object_get(chain, "inlineBytes")))) {
        size_t len = 0;
        decoded = bytes_decode(s, &len);
        if (decoded)
            b = BIO_new_mem_buf(decoded, (int)len);
    } else if ((s = json_string_value(json_object_get(chain, "filename")))) {
        b = BIO_new_file(s, "r");
    }
    if (!b) {
        free(decoded);
        return NULL;
    }
    json_t *arr = json_array();
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        json_array_append_new(arr, cert_summary(x));
        X509_free(x);
    }
    ERR_clear_error(); /* the read that ended the loop left "no start line" */
    BIO_free(b);
    free(decoded);
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
