/* The tables tools/gen_crd_validation.py generates from the CRDs' OpenAPI
 * schemas at build time (build/src/validate/crd_tables.c), read by
 * crd_validate.c. Nodes, properties, strings, rules and expressions refer to
 * each other by index into these arrays; -1 is none. Private to src/validate. */
#ifndef EG_VALIDATE_CRD_TABLES_H
#define EG_VALIDATE_CRD_TABLES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum crd_type {
    CRD_ANY,
    CRD_OBJECT,
    CRD_ARRAY,
    CRD_STRING,
    CRD_INTEGER,
    CRD_NUMBER,
    CRD_BOOLEAN,
    CRD_INT_OR_STRING,
} crd_type;

/* One schema (identical subtrees share one node). */
typedef struct crd_node {
    crd_type type;
    int props, n_props;       /* crd_props, sorted by name */
    int required, n_required; /* crd_strs */
    int enum_values, n_enum;  /* crd_strs */
    int items;                /* array element schema */
    int additional;           /* additionalProperties schema */
    const char *pattern, *format;
    int min_length, max_length, min_items, max_items, min_props, max_props; /* -1: none */
    bool has_minimum, has_maximum;
    double minimum, maximum;
    bool exclusive_minimum, exclusive_maximum, nullable, preserve_unknown;
    int rules, n_rules;        /* crd_rules */
    const char *default_value; /* JSON text, or NULL */
} crd_node;

typedef struct crd_prop {
    const char *name;
    int node;
} crd_prop;

typedef struct crd_root {
    const char *group, *version, *kind;
    int node;
} crd_root;

/* A CEL rule of x-kubernetes-validations, parsed into crd_exprs. */
typedef struct crd_rule {
    int expr;
    const char *message; /* the CRD's own, or NULL */
    const char *rule;    /* the source text */
    const char *field_path;
} crd_rule;

typedef enum cel_op {
    CEL_INT,    /* i */
    CEL_DOUBLE, /* d */
    CEL_STRING, /* s */
    CEL_BOOL,   /* i */
    CEL_NULL,
    CEL_IDENT,  /* s: self or a macro's variable */
    CEL_LIST,   /* a: first CEL_ARG, i: count */
    CEL_SELECT, /* a.s */
    CEL_HAS,    /* has(a.s) */
    CEL_INDEX,  /* a[b] */
    CEL_NOT,
    CEL_NEG,
    CEL_BINARY, /* a s b */
    CEL_COND,   /* a ? b : c */
    CEL_CALL,   /* s(args) or a.s(args): a receiver or -1, b first CEL_ARG, i count */
    CEL_MACRO,  /* a.s(v, b) */
    CEL_ARG,    /* a: the argument's expression */
} cel_op;

typedef struct cel_node {
    cel_op op;
    int a, b, c;
    const char *s, *v;
    long long i;
    double d;
} cel_node;

extern const size_t crd_n_roots, crd_n_rules, crd_n_rules_skipped;
extern const crd_root crd_roots[];
extern const crd_node crd_nodes[];
extern const crd_prop crd_props[];
extern const char *const crd_strs[];
extern const crd_rule crd_rules[];
extern const cel_node crd_exprs[];

#endif
