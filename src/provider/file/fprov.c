/* The file provider (see fprov.h). Every fs event on a watched directory
 * restarts the debounce timer; when it fires, every path is rescanned and
 * each file whose text differs from its version in force is validated on its
 * own before it replaces that version. */
#define _GNU_SOURCE
#include "provider/file/fprov.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "api/document.h"
#include "server/log.h"
#include "validate/crd_validate.h"

typedef struct fprov_file {
    char *path;
    /* SHA-256 of the last good text (the text itself goes once parsed: at
     * 200,000 routes it is 70 MB), or NULL when it never loaded. */
    unsigned char *text;
    size_t len;
    api_document_list docs; /* the last good text, parsed once */
    char *error;            /* the last read's first error, or NULL */
    bool seen;              /* found by the current scan */
    uint64_t last_write_ms; /* when an fs event last said it was written in place */
    uint64_t missing_since; /* when a scan first missed it (0: present) */
    uint64_t load_seq;      /* order of first load: duplicates across files go to the first */
    char *warning;          /* objects ignored as duplicates of another file's, or NULL */
    char *next_warning;     /* the same from a read while held, applied when the hold ends */
    bool has_next_warning;
} fprov_file;

/* An in-place write noticed while the files were held. */
typedef struct held_write {
    char *path;
    uint64_t at;
} held_write;

/* One configured path and the watches that follow it: `dir` (the directory,
 * or a file's directory) and `parent` (the directory holding it, so that a
 * directory deleted and made again is noticed and watched anew). */
typedef struct fprov_watch {
    struct fprov *p;
    char *dir;
    char *parent;
    char *base; /* dir's name inside parent */
    uv_fs_event_t dir_ev, parent_ev;
    bool dir_armed, parent_armed;
    bool stale; /* the directory itself was deleted, moved or made again */
    dev_t dev;
    ino_t ino; /* of `dir` when its watch was armed */
} fprov_watch;

struct fprov {
    uv_loop_t *loop;
    char **paths;
    size_t n_paths;
    unsigned debounce_ms;
    fprov_change_cb cb;
    void *cb_arg;
    fprov_file *files; /* sorted by path */
    size_t n_files, cap_files;
    fprov_watch *watches; /* one per path */
    bool started;
    unsigned settle_ms;
    size_t max_file_size;
    size_t max_document_size;
    uv_timer_t timer;           /* debounce and settle */
    uv_timer_t poll;            /* re-arms watches, retries failed reads */
    bool retry;                 /* a read failed: scan again on the next poll */
    bool settling;              /* a file is being written: scan again once settled */
    uint64_t loads;             /* files loaded so far (load_seq) */
    bool held;                  /* fprov_hold: a reader borrows the files; scans wait */
    bool deferred;              /* a scan waited for the hold to end */
    void (*offload)(void *arg); /* fprov_set_offload */
    void *offload_arg;
    bool scanned; /* the first scan (which does not wait for files to settle) is done */
    held_write *held_writes;
    size_t n_held_writes;
    int handles;
    char *config; /* EnvoyGateway document: which extension kinds files may hold */
};

static bool has_resource_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot &&
           (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

/* The CRD's OpenAPI and CEL rules (validate/crd_validate.h), as the API
 * server checks them before storing an object; true when the document breaks
 * one (each reported as "<source>: document N: Kind ns/name: path: ..."). */
static bool crd_validate_document(const json_t *doc, const char *source, int index,
                                  diag_list *diags)
{
    const json_t *meta = json_object_get(doc, "metadata");
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    char *where = NULL;
    if (asprintf(&where, "%s: document %d: %s %s%s%s", source, index, kind ? kind : "?",
                 ns ? ns : "", ns ? "/" : "", name ? name : "?") < 0)
        abort();
    size_t errors = crd_validate(doc, where, diags);
    free(where);
    return errors > 0;
}

/* Parses a file's text into `docs` and decodes every document on its own:
 * 0 when all decode. The documents are kept, so a re-translation after
 * another file changed decodes them without parsing the YAML again. */
static int text_parse(const char *config, const char *text, size_t len, const char *source,
                      size_t max_document, api_document_list *docs, diag_list *diags)
{
    int failed = api_documents_parse_limited(text, len, source, 0, max_document, docs, diags) < 0;
    api_resources *r = api_resources_new();
    if (config) {
        diag_list ignored = {0};
        api_resources_load(r, config, strlen(config), "config", &ignored);
        diag_list_clear(&ignored);
    }
    api_resources_set_api_server_rules(r, true); /* refused as an API server would */
    for (size_t i = 0; i < docs->n; i++) {
        const json_t *doc = docs->items[i].root;
        if (api_resources_add(r, (json_t *)doc, source, docs->items[i].index, diags) != 0)
            failed++;
        else if (crd_validate_document(doc, source, docs->items[i].index, diags))
            failed++;
    }
    api_resources_free(r);
    return failed == 0 ? 0 : -1;
}

int fprov_text_check(const char *text, size_t len, const char *source, diag_list *diags)
{
    api_document_list docs = {0};
    int rc = text_parse(NULL, text, len, source, API_MAX_DOCUMENT, &docs, diags);
    api_document_list_clear(&docs);
    return rc;
}

/* Reads a whole file of at most `max` bytes (0: no limit). NULL with errno
 * set when it cannot be read; EFBIG when it is larger. */
static char *read_file(const char *path, size_t max, size_t *len)
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
        if (max && n > max) {
            free(buf);
            fclose(f);
            errno = EFBIG;
            return NULL;
        }
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Milliseconds of a monotonic clock (any thread: scans may run on a worker). */
static uint64_t now_ms(const fprov *p)
{
    (void)p;
    return uv_hrtime() / 1000000;
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

static void file_set_read_error(fprov_file *f, const char *what, int err)
{
    char *msg = NULL;
    if (asprintf(&msg, "%s: %s%s", what, strerror(err),
                 f->text ? "; its last good version stays in force" : "") < 0)
        abort();
    if (!f->error || strcmp(f->error, msg) != 0)
        srv_log(SRV_LOG_ERROR, "file", "%s: %s (retrying)", f->path, msg);
    free(f->error);
    f->error = msg;
}

/* Reads one file; returns true when its good text changed. A file written in
 * place (an fs event said so less than the settle window ago) is left for a
 * later scan, so a truncate followed by a write is never applied half-way. */
static bool file_refresh(fprov *p, const char *path)
{
    fprov_file *f = files_find(p, path, true);
    f->seen = true;
    f->missing_since = 0;
    if (p->settle_ms && f->last_write_ms && now_ms(p) - f->last_write_ms < p->settle_ms) {
        p->settling = true;
        return false;
    }
    size_t len = 0;
    char *text = read_file(path, p->max_file_size, &len);
    if (!text) {
        int err = errno;
        if (err == EFBIG) {
            char *msg = NULL;
            if (asprintf(&msg, "larger than the maximum file size of %zu bytes%s", p->max_file_size,
                         f->text ? "; its last good version stays in force" : "") < 0)
                abort();
            if (!f->error || strcmp(f->error, msg) != 0)
                srv_log(SRV_LOG_ERROR, "file", "%s: %s", path, msg);
            free(f->error);
            f->error = msg;
            return false;
        }
        file_set_read_error(f, "cannot read", err);
        p->retry = true;
        return false;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, len, digest);
    if (f->text && f->len == len && memcmp(f->text, digest, sizeof digest) == 0) {
        free(text);
        if (f->error) {
            srv_log(SRV_LOG_INFO, "file", "%s: readable again, unchanged", path);
            free(f->error);
            f->error = NULL;
        }
        return false;
    }
    diag_list diags = {0};
    api_document_list docs = {0};
    if (text_parse(p->config, text, len, path, p->max_document_size, &docs, &diags) < 0) {
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
    free(f->error);
    f->error = NULL;
    if (!f->text) {
        f->text = malloc(sizeof digest);
        if (!f->text)
            abort();
    }
    memcpy(f->text, digest, sizeof digest);
    free(text);
    f->len = len;
    if (!f->load_seq)
        f->load_seq = ++p->loads;
    srv_log(SRV_LOG_INFO, "file", "%s: loaded", path);
    return true;
}

/* The directory cannot be listed: every file known under it stays as it is. */
static void dir_keep_files(fprov *p, const char *dir, int err)
{
    size_t dl = strlen(dir);
    for (size_t i = 0; i < p->n_files; i++) {
        fprov_file *f = &p->files[i];
        if (strncmp(f->path, dir, dl) == 0 && f->path[dl] == '/' &&
            !strchr(f->path + dl + 1, '/')) {
            f->seen = true;
            file_set_read_error(f, "cannot list its directory", err);
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool scan_dir(fprov *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        int err = errno;
        srv_log(SRV_LOG_ERROR, "file",
                "%s: cannot open directory: %s; its files' last good "
                "versions stay in force (retrying)",
                dir, strerror(err));
        dir_keep_files(p, dir, err);
        p->retry = true;
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
        if (stat(names[i], &st) == 0) {
            if (S_ISREG(st.st_mode))
                changed |= file_refresh(p, names[i]);
        } else if (errno != ENOENT) {
            /* Unreadable for now (a loop of links, a stale mount): keep it. */
            fprov_file *f = files_find(p, names[i], true);
            f->seen = true;
            file_set_read_error(f, "cannot stat", errno);
            p->retry = true;
        }
        free(names[i]);
    }
    free(names);
    return changed;
}

static void file_free(fprov_file *f)
{
    free(f->warning);
    free(f->next_warning);
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
    uint64_t now = now_ms(p);
    for (size_t i = 0; i < p->n_files; i++) {
        fprov_file *f = &p->files[i];
        if (!f->seen && f->text && p->settle_ms) {
            /* Gone for less than the settle window: a directory being replaced
             * (rm -rf; mkdir; cp) must not delete what it held meanwhile. */
            if (!f->missing_since)
                f->missing_since = now ? now : 1;
            if (now - f->missing_since < p->settle_ms) {
                f->seen = true;
                p->settling = true;
            }
        }
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

static void watches_rearm(fprov *p);

/* `rearm` (on the loop only): restart watches lost to a replaced directory. */
static bool fprov_scan(fprov *p, bool rearm)
{
    p->retry = p->settling = false;
    if (p->started && rearm)
        watches_rearm(p);
    for (size_t i = 0; i < p->n_files; i++)
        p->files[i].seen = false;
    bool changed = false;
    for (size_t i = 0; i < p->n_paths; i++) {
        struct stat st;
        if (stat(p->paths[i], &st) < 0) {
            int err = errno;
            srv_log(SRV_LOG_WARN, "file", "%s: %s", p->paths[i], strerror(err));
            if (err != ENOENT) {
                /* Not gone, only unreadable: what it held stays. */
                fprov_file *f = files_find(p, p->paths[i], false);
                if (f) {
                    f->seen = true;
                    file_set_read_error(f, "cannot stat", err);
                }
                dir_keep_files(p, p->paths[i], err);
                p->retry = true;
            }
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
    if (p->held) {
        p->deferred = true;
        return;
    }
    if (p->offload) {
        /* The owner reads the files on its worker (fprov_scan_held). */
        watches_rearm(p);
        p->offload(p->offload_arg);
        return;
    }
    bool changed = fprov_scan(p, true);
    if (p->settling)
        uv_timer_start(&p->timer, on_debounced, p->settle_ms, 0);
    if (p->cb)
        p->cb(p->cb_arg, p, changed);
}

static void schedule_scan(fprov *p)
{
    uv_timer_start(&p->timer, on_debounced, p->debounce_ms, 0);
}

static void on_dir_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    fprov_watch *w = h->data;
    fprov *p = w->p;
    if (filename && filename[0] == '.')
        return; /* editors' swap files and our own temporaries */
    if (filename && (events & UV_RENAME) && strcmp(filename, w->base) == 0)
        w->stale = true; /* the watched directory itself went (inotify names it so) */
    if (filename && (events & UV_CHANGE) && has_resource_ext(filename)) {
        /* Written in place: wait until the writes settle before reading it. */
        char *path = NULL;
        if (asprintf(&path, "%s/%s", w->dir, filename) < 0)
            abort();
        if (p->held) {
            /* The table is being read on another thread: note it for later. */
            p->held_writes =
                realloc(p->held_writes, (p->n_held_writes + 1) * sizeof *p->held_writes);
            if (!p->held_writes)
                abort();
            p->held_writes[p->n_held_writes++] = (held_write){path, now_ms(p)};
            path = NULL;
        } else {
            files_find(p, path, true)->last_write_ms = now_ms(p);
        }
        free(path);
    }
    schedule_scan(p);
}

static void on_parent_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    fprov_watch *w = h->data;
    /* Only the watched directory's own entry matters (its parent may hold logs). */
    if (filename && strcmp(filename, w->base) == 0) {
        /* Deleted, renamed or made again: the inode number may well be reused,
         * so the watch is restarted whatever stat says. */
        w->stale = true;
        schedule_scan(w->p);
    }
}

static char *path_dirname(const char *path)
{
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = 0;
    else
        strcpy(dir, slash ? "/" : ".");
    return dir;
}

/* (Re)starts the watch of w->dir when it is not armed or the directory at that
 * path is another one than the watched (deleted and made again, renamed). */
static void watch_arm(fprov *p, fprov_watch *w)
{
    struct stat st;
    bool exists = stat(w->dir, &st) == 0;
    if (exists && w->dir_armed && !w->stale && st.st_dev == w->dev && st.st_ino == w->ino)
        return;
    w->stale = false;
    if (w->dir_armed) {
        uv_fs_event_stop(&w->dir_ev);
        w->dir_armed = false;
        srv_log(SRV_LOG_INFO, "file", "%s: directory replaced; watching the new one", w->dir);
    }
    if (!exists)
        return;
    int r = uv_fs_event_start(&w->dir_ev, on_dir_event, w->dir, 0);
    if (r < 0) {
        srv_log(SRV_LOG_ERROR, "file", "%s: cannot watch: %s (retrying)", w->dir, uv_strerror(r));
        p->retry = true;
        return;
    }
    w->dir_armed = true;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    if (!w->parent_armed && strcmp(w->parent, w->dir) != 0) {
        w->parent_armed = uv_fs_event_start(&w->parent_ev, on_parent_event, w->parent, 0) == 0;
    }
}

static void watches_rearm(fprov *p)
{
    for (size_t i = 0; i < p->n_paths; i++)
        watch_arm(p, &p->watches[i]);
}

/* Every second: a watch lost to a replaced directory, or a read that failed,
 * gets another go even when no fs event comes. */
static void on_poll(uv_timer_t *t)
{
    fprov *p = t->data;
    bool lost = false;
    for (size_t i = 0; i < p->n_paths; i++) {
        fprov_watch *w = &p->watches[i];
        struct stat st;
        bool exists = stat(w->dir, &st) == 0;
        if (w->stale || exists != w->dir_armed ||
            (exists && (st.st_dev != w->dev || st.st_ino != w->ino)))
            lost = true;
    }
    if ((lost || p->retry) && !uv_is_active((uv_handle_t *)&p->timer))
        schedule_scan(p);
}

static void watch_init(fprov *p, fprov_watch *w, const char *path)
{
    struct stat st;
    w->p = p;
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        w->dir = path_dirname(path); /* editors replace files by renaming */
    else
        w->dir = strdup(path);
    w->parent = path_dirname(w->dir);
    const char *slash = strrchr(w->dir, '/');
    w->base = strdup(slash ? slash + 1 : w->dir);
    uv_fs_event_init(p->loop, &w->dir_ev);
    uv_fs_event_init(p->loop, &w->parent_ev);
    w->dir_ev.data = w->parent_ev.data = w;
    p->handles += 2;
}

fprov *fprov_new(uv_loop_t *loop, const char *const *paths, size_t n_paths, unsigned debounce_ms,
                 fprov_change_cb cb, void *arg)
{
    fprov *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->loop = loop;
    p->paths = calloc(n_paths ? n_paths : 1, sizeof *p->paths);
    p->watches = calloc(n_paths ? n_paths : 1, sizeof *p->watches);
    if (!p->paths || !p->watches)
        abort();
    for (size_t i = 0; i < n_paths; i++) {
        p->paths[i] = strdup(paths[i]);
        size_t l = strlen(p->paths[i]);
        while (l > 1 && p->paths[i][l - 1] == '/')
            p->paths[i][--l] = 0;
    }
    p->n_paths = n_paths;
    p->debounce_ms = debounce_ms;
    p->settle_ms = FPROV_DEFAULT_SETTLE_MS;
    p->max_file_size = FPROV_DEFAULT_MAX_FILE_SIZE;
    p->max_document_size = API_MAX_DOCUMENT;
    p->cb = cb;
    p->cb_arg = arg;
    uv_timer_init(loop, &p->timer);
    uv_timer_init(loop, &p->poll);
    p->timer.data = p->poll.data = p;
    p->handles = 2;
    return p;
}

void fprov_set_limits(fprov *p, unsigned settle_ms, size_t max_file_size, size_t max_document_size)
{
    p->settle_ms = settle_ms;
    p->max_file_size = max_file_size;
    p->max_document_size = max_document_size;
}

/* Records (and logs when new) the objects of `f` ignored as duplicates. */
static void file_set_warning(fprov_file *f, char *warning)
{
    if (warning && (!f->warning || strcmp(f->warning, warning) != 0))
        srv_log(SRV_LOG_WARN, "file", "%s: %s", f->path, warning);
    free(f->warning);
    f->warning = warning;
}

static void warnings_apply(fprov *p)
{
    for (size_t i = 0; i < p->n_files; i++) {
        fprov_file *f = &p->files[i];
        if (!f->has_next_warning)
            continue;
        file_set_warning(f, f->next_warning);
        f->next_warning = NULL;
        f->has_next_warning = false;
    }
}

void fprov_hold(fprov *p, bool hold)
{
    p->held = hold;
    if (!hold) {
        for (size_t i = 0; i < p->n_held_writes; i++) {
            files_find(p, p->held_writes[i].path, true)->last_write_ms = p->held_writes[i].at;
            free(p->held_writes[i].path);
        }
        p->n_held_writes = 0;
        warnings_apply(p);
    }
    if (!hold && p->deferred) {
        p->deferred = false;
        schedule_scan(p);
    } else if (!hold && p->settling) {
        /* A held scan found a file still being written. */
        uv_timer_start(&p->timer, on_debounced, p->settle_ms, 0);
    }
}

void fprov_set_offload(fprov *p, void (*cb)(void *arg), void *arg)
{
    p->offload = cb;
    p->offload_arg = arg;
}

/* The first scan reads what is there, settled or not. */
static bool scan_first_or_settled(fprov *p, bool rearm)
{
    if (p->scanned)
        return fprov_scan(p, rearm);
    unsigned settle = p->settle_ms;
    p->settle_ms = 0;
    bool changed = fprov_scan(p, rearm);
    p->settle_ms = settle;
    p->scanned = true;
    return changed;
}

bool fprov_scan_held(fprov *p)
{
    return scan_first_or_settled(p, false);
}

void fprov_start(fprov *p)
{
    for (size_t i = 0; i < p->n_paths; i++)
        watch_init(p, &p->watches[i], p->paths[i]);
    p->started = true;
    if (p->offload)
        watches_rearm(p); /* the owner's first job reads the files */
    else
        scan_first_or_settled(p, true);
    uv_timer_start(&p->poll, on_poll, 1000, 1000);
}

static void on_closed(uv_handle_t *h)
{
    fprov *p = h->data;
    if (--p->handles > 0)
        return;
    for (size_t i = 0; i < p->n_files; i++)
        file_free(&p->files[i]);
    free(p->files);
    for (size_t i = 0; i < p->n_paths; i++) {
        free(p->paths[i]);
        if (p->watches[i].p) {
            free(p->watches[i].dir);
            free(p->watches[i].parent);
            free(p->watches[i].base);
        }
    }
    for (size_t i = 0; i < p->n_held_writes; i++)
        free(p->held_writes[i].path);
    free(p->held_writes);
    free(p->paths);
    free(p->config);
    free(p->watches);
    free(p);
}

void fprov_set_config(fprov *p, const char *eg_config)
{
    free(p->config);
    p->config = eg_config ? strdup(eg_config) : NULL;
}

void fprov_close(fprov *p)
{
    for (size_t i = 0; p->started && i < p->n_paths; i++) {
        p->watches[i].dir_ev.data = p->watches[i].parent_ev.data = p;
        uv_close((uv_handle_t *)&p->watches[i].dir_ev, on_closed);
        uv_close((uv_handle_t *)&p->watches[i].parent_ev, on_closed);
    }
    uv_close((uv_handle_t *)&p->timer, on_closed);
    uv_close((uv_handle_t *)&p->poll, on_closed);
}

static int cmp_load_order(const void *a, const void *b)
{
    const fprov_file *x = *(const fprov_file *const *)a, *y = *(const fprov_file *const *)b;
    return x->load_seq < y->load_seq ? -1 : x->load_seq > y->load_seq;
}

void fprov_resources_add(fprov *p, api_resources *r, diag_list *diags)
{
    /* Files in the order they were first loaded: an object defined in two
     * files is the one of the file that had it first. */
    api_resources_set_api_server_rules(r, true);
    fprov_file **order = malloc((p->n_files ? p->n_files : 1) * sizeof *order);
    if (!order)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < p->n_files; i++) {
        if (p->files[i].text) {
            order[n++] = &p->files[i];
        } else {
            free(p->files[i].next_warning);
            p->files[i].next_warning = NULL;
            p->files[i].has_next_warning = true;
        }
    }
    qsort(order, n, sizeof *order, cmp_load_order);
    for (size_t i = 0; i < n; i++) {
        fprov_file *f = order[i];
        char *warning = NULL;
        for (size_t j = 0; j < f->docs.n; j++) {
            diag_list local = {0};
            size_t before = r->all.n;
            int rc = api_resources_add(r, f->docs.items[j].root, f->path, f->docs.items[j].index,
                                       &local);
            if (rc == 0 && r->all.n == before && !warning) {
                for (size_t k = 0; k < local.n && !warning; k++)
                    if (local.items[k].severity == DIAG_WARNING)
                        warning = diag_format(&local.items[k]);
            }
            for (size_t k = 0; k < local.n; k++)
                diag_add(diags, local.items[k].severity, local.items[k].where, local.items[k].path,
                         "%s", local.items[k].message);
            diag_list_clear(&local);
        }
        /* Applied (and logged) on the loop: the admin endpoint reads `warning`. */
        free(f->next_warning);
        f->next_warning = warning;
        f->has_next_warning = true;
    }
    free(order);
    if (!p->held)
        warnings_apply(p);
    api_resources_add_missing_namespaces(r, NULL, diags);
}

const char *fprov_file_warning(const fprov *p, size_t i)
{
    return p->files[i].warning;
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
