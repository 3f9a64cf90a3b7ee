
/*
 * The replay main of every fuzz target, as OpenSSL's fuzz/test-corpus.c:
 * linked with one target instead of libFuzzer, it runs the target's
 * LLVMFuzzerTestOneInput() once over each file of the directories and
 * files given, so that `make test` keeps every seed and every saved
 * crash input passing, sanitizers included (SAN=1).
 *
 *   build/fuzz/fuzz_ticket tests/fuzz/corpora/fuzz_ticket \
 *       tests/fuzz/regressions/fuzz_ticket
 *
 * prints "replay fuzz_ticket: N inputs" and exits 0; a target that
 * fails aborts, and the sanitizer says where.
 */


#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));


static int replay_path(const char *path, size_t *n);
static int replay_dir(const char *path, size_t *n);
static int replay_file(const char *path, size_t *n);
static int replay_name_cmp(const void *a, const void *b);


int
main(int argc, char **argv)
{
    int          i;
    size_t       n;
    const char  *name;

    if (LLVMFuzzerInitialize != NULL) {
        LLVMFuzzerInitialize(&argc, &argv);
    }

    name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];

    n = 0;

    for (i = 1; i < argc; i++) {
        if (replay_path(argv[i], &n) != 0) {
            return 2;
        }
    }

    printf("replay %s: %zu inputs\n", name, n);

    return 0;
}


static int
replay_path(const char *path, size_t *n)
{
    struct stat  st;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: stat() \"%s\" failed: %s\n", path,
                strerror(errno));
        return -1;
    }

    if (S_ISDIR(st.st_mode)) {
        return replay_dir(path, n);
    }

    return replay_file(path, n);
}


/* in name order, so that a failure is reproducible run to run; dot
 * files (.keep) are not inputs */

static int
replay_dir(const char *path, size_t *n)
{
    int              rc;
    DIR             *dir;
    char            *p, **names, **tmp;
    size_t           i, nnames, nalloc, len;
    struct dirent   *de;

    dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "replay: opendir() \"%s\" failed: %s\n", path,
                strerror(errno));
        return -1;
    }

    names = NULL;
    nnames = 0;
    nalloc = 0;
    rc = 0;

    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        if (nnames == nalloc) {
            nalloc = nalloc ? nalloc * 2 : 64;
            tmp = realloc(names, nalloc * sizeof(char *));
            if (tmp == NULL) {
                rc = -1;
                break;
            }

            names = tmp;
        }

        len = strlen(path) + 1 + strlen(de->d_name) + 1;

        p = malloc(len);
        if (p == NULL) {
            rc = -1;
            break;
        }

        snprintf(p, len, "%s/%s", path, de->d_name);
        names[nnames++] = p;
    }

    closedir(dir);

    if (nnames > 1) {
        qsort(names, nnames, sizeof(char *), replay_name_cmp);
    }

    for (i = 0; i < nnames; i++) {
        if (rc == 0 && replay_file(names[i], n) != 0) {
            rc = -1;
        }

        free(names[i]);
    }

    free(names);

    if (rc != 0) {
        fprintf(stderr, "replay: \"%s\" failed\n", path);
    }

    return rc;
}


/* an input of its exact size on the heap: one byte past it is caught */

static int
replay_file(const char *path, size_t *n)
{
    FILE           *f;
    long            len;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: fopen() \"%s\" failed: %s\n", path,
                strerror(errno));
        return -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fprintf(stderr, "replay: cannot size \"%s\"\n", path);
        fclose(f);
        return -1;
    }

    buf = malloc(len ? (size_t) len : 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }

    if (len > 0 && fread(buf, 1, (size_t) len, f) != (size_t) len) {
        fprintf(stderr, "replay: fread() \"%s\" failed\n", path);
        free(buf);
        fclose(f);
        return -1;
    }

    fclose(f);

    LLVMFuzzerTestOneInput(buf, (size_t) len);

    free(buf);

    (*n)++;

    return 0;
}


static int
replay_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}
