/* Replays every input saved under tests/fuzz/regressions/decode/ (inputs that
 * once crashed the decode fuzz target) through the same pipeline, so a fixed
 * crash stays fixed. Run from the repository root, as ctest does. */
#include <dirent.h>
#include <string.h>

#include "../fuzz/decode_pipeline.h"
#include "check.h"

#define REGRESSIONS "tests/fuzz/regressions/decode"

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static void test_replay_all(FILE *sink)
{
    DIR *dir = opendir(REGRESSIONS);
    CHECK(dir != NULL);
    if (!dir)
        return;
    int replayed = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", REGRESSIONS, e->d_name);
        size_t len;
        unsigned char *data = read_file(path, &len);
        CHECK(data != NULL);
        if (!data)
            continue;
        /* surviving is the test; the sanitizer build catches what a crash misses */
        decode_pipeline_run(data, len, sink);
        free(data);
        replayed++;
    }
    closedir(dir);
    printf("replayed %d reproducers from %s\n", replayed, REGRESSIONS);
}

static void test_corpus_seeds_load(FILE *sink)
{
    /* the seeds are valid input: they must load without errors */
    DIR *dir = opendir("tests/fuzz/corpus/decode");
    CHECK(dir != NULL);
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "tests/fuzz/corpus/decode/%s", e->d_name);
        size_t len;
        unsigned char *data = read_file(path, &len);
        int rc = data ? decode_pipeline_run(data, len, sink) : -2;
        if (rc != 0)
            fprintf(stderr, "seed %s: load returned %d\n", path, rc);
        CHECK_INT(rc, 0);
        free(data);
    }
    closedir(dir);
}

int main(void)
{
    FILE *sink = fopen("/dev/null", "w");
    test_replay_all(sink);
    test_corpus_seeds_load(sink);
    fclose(sink);
    return check_summary("test_fuzz_regressions");
}
