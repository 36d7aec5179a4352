/* Internals shared by the files of reports/ (not installed). */
#ifndef VSR_REPORTS_INTERNAL_H
#define VSR_REPORTS_INTERNAL_H

#include "vsr/reports.h"

/* Column indices of the ablation table (vsr_report_table_ablation). */
enum {
    VSR_ABL_MODEL = 0,
    VSR_ABL_VARIANT,
    VSR_ABL_PRECISION,
    VSR_ABL_DATA,
    VSR_ABL_PSNR,
    VSR_ABL_DPSNR,
    VSR_ABL_PARAMS,
    VSR_ABL_DPARAMS,
    VSR_ABL_MACS,
    VSR_ABL_DMACS,
    VSR_ABL_MS,
    VSR_ABL_DMS,
    VSR_ABL_NCOLS
};

/* "model" or "model/variant" (variant "" and "base" are left out). */
void vsr_report_row_label(const vsr_report_row *r, char *buf, size_t cap);

/* Print @p v with @p dec decimals, or "-" when NAN. */
void vsr_report_fmt(char *buf, size_t cap, double v, int dec);

#endif
