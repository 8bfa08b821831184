/* Prometheus metrics (see metrics.h). */
#define _GNU_SOURCE
#include "server/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM } metric_kind;

static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
enum { N_BUCKETS = sizeof buckets / sizeof *buckets };

typedef struct series {
    char *labels; /* rendered: k="v",k2="v2" (may be "") */
    double value; /* counter, gauge; histogram sum */
    unsigned long long count, bucket[N_BUCKETS];
} series;

typedef struct family {
    char *name, *help;
    metric_kind kind;
    series *items;
    size_t n, cap;
} family;

struct srv_metrics {
    family *items;
    size_t n, cap;
};

srv_metrics *srv_metrics_new(void)
{
    srv_metrics *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    return m;
}

static void family_clear(family *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->items[i].labels);
    free(f->items);
    f->items = NULL;
    f->n = f->cap = 0;
}

void srv_metrics_free(srv_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        family_clear(&m->items[i]);
        free(m->items[i].name);
        free(m->items[i].help);
    }
    free(m->items);
    free(m);
}

static family *family_get(srv_metrics *m, const char *name, const char *help, metric_kind kind)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].name, name) == 0)
            return &m->items[i];
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->items = realloc(m->items, m->cap * sizeof *m->items);
        if (!m->items)
            abort();
    }
    family *f = &m->items[m->n++];
    *f = (family){.name = strdup(name), .help = strdup(help ? help : ""), .kind = kind};
    return f;
}

/* k="v" pairs with the value escaped as the text format wants. */
static char *labels_render(va_list ap)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        abort();
    const char *k;
    bool first = true;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        fprintf(f, "%s%s=\"", first ? "" : ",", k);
        for (const char *c = v ? v : ""; *c; c++) {
            if (*c == '\\' || *c == '"')
                fputc('\\', f);
            if (*c == '\n')
                fputs("\\n", f);
            else
                fputc(*c, f);
        }
        fputc('"', f);
        first = false;
    }
    fclose(f);
    return out;
}

static series *series_get(family *f, char *labels)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->items[i].labels, labels) == 0) {
            free(labels);
            return &f->items[i];
        }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = realloc(f->items, f->cap * sizeof *f->items);
        if (!f->items)
            abort();
    }
    series *s = &f->items[f->n++];
    *s = (series){.labels = labels};
    return s;
}

void srv_metrics_count(srv_metrics *m, const char *name, const char *help, double add, ...)
{
    va_list ap;
    va_start(ap, add);
    series *s = series_get(family_get(m, name, help, M_COUNTER), labels_render(ap));
    va_end(ap);
    s->value += add;
}

void srv_metrics_gauge(srv_metrics *m, const char *name, const char *help, double value, ...)
{
    va_list ap;
    va_start(ap, value);
    series *s = series_get(family_get(m, name, help, M_GAUGE), labels_render(ap));
    va_end(ap);
    s->value = value;
}

void srv_metrics_observe(srv_metrics *m, const char *name, const char *help, double seconds, ...)
{
    va_list ap;
    va_start(ap, seconds);
    series *s = series_get(family_get(m, name, help, M_HISTOGRAM), labels_render(ap));
    va_end(ap);
    s->value += seconds;
    s->count++;
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (seconds <= buckets[i])
            s->bucket[i]++;
}

void srv_metrics_gauge_reset(srv_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].name, name) == 0)
            family_clear(&m->items[i]);
}

static void labels_with(FILE *f, const char *labels, const char *extra)
{
    bool any = labels && *labels;
    if (!any && !extra)
        return;
    fprintf(f, "{%s%s%s}", any ? labels : "", any && extra ? "," : "", extra ? extra : "");
}

char *srv_metrics_render(const srv_metrics *m)
{
    static const char *const kinds[] = {"counter", "gauge", "histogram"};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        abort();
    for (size_t i = 0; i < m->n; i++) {
        const family *fam = &m->items[i];
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
                kinds[fam->kind]);
        for (size_t k = 0; k < fam->n; k++) {
            const series *s = &fam->items[k];
            if (fam->kind != M_HISTOGRAM) {
                fputs(fam->name, f);
                labels_with(f, s->labels, NULL);
                fprintf(f, " %.17g\n", s->value);
                continue;
            }
            for (size_t b = 0; b <= N_BUCKETS; b++) {
                char le[48];
                if (b < N_BUCKETS)
                    snprintf(le, sizeof le, "le=\"%g\"", buckets[b]);
                else
                    snprintf(le, sizeof le, "le=\"+Inf\"");
                fprintf(f, "%s_bucket", fam->name);
                labels_with(f, s->labels, le);
                fprintf(f, " %llu\n", b < N_BUCKETS ? s->bucket[b] : s->count);
            }
            fprintf(f, "%s_sum", fam->name);
            labels_with(f, s->labels, NULL);
            fprintf(f, " %.17g\n%s_count", s->value, fam->name);
            labels_with(f, s->labels, NULL);
            fprintf(f, " %llu\n", s->count);
        }
    }
    fclose(f);
    return out;
}
