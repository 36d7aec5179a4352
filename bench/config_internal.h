/* Internals shared by bench/config.c and bench/sweep.c. */
#ifndef VSR_BENCH_CONFIG_INTERNAL_H
#define VSR_BENCH_CONFIG_INTERNAL_H

#include <stdio.h>

#include "vsr/bench.h"

/*
 * Canonical text of the parts of a config, shared by the sweep hash
 * (vsr_config_canonical) and the per-run hash (sweep.c). Every string is
 * written length-prefixed ("5:hello") so no two different configs give the
 * same text.
 */
void vsr_config_put_str(FILE *f, const char *key, const char *s);
void vsr_config_put_dataset(FILE *f, const vsr_config_dataset *d);
void vsr_config_put_model(FILE *f, const vsr_config_model *m);
void vsr_config_put_precision(FILE *f, const vsr_config_precision *p);
/* scale, seed, timing and metrics: what every run of a config shares. */
void vsr_config_put_common(FILE *f, const vsr_config *cfg);

#endif
