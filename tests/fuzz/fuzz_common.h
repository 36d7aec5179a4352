/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c): LLVMFuzzerTestOneInput
 * gets bytes, most readers take a path, so the bytes go to one scratch file
 * per process (a folder made with mkdtemp under $TMPDIR, removed at exit).
 * Not a library: each target includes this once.
 */
#ifndef VSR_FUZZ_COMMON_H
#define VSR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the scratch folder and its one file; set once per process */
static char fuzz_dir[256];
static char fuzz_file[300];

static void fuzz_cleanup(void)
{
    unlink(fuzz_file);
    rmdir(fuzz_dir);
}

/* The scratch folder (created on first use), or NULL. */
static inline const char *fuzz_scratch_dir(void)
{
    if (!fuzz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/vsrfuzz.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            fuzz_dir[0] = '\0';
            return NULL;
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir;
}

/* Write @p data to "<scratch>/in<suffix>" and return that path, or NULL. */
static inline const char *fuzz_write(const uint8_t *data, size_t size, const char *suffix)
{
    const char *dir = fuzz_scratch_dir();
    if (!dir)
        return NULL;
    if (fuzz_file[0])
        unlink(fuzz_file);
    snprintf(fuzz_file, sizeof(fuzz_file), "%s/in%s", dir, suffix);
    FILE *f = fopen(fuzz_file, "wb");
    if (!f)
        return NULL;
    size_t w = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || w != size)
        return NULL;
    return fuzz_file;
}

#ifdef VSR_FUZZ_WITH_GRAPH
#include "vsr/engine.h"
#include "vsr/models.h"

/* The ELSR graph (the zoo's smallest) at 8x8, built once per process and
 * never freed: the graph the weight readers load onto. */
static inline vsr_graph *fuzz_elsr_graph(void)
{
    static vsr_graph *g;
    vsr_error err = {0};
    if (!g) {
        const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
        if (!e || vsr_models_build(&e->hp, e->name, 8, 8, &g, &err))
            abort();
    }
    return g;
}
#endif

#endif
