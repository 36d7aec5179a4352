/*
 * ckpt.c: the optimizer half of a checkpoint as named 1-D float tensors and
 * metadata in the engine's VSRW container, through its one writer
 * (vsr_weights_write(): the file appears complete or not at all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

int vsr_train_write_vsrw(const char *path, const char *model, const char *const *kv, int n_meta,
                         const vsr_train_blob *blobs, int n_blobs, vsr_error *err)
{
    vsr_weights_tensor *t = malloc(sizeof(*t) * ((size_t)(n_blobs > 0 ? n_blobs : 0) + 1));
    if (!t)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    for (int i = 0; i < n_blobs; i++) {
        if (blobs[i].count < 1 || blobs[i].count > (1u << 24)) {
            free(t);
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: %zu elements not storable", path,
                                 blobs[i].name, blobs[i].count);
        }
        t[i] = (vsr_weights_tensor){blobs[i].name, 1, {(int)blobs[i].count}, blobs[i].data};
    }
    int rc = vsr_weights_write(path, model, kv, n_meta, t, n_blobs, err);
    free(t);
    return rc;
}
