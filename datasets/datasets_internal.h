/* Internals of the datasets part (not installed, not public). */
#ifndef VSR_DATASETS_INTERNAL_H
#define VSR_DATASETS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vsr/datasets.h"

/* BD: Gaussian radius (13x13 kernel), sigma, and the sampling offset. */
#define VSR_BD_RADIUS 6
#define VSR_BD_SIGMA 1.6
#define VSR_BD_OFFSET 0
/* Border rules for vsr_degrade_bd_ex(). */
enum { VSR_BORDER_REFLECT101 = 0, VSR_BORDER_REPLICATE = 1, VSR_BORDER_SYMMETRIC = 2 };
/* OR-ed into the border argument: truncate instead of rounding half up. */
#define VSR_BD_TRUNCATE 0x100
/*
 * Measured on Vid4 calendar frames 0-1 against the published BDx4
 * (offset / border / rounding -> PSNR): 0 / replicate / truncate 57.1 dB,
 * 0 / reflect101 / truncate 50.3, 0 / symmetric / truncate 54.8,
 * 0 / replicate / round 51.1, offsets 1..3: < 27 dB.
 */
#define VSR_BD_BORDER (VSR_BORDER_REPLICATE | VSR_BD_TRUNCATE)

/*
 * BD with an explicit sampling offset (kept pixels offset, offset+scale,
 * ...) and border rule (VSR_BORDER_*). Used by the test that
 * measures which convention matches the published Vid4 BDx4.
 */
int vsr_degrade_bd_ex(const vsr_frame *gt, int scale, int offset, int border, vsr_frame *lr,
                      vsr_error *err);

/* "a/b" into buf; -ENAMETOOLONG (naming both) when it does not fit. */
int vsr_path_join(char *buf, size_t cap, const char *a, const char *b, vsr_error *err);
/* 1 folder, 0 not there, -ENOTDIR something else. */
int vsr_is_dir(const char *path);
/* Remove a folder tree (best effort, used on failure and for temp dirs). */
void vsr_rm_rf(const char *path);
/*
 * What a whole clip of @p ds loads from, as a string (malloc'ed into *key,
 * freed by the caller): layout, degradation, scale, the clip's name, its
 * resolved GT and LR paths and frame count. Two datasets that give a clip
 * the same key load the same frames (while the files do not change).
 */
int vsr_dataset_clip_key(const vsr_dataset *ds, int clip, char **key, vsr_error *err);

#endif
