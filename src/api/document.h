/* Documents: text (YAML streams or JSON) into generic JSON trees.
 *
 * A YAML stream may hold many documents separated by "---"; a JSON text holds
 * one value. A document that is a `List` (kind ending in "List" with
 * `items`) is expanded into its items. Empty documents are skipped. The trees
 * are jansson values owned by the returned list. */
#ifndef EG_API_DOCUMENT_H
#define EG_API_DOCUMENT_H

#include <jansson.h>
#include <stddef.h>

#include "core/diag.h"

typedef struct api_document {
    json_t *root;
    int index; /* 1-based position in the stream */
    int line;  /* 1-based line where it starts */
} api_document;

typedef struct api_document_list {
    api_document *items;
    size_t n, cap;
} api_document_list;

/* Limits that keep hostile input from exhausting memory or stack. */
enum {
    API_MAX_DEPTH = 100,           /* nesting of mappings and sequences */
    API_MAX_ALIASES = 10000,       /* alias references per stream */
    API_MAX_ALIAS_NODES = 1000000, /* nodes copied by aliases per stream */
    API_MAX_INPUT = 256 << 20,     /* bytes */
    API_MAX_DOCUMENT = 64 << 20    /* bytes of one document */
};

/* Parses `text` (len bytes). `source` names it in diagnostics ("file.yaml").
 * Appends the documents to `out`; returns 0, or -1 after adding an error to
 * `diags` (documents parsed before the error stay in `out`). */
int api_documents_parse(const char *text, size_t len, const char *source, api_document_list *out,
                        diag_list *diags);
/* The same with other limits (bytes; 0: none): the whole input, and each
 * document of it; a larger one is an error naming the document. */
int api_documents_parse_limited(const char *text, size_t len, const char *source, size_t max_input,
                                size_t max_document, api_document_list *out, diag_list *diags);
void api_document_list_clear(api_document_list *l);

#endif
