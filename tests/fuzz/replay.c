/*
 * Replay driver for the fuzz targets without libFuzzer (any compiler):
 * calls LLVMFuzzerTestOneInput once on every regular file of each folder
 * given (sorted by name; a missing folder counts as empty), printing each
 * name first so a crash or hang names its input. ctest runs it on
 * tests/fuzz/regress/<target>/ in every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    /* an exact-size copy, so ASan sees reads past the end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    printf("replay %s (%zu bytes)\n", path, n);
    fflush(stdout);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int total = 0, bad = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (!d)
            continue;
        char **names = NULL;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            char path[4096];
            struct stat st;
            snprintf(path, sizeof(path), "%s/%s", argv[a], de->d_name);
            if (de->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode) ||
                !strcmp(de->d_name, "README.md"))
                continue;
            char **nn = realloc(names, (size_t)(n + 1) * sizeof(*nn));
            if (!nn || !(nn[n] = strdup(path))) {
                fprintf(stderr, "replay: out of memory\n");
                return 1;
            }
            names = nn;
            n++;
        }
        closedir(d);
        if (n)
            qsort(names, (size_t)n, sizeof(*names), cmp);
        for (int i = 0; i < n; i++) {
            if (replay_file(names[i]))
                bad++, fprintf(stderr, "replay: cannot read %s\n", names[i]);
            total++;
            free(names[i]);
        }
        free(names);
    }
    printf("replayed %d inputs\n", total);
    return bad ? 1 : 0;
}
