/*
 * family.c: the one table of model families. A family is its own file
 * (builder, checks, temporal interface, hyperparameter options in a
 * vsr_models_family_def) plus one line here; zoo entries then name it.
 * vsr_models_build(), vsr_models_count(), vsr_models_hparams_check() /
 * _interface() / _apply() and vsr_models_open() dispatch through the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "models_internal.h"

static const vsr_models_option bicubic_options[] = {MDL_OPT_SCALE};

static const vsr_models_family_def bicubic = {
    .id = VSR_MODELS_BICUBIC,
    .name = "bicubic",
    .options = bicubic_options,
    .n_options = 1,
};

/* The families, each defined in its own file. */
extern const vsr_models_family_def vsr__models_swrn, vsr__models_abpn, vsr__models_elsr,
    vsr__models_mobilerrn, vsr__models_mvsr, vsr__models_quicksrnet, vsr__models_xlsr;

/* Indexed by enum vsr_models_family: one line per family. */
static const vsr_models_family_def *const families[] = {
    [VSR_MODELS_BICUBIC] = &bicubic,
    [VSR_MODELS_SWRN] = &vsr__models_swrn,
    [VSR_MODELS_ABPN] = &vsr__models_abpn,
    [VSR_MODELS_ELSR] = &vsr__models_elsr,
    [VSR_MODELS_MOBILERRN] = &vsr__models_mobilerrn,
    [VSR_MODELS_MVSR] = &vsr__models_mvsr,
    [VSR_MODELS_QUICKSRNET] = &vsr__models_quicksrnet,
    [VSR_MODELS_XLSR] = &vsr__models_xlsr,
};

const vsr_models_family_def *vsr__models_family(enum vsr_models_family f)
{
    if ((int)f < 0 || (size_t)f >= sizeof(families) / sizeof(families[0]))
        return NULL;
    return families[f];
}

const char *vsr_models_family_name(enum vsr_models_family f)
{
    const vsr_models_family_def *d = vsr__models_family(f);
    return d ? d->name : "unknown";
}

const vsr_models_option *vsr_models_family_options(enum vsr_models_family f, int *n)
{
    const vsr_models_family_def *d = vsr__models_family(f);
    *n = d ? d->n_options : 0;
    return d ? d->options : NULL;
}

int vsr__models_check_channels_blocks(const vsr_models_hparams *hp, vsr_error *err)
{
    if (hp->channels < 1 || hp->channels > 1024)
        return vsr_error_set(err, -EINVAL, "channels %d: must be 1..1024", hp->channels);
    if (hp->blocks < 0 || hp->blocks > 64)
        return vsr_error_set(err, -EINVAL, "blocks %d: must be 0..64", hp->blocks);
    return 0;
}

int vsr_models_hparams_check(const vsr_models_hparams *hp, vsr_error *err)
{
    if (hp->scale < 2 || hp->scale > 8)
        return vsr_error_set(err, -EINVAL, "scale %d: must be 2..8", hp->scale);
    const vsr_models_family_def *d = vsr__models_family(hp->family);
    if (!d)
        return vsr_error_set(err, -EINVAL, "family %d: unknown", (int)hp->family);
    return d->check ? d->check(hp, err) : 0;
}

int vsr_models_identity_init(vsr_graph *g, const vsr_models_hparams *hp, vsr_error *err)
{
    const vsr_models_family_def *d = vsr__models_family(hp->family);
    if (!d || !d->identity_init)
        return vsr_error_set(err, -ENOTSUP, "%s: the family has no identity initialisation",
                             vsr_models_family_name(hp->family));
    return d->identity_init(g, hp, err);
}

void vsr_models_hparams_interface(const vsr_models_hparams *hp, enum vsr_models_temporal *t,
                                  int *in_channels, int *state_channels)
{
    enum vsr_models_temporal tt = VSR_MODELS_T_SINGLE;
    int in = 3, st = 0;
    const vsr_models_family_def *d = vsr__models_family(hp->family);
    if (d && d->interface) {
        d->interface(hp, &tt, &in, &st);
    } else if (d) {
        tt = d->temporal;
        in = d->in_channels ? d->in_channels : 3;
        st = d->state_x_channels * hp->channels;
    }
    if (t)
        *t = tt;
    if (in_channels)
        *in_channels = in;
    if (state_channels)
        *state_channels = st;
}

/* ---- overrides --------------------------------------------------------------- */

static int *field(vsr_models_hparams *hp, size_t off)
{
    return (int *)((char *)hp + off);
}

/* "[3, 5]" or "3,5" -> out[0..*n) (spaces ignored). */
static int parse_int_list(const char *v, const vsr_models_option *o, int *out, int *n,
                          vsr_error *err)
{
    char buf[128];
    size_t len = strlen(v);
    if (len >= sizeof(buf))
        return vsr_error_set(err, -EINVAL, "hyperparameter %s: value too long", o->name);
    if (v[0] == '[') {
        if (v[len - 1] != ']')
            return vsr_error_set(err, -EINVAL, "hyperparameter %s: '%s' is not a list", o->name,
                                 v);
        memcpy(buf, v + 1, len - 2);
        buf[len - 2] = '\0';
    } else {
        memcpy(buf, v, len + 1);
    }
    char *w = buf;
    for (char *r = buf; *r; r++)
        if (*r != ' ')
            *w++ = *r;
    *w = '\0';
    long tmp[16];
    int cap = o->max_n < 16 ? o->max_n : 16;
    int rc = vsr_parse_long_list(buf, o->min, o->max, tmp, cap, n, o->name, err);
    for (int i = 0; !rc && i < *n; i++)
        out[i] = (int)tmp[i];
    return rc;
}

static int apply_one(vsr_models_hparams *hp, const vsr_models_option *o, const char *v,
                     const char *what, vsr_error *err)
{
    int rc = 0;
    long x = 0;
    switch (o->type) {
    case VSR_MODELS_OPT_INT: {
        const char *val = !strcasecmp(v, "true") ? "1" : !strcasecmp(v, "false") ? "0" : v;
        if ((rc = vsr_parse_long(val, o->min, o->max, &x, o->name, err)))
            return vsr_error_wrap(err, rc, "models: %s: hyperparameters", what);
        *field(hp, o->offset) = (int)x;
        return 0;
    }
    case VSR_MODELS_OPT_RATIO: {
        long a, b;
        const char *slash = strchr(v, '/');
        char num[32];
        if (!slash || (size_t)(slash - v) >= sizeof(num))
            return vsr_error_set(err, -EINVAL, "models: %s: %s '%s' is not a/b", what, o->name,
                                 v);
        memcpy(num, v, (size_t)(slash - v));
        num[slash - v] = '\0';
        if ((rc = vsr_parse_long(num, o->min, o->max, &a, o->name, err)) ||
            (rc = vsr_parse_long(slash + 1, o->min, o->max, &b, o->name, err)))
            return vsr_error_wrap(err, rc, "models: %s", what);
        *field(hp, o->offset) = (int)a;
        *field(hp, o->offset2) = (int)b;
        return 0;
    }
    case VSR_MODELS_OPT_INT_LIST: {
        int vals[16], n = 0;
        if ((rc = parse_int_list(v, o, vals, &n, err)))
            return vsr_error_wrap(err, rc, "models: %s", what);
        memcpy(field(hp, o->offset), vals, (size_t)n * sizeof(int));
        if (o->offset2)
            *field(hp, o->offset2) = n;
        return 0;
    }
    case VSR_MODELS_OPT_ENUM: {
        char known[256] = "";
        for (int j = 0; o->enum_names[j]; j++) {
            if (!strcasecmp(v, o->enum_names[j])) {
                *field(hp, o->offset) = j;
                return 0;
            }
            size_t l = strlen(known);
            snprintf(known + l, sizeof(known) - l, "%s%s", j ? ", " : "", o->enum_names[j]);
        }
        return vsr_error_set(err, -EINVAL, "models: %s: %s '%s' is not one of %s", what,
                             o->name, v, known);
    }
    }
    return vsr_error_set(err, -EINVAL, "models: %s: %s: unknown option type", what, o->name);
}

int vsr_models_hparams_value(const vsr_models_hparams *hp, const vsr_models_option *o,
                             char *buf, size_t cap)
{
    const int *f = field((vsr_models_hparams *)hp, o->offset);
    size_t len = 0;
    if (cap)
        buf[0] = '\0';
    switch (o->type) {
    case VSR_MODELS_OPT_INT:
        snprintf(buf, cap, "%d", *f);
        return 0;
    case VSR_MODELS_OPT_RATIO:
        snprintf(buf, cap, "%d/%d", *f, *field((vsr_models_hparams *)hp, o->offset2));
        return 0;
    case VSR_MODELS_OPT_INT_LIST: {
        /* without a count field (MVSR's dilations share the kernels' count) the
         * list ends at the first element below its minimum (unset: 0) */
        int n = o->offset2 ? *field((vsr_models_hparams *)hp, o->offset2) : o->max_n;
        if (!o->offset2)
            for (int i = 0; i < n; i++)
                if (f[i] < o->min)
                    n = i;
        len = (size_t)snprintf(buf, cap, "[");
        for (int i = 0; i < n && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? ", " : "", f[i]);
        if (len < cap)
            snprintf(buf + len, cap - len, "]");
        return 0;
    }
    case VSR_MODELS_OPT_ENUM: {
        int n = 0;
        while (o->enum_names[n])
            n++;
        snprintf(buf, cap, "%s", *f >= 0 && *f < n ? o->enum_names[*f] : "?");
        return 0;
    }
    }
    return -EINVAL;
}

int vsr_models_hparams_apply(vsr_models_hparams *hp, const vsr_models_kv *kv, int n,
                             const char *what, vsr_error *err)
{
    const vsr_models_family_def *d = vsr__models_family(hp->family);
    if (!d)
        return vsr_error_set(err, -EINVAL, "models: %s: unknown family", what);
    for (int i = 0; i < n; i++) {
        const vsr_models_option *o = NULL;
        for (int j = 0; j < d->n_options && !o; j++)
            if (!strcmp(kv[i].key, d->options[j].name))
                o = &d->options[j];
        if (!o) {
            char known[400] = "", hint[96] = "";
            int best = 99;
            for (int j = 0; j < d->n_options; j++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof(known) - l, "%s%s", j ? " " : "",
                         d->options[j].name);
                int dist = vsr_edit_distance(kv[i].key, d->options[j].name);
                if (dist < best && dist <= 2 && dist < (int)strlen(d->options[j].name)) {
                    best = dist;
                    snprintf(hint, sizeof(hint), "did you mean '%s'? ", d->options[j].name);
                }
            }
            return vsr_error_set(
                err, -EINVAL,
                "models: %s: unknown hyperparameter '%s' for family %s (%sknown: "
                "%s)",
                what, kv[i].key, d->name, hint, known);
        }
        int rc = apply_one(hp, o, kv[i].value, what, err);
        if (rc)
            return rc;
    }
    return vsr_models_hparams_check(hp, err);
}
