/* The file provider (see fprov.h). Every fs event on a watched directory
 * restarts the debounce timer; when it fires, every path is rescanned and
 * each file whose text differs from its version in force is validated on its
 * own before it replaces that version. */
#define _GNU_SOURCE
#include "provider/file/fprov.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/document.h"
#include "server/log.h"

typedef struct fprov_file {
    char *path;
    char *text; /* last good text, or NULL when it never loaded */
    size_t len;
    api_document_list docs; /* the last good text, parsed once */
    char *error;            /* the last read's first error, or NULL */
    bool seen;              /* found by the current scan */
} fprov_file;

struct fprov {
    uv_loop_t *loop;
    char **paths;
    size_t n_paths;
    unsigned debounce_ms;
    fprov_change_cb cb;
    void *cb_arg;
    fprov_file *files; /* sorted by path */
    size_t n_files, cap_files;
    uv_fs_event_t *watchers;
    size_t n_watchers;
    uv_timer_t timer;
    int handles;
    char *config; /* EnvoyGateway document: which extension kinds files may hold */
};

static bool has_resource_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot &&
           (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

/* Parses a file's text into `docs` and decodes every document on its own:
 * 0 when all decode. The documents are kept, so a re-translation after
 * another file changed decodes them without parsing the YAML again. */
static int text_parse(const char *config, const char *text, size_t len, const char *source,
                      api_document_list *docs, diag_list *diags)
{
    int failed = api_documents_parse(text, len, source, docs, diags) < 0;
    api_resources *r = api_resources_new();
    if (config) {
        diag_list ignored = {0};
        api_resources_load(r, config, strlen(config), "config", &ignored);
        diag_list_clear(&ignored);
    }
    for (size_t i = 0; i < docs->n; i++)
        if (api_resources_add(r, docs->items[i].root, source, docs->items[i].index, diags) != 0)
            failed++;
    api_resources_free(r);
    return failed == 0 ? 0 : -1;
}

int fprov_text_check(const char *text, size_t len, const char *source, diag_list *diags)
{
    api_document_list docs = {0};
    int rc = text_parse(NULL, text, len, source, &docs, diags);
    api_document_list_clear(&docs);
    return rc;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            if (!buf)
                abort();
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* ---- the file table ---- */

static fprov_file *files_find(fprov *p, const char *path, bool create)
{
    size_t lo = 0, hi = p->n_files;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(p->files[mid].path, path);
        if (r == 0)
            return &p->files[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!create)
        return NULL;
    if (p->n_files == p->cap_files) {
        p->cap_files = p->cap_files ? p->cap_files * 2 : 16;
        p->files = realloc(p->files, p->cap_files * sizeof *p->files);
        if (!p->files)
            abort();
    }
    memmove(&p->files[lo + 1], &p->files[lo], (p->n_files - lo) * sizeof *p->files);
    p->n_files++;
    memset(&p->files[lo], 0, sizeof p->files[lo]);
    p->files[lo].path = strdup(path);
    return &p->files[lo];
}

static void file_set_error(fprov_file *f, const diag_list *diags, const char *fallback)
{
    free(f->error);
    f->error = NULL;
    for (size_t i = 0; i < diags->n && !f->error; i++)
        if (diags->items[i].severity == DIAG_ERROR)
            f->error = diag_format(&diags->items[i]);
    if (!f->error)
        f->error = strdup(fallback);
}

static void log_diags(const char *path, const diag_list *diags, bool kept)
{
    for (size_t i = 0; i < diags->n; i++) {
        char *line = diag_format(&diags->items[i]);
        bool err = diags->items[i].severity == DIAG_ERROR;
        srv_log(err ? SRV_LOG_ERROR : SRV_LOG_WARN, "file", "%s: %s%s", path, line,
                err ? (kept ? "; its last good version stays in force"
                            : "; the file is not loaded until it is fixed")
                    : "");
        free(line);
    }
}

/* Reads one file; returns true when its good text changed. */
static bool file_refresh(fprov *p, const char *path)
{
    fprov_file *f = files_find(p, path, true);
    f->seen = true;
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text) {
        srv_log(SRV_LOG_ERROR, "file", "%s: cannot read: %s", path, strerror(errno));
        return false;
    }
    if (f->text && f->len == len && memcmp(f->text, text, len) == 0) {
        free(text);
        if (f->error) {
            free(f->error);
            f->error = NULL;
        }
        return false;
    }
    diag_list diags = {0};
    api_document_list docs = {0};
    if (text_parse(p->config, text, len, path, &docs, &diags) < 0) {
        log_diags(path, &diags, f->text != NULL);
        file_set_error(f, &diags, "does not parse");
        diag_list_clear(&diags);
        api_document_list_clear(&docs);
        free(text);
        return false;
    }
    log_diags(path, &diags, false);
    diag_list_clear(&diags);
    api_document_list_clear(&f->docs);
    f->docs = docs;
    free(f->text);
    free(f->error);
    f->error = NULL;
    f->text = text;
    f->len = len;
    srv_log(SRV_LOG_INFO, "file", "%s: loaded", path);
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool scan_dir(fprov *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        srv_log(SRV_LOG_ERROR, "file", "%s: cannot open directory: %s", dir, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_resource_ext(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                abort();
        }
        if (asprintf(&names[n++], "%s/%s", dir, e->d_name) < 0)
            abort();
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            changed |= file_refresh(p, names[i]);
        free(names[i]);
    }
    free(names);
    return changed;
}

static void file_free(fprov_file *f)
{
    free(f->path);
    api_document_list_clear(&f->docs);
    free(f->text);
    free(f->error);
}

/* Forgets files the scan did not find; returns true when one was in force. */
static bool files_drop_unseen(fprov *p)
{
    bool changed = false;
    size_t w = 0;
    for (size_t i = 0; i < p->n_files; i++) {
        if (p->files[i].seen) {
            p->files[w++] = p->files[i];
            continue;
        }
        if (p->files[i].text) {
            srv_log(SRV_LOG_INFO, "file", "%s: removed", p->files[i].path);
            changed = true;
        }
        file_free(&p->files[i]);
    }
    p->n_files = w;
    return changed;
}

static bool fprov_scan(fprov *p)
{
    for (size_t i = 0; i < p->n_files; i++)
        p->files[i].seen = false;
    bool changed = false;
    for (size_t i = 0; i < p->n_paths; i++) {
        struct stat st;
        if (stat(p->paths[i], &st) < 0) {
            srv_log(SRV_LOG_WARN, "file", "%s: %s", p->paths[i], strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode))
            changed |= scan_dir(p, p->paths[i]);
        else
            changed |= file_refresh(p, p->paths[i]);
    }
    changed |= files_drop_unseen(p);
    return changed;
}

/* ---- watching ---- */

static void on_debounced(uv_timer_t *t)
{
    fprov *p = t->data;
    bool changed = fprov_scan(p);
    if (p->cb)
        p->cb(p->cb_arg, p, changed);
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    fprov *p = h->data;
    if (filename && filename[0] == '.')
        return; /* editors' swap files and our own temporaries */
    uv_timer_start(&p->timer, on_debounced, p->debounce_ms, 0);
}

static void watch_path(fprov *p, const char *path)
{
    struct stat st;
    char *dir = strdup(path);
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        /* Watch a file's directory: editors replace files by renaming. */
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir)
            *slash = 0;
        else
            strcpy(dir, slash ? "/" : ".");
    }
    uv_fs_event_t *w = &p->watchers[p->n_watchers];
    uv_fs_event_init(p->loop, w);
    w->data = p;
    p->handles++;
    p->n_watchers++;
    int r = uv_fs_event_start(w, on_fs_event, dir, 0);
    if (r < 0)
        srv_log(SRV_LOG_ERROR, "file", "%s: cannot watch: %s", dir, uv_strerror(r));
    free(dir);
}

fprov *fprov_new(uv_loop_t *loop, const char *const *paths, size_t n_paths, unsigned debounce_ms,
                 fprov_change_cb cb, void *arg)
{
    fprov *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->loop = loop;
    p->paths = calloc(n_paths ? n_paths : 1, sizeof *p->paths);
    p->watchers = calloc(n_paths ? n_paths : 1, sizeof *p->watchers);
    if (!p->paths || !p->watchers)
        abort();
    for (size_t i = 0; i < n_paths; i++) {
        p->paths[i] = strdup(paths[i]);
        size_t l = strlen(p->paths[i]);
        while (l > 1 && p->paths[i][l - 1] == '/')
            p->paths[i][--l] = 0;
    }
    p->n_paths = n_paths;
    p->debounce_ms = debounce_ms;
    p->cb = cb;
    p->cb_arg = arg;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->handles = 1;
    return p;
}

void fprov_start(fprov *p)
{
    fprov_scan(p);
    for (size_t i = 0; i < p->n_paths; i++)
        watch_path(p, p->paths[i]);
}

static void on_closed(uv_handle_t *h)
{
    fprov *p = h->data;
    if (--p->handles > 0)
        return;
    for (size_t i = 0; i < p->n_files; i++)
        file_free(&p->files[i]);
    free(p->files);
    for (size_t i = 0; i < p->n_paths; i++)
        free(p->paths[i]);
    free(p->paths);
    free(p->config);
    free(p->watchers);
    free(p);
}

void fprov_set_config(fprov *p, const char *eg_config)
{
    free(p->config);
    p->config = eg_config ? strdup(eg_config) : NULL;
}

void fprov_close(fprov *p)
{
    for (size_t i = 0; i < p->n_watchers; i++)
        uv_close((uv_handle_t *)&p->watchers[i], on_closed);
    uv_close((uv_handle_t *)&p->timer, on_closed);
}

void fprov_resources_add(const fprov *p, api_resources *r, diag_list *diags)
{
    for (size_t i = 0; i < p->n_files; i++) {
        const fprov_file *f = &p->files[i];
        for (size_t j = 0; f->text && j < f->docs.n; j++)
            api_resources_add(r, f->docs.items[j].root, f->path, f->docs.items[j].index, diags);
    }
    api_resources_add_missing_namespaces(r, NULL, diags);
}

size_t fprov_file_count(const fprov *p)
{
    return p->n_files;
}

const char *fprov_file_at(const fprov *p, size_t i, bool *good, const char **error)
{
    if (good)
        *good = p->files[i].text != NULL;
    if (error)
        *error = p->files[i].error;
    return p->files[i].path;
}
