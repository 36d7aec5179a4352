/*
 * zoo.c: the registry. One static table maps a model name to its family,
 * hyperparameters, temporal interface and input channels. The MVSR rows
 * are the switches of count.py's MVSR / STANDINS tables (docs/MODEL_SPECS.md 3.4-3.5
 * and 4.2) applied to the MVSR_13 defaults.
 */
#include <string.h>
#include <strings.h>

#include "vsr/models.h"

#define MVSR13                                                                                 \
    .F = 16, .B = 4, .ratio_num = 1, .ratio_den = 2, .pfe_n = 2, .pfe_k = {5, 5},              \
    .pfe_dil = {1, 3}, .ppa_n = 1, .ppa_k = {3}, .ppa_dil = {1}, .dw = 0, .fc = 1, .mix = 2,   \
    .bn = 1, .shallow_bsconv = 1, .align = VSR_MVSR_ALIGN_AFA, .tail_bsconv = 0,               \
    .rgb_share = 0, .skip_nearest = 0, .fuse = 0

/* How to train MVSR variant NAME with the budget of the committed MVSR weights. */
#define MV_TRAIN(NAME)                                                                         \
    "vsrbench train configs/train_mvsr13.yaml --set model=" NAME " --set name=" NAME

/* Overrides are written after MVSR13; later designated initialisers win. */
#define MV(NAME, DESC, ...)                                                                    \
    {                                                                                          \
        .name = NAME, .desc = DESC,                                                            \
        .hp = {.family = VSR_MODELS_MVSR, .scale = 4, .mvsr = {MVSR13, __VA_ARGS__}},          \
        .temporal = VSR_MODELS_T_WINDOW3, .in_channels = 9,                                    \
        .weights_hint = "none are committed; train them: " MV_TRAIN(NAME)                      \
    }
/* An MVSR variant whose trained weights are committed in models/weights/. */
#define MVW(NAME, DESC, ...)                                                                   \
    {                                                                                          \
        .name = NAME, .desc = DESC,                                                            \
        .hp = {.family = VSR_MODELS_MVSR, .scale = 4, .mvsr = {MVSR13, __VA_ARGS__}},          \
        .temporal = VSR_MODELS_T_WINDOW3, .in_channels = 9,                                    \
        .weights_hint =                                                                        \
            "use the committed models/weights/" NAME ".vsrw, or retrain: " MV_TRAIN(NAME)      \
    }
#define SI(NAME, DESC, ...)                                                                    \
    {                                                                                          \
        .name = NAME, .desc = DESC,                                                            \
        .hp = {.family = VSR_MODELS_MVSR, .scale = 4, .mvsr = {MVSR13, __VA_ARGS__}},          \
        .temporal = VSR_MODELS_T_WINDOW3, .in_channels = 9, .standin = 1,                      \
        .weights_hint = "cost-matched stand-in for benchmarking load; no weights exist"        \
    }

/* QuickSRNet (docs/MODEL_SPECS.md 2.4) variant SZ (S, M, L) at scale S_, C channels,
 * M_ intermediate convs; ITO is "" (S, M) or QSR_ITO (L: the 1x1 anchor conv),
 * and .ito is 1 exactly when that string is non-empty. The x4 entries carry
 * the bare name, x2 / x3 a _x2 / _x3 suffix (as ABPN_x3). */
#define QSR(NAME, SZ, S_, C, M_, ITO) QSR_H(NAME, SZ, S_, C, M_, ITO, QSR_HINT)
#define QSR_HINT                                                                               \
    "none are committed for this variant; train it with vsrbench train "                       \
    "configs/train_quicksrnet.yaml --set model=<this model>, or import AIMET weights "         \
    "rescaled to "                                                                             \
    "0..255 and permuted CRD -> DCR (docs/MODEL_SPECS.md 2.4)"
#define QSR_H(NAME, SZ, S_, C, M_, ITO, HINT)                                                  \
    {                                                                                          \
        .name = NAME,                                                                          \
        .desc = "QuickSRNet-" SZ " x" #S_ ": C=" #C ", " #M_ " intermediate convs" ITO         \
                ", hardtanh(0,1), 0..255 folded (AIMET QuickSRNetBase)",                       \
        .hp = {.family = VSR_MODELS_QUICKSRNET,                                                \
               .scale = S_,                                                                    \
               .channels = C,                                                                  \
               .blocks = M_,                                                                   \
               .ito = (sizeof(ITO) > 1)},                                                      \
        .temporal = VSR_MODELS_T_SINGLE, .in_channels = 3, .weights_hint = HINT                \
    }
#define QSR_ITO ", 1x1 anchor"

/* XLSR (docs/MODEL_SPECS.md 2.5) at scale S_: C = 32, 3 G-blocks (models/xlsr.c). */
#define XLSR(NAME, S_, HINT)                                                                   \
    {                                                                                          \
        .name = NAME,                                                                          \
        .desc = "XLSR x" #S_ ": C=32, 3 G-blocks (3x3 conv in 4 groups + 1x1), 0..255 folded " \
                "(AIMET XLSRRelease)",                                                         \
        .hp = {.family = VSR_MODELS_XLSR, .scale = S_, .channels = 32, .blocks = 3},           \
        .temporal = VSR_MODELS_T_SINGLE, .in_channels = 3, .weights_hint = HINT                \
    }
#define XLSR_HINT                                                                              \
    "none are committed; train them with vsrbench train (configs/train_xlsr.yaml with "        \
    "--set model=XLSR_x2 or XLSR_x3), "                                                        \
    "or import AIMET weights rescaled to 0..255 and permuted CRD -> DCR "                      \
    "(docs/MODEL_SPECS.md 2.5)"

#define PFE17 .pfe_n = 1, .pfe_k = {17}, .pfe_dil = {1}
#define PFE3 .pfe_n = 1, .pfe_k = {3}, .pfe_dil = {1}
#define PPA55 .ppa_n = 2, .ppa_k = {5, 5}, .ppa_dil = {1, 3}

/* Ignore -Woverride-init for the MV() macro's intentional overrides. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
static const vsr_models_entry zoo[] = {
    {.name = "bicubic",
     .desc = "MATLAB bicubic x4 of x(t) (the BI kernel), rounded to uint8",
     .hp = {.family = VSR_MODELS_BICUBIC, .scale = 4},
     .temporal = VSR_MODELS_T_SINGLE,
     .in_channels = 3},
    {.name = "SWRN",
     .desc = "sliding-window recurrent net, base 16, 3 blocks/trunk (shermanlian/swrn)",
     .hp = {.family = VSR_MODELS_SWRN, .scale = 4, .channels = 16, .blocks = 3},
     .temporal = VSR_MODELS_T_WINDOW3_STATE,
     .in_channels = 9,
     .state_channels = 32,
     .weights_hint =
         "use the committed models/weights/SWRN.vsrw (retrain: vsrbench train "
         "configs/train_swrn.yaml), or import the published checkpoint: vsrbench models "
         "--import SWRN --npy ../shared/data/weights/swrn/npy --map models/maps/swrn.yaml "
         "-o FILE"},
    {.name = "SWRN_1",
     .desc = "SWRN with 2 blocks per trunk",
     .hp = {.family = VSR_MODELS_SWRN, .scale = 4, .channels = 16, .blocks = 2},
     .temporal = VSR_MODELS_T_WINDOW3_STATE,
     .in_channels = 9,
     .state_channels = 32,
     .weights_hint = "none are committed; train them: vsrbench train configs/train_swrn.yaml "
                     "--set model=SWRN_1 --set name=train_swrn_1"},
    {.name = "ABPN",
     .desc = "anchor-based plain net x4, C=28, 4 body convs (log ABPN_0)",
     .hp = {.family = VSR_MODELS_ABPN, .scale = 4, .channels = 28, .blocks = 4},
     .temporal = VSR_MODELS_T_SINGLE,
     .in_channels = 3,
     .weights_hint = "use the committed models/weights/ABPN.vsrw, or retrain: vsrbench train "
                     "configs/train_abpn.yaml"},
    {.name = "ABPN_x3",
     .desc = "public ABPN x3, C=28, 4 body convs (NJU-Jet/SR_Mobile_Quantization)",
     .hp = {.family = VSR_MODELS_ABPN, .scale = 3, .channels = 28, .blocks = 4},
     .temporal = VSR_MODELS_T_SINGLE,
     .in_channels = 3,
     .weights_hint = "import: vsrbench models --import ABPN_x3 --npy "
                     "../shared/data/weights/abpn_x3/fp32_npy --map models/maps/abpn_x3.yaml "
                     "-o FILE, or --tflite ../shared/data/weights/abpn_x3/*_qat.tflite"},
    {.name = "ELSR",
     .desc = "ELSR: conv 3->6, residual [conv, PReLU, conv], conv 6->48, d2s (log ELSR_0)",
     .hp = {.family = VSR_MODELS_ELSR, .scale = 4, .channels = 6},
     .temporal = VSR_MODELS_T_SINGLE,
     .in_channels = 3,
     .weights_hint = "use the committed models/weights/ELSR.vsrw, or retrain: vsrbench train "
                     "configs/train_elsr.yaml"},
    {.name = "MobileRRN_16",
     .desc = "MAI 2022 real-time VSR baseline, 16 ch, 5 residual blocks",
     .hp = {.family = VSR_MODELS_MOBILERRN, .scale = 4, .channels = 16, .blocks = 5},
     .temporal = VSR_MODELS_T_PAIR_STATE,
     .in_channels = 6,
     .state_channels = 16,
     .weights_hint = "import: vsrbench models --import MobileRRN_16 --tflite "
                     "../shared/data/weights/mobilerrn/rrn_16.tflite -o FILE"},
    {.name = "MobileRRN_32",
     .desc = "MAI 2022 real-time VSR baseline, 32 ch, 5 residual blocks",
     .hp = {.family = VSR_MODELS_MOBILERRN, .scale = 4, .channels = 32, .blocks = 5},
     .temporal = VSR_MODELS_T_PAIR_STATE,
     .in_channels = 6,
     .state_channels = 32,
     .weights_hint = "import: vsrbench models --import MobileRRN_32 --tflite "
                     "../shared/data/weights/mobilerrn/rrn_32.tflite -o FILE"},
    {.name = "MobileRRN_64",
     .desc = "MAI 2022 real-time VSR baseline, 64 ch, 5 residual blocks",
     .hp = {.family = VSR_MODELS_MOBILERRN, .scale = 4, .channels = 64, .blocks = 5},
     .temporal = VSR_MODELS_T_PAIR_STATE,
     .in_channels = 6,
     .state_channels = 64,
     .weights_hint = "import: vsrbench models --import MobileRRN_64 --tflite "
                     "../shared/data/weights/mobilerrn/rrn_64.tflite -o FILE"},
    QSR_H("QuickSRNet_S", "S", 4, 32, 2, "",
          "use the committed models/weights/QuickSRNet_S.vsrw, or retrain: vsrbench train "
          "configs/train_quicksrnet.yaml --set model=QuickSRNet_S"),
    QSR_H("QuickSRNet_M", "M", 4, 32, 5, "",
          "use the committed models/weights/QuickSRNet_M.vsrw, or retrain: vsrbench train "
          "configs/train_quicksrnet.yaml"),
    QSR("QuickSRNet_L", "L", 4, 64, 11, QSR_ITO),
    QSR("QuickSRNet_S_x2", "S", 2, 32, 2, ""),
    QSR("QuickSRNet_M_x2", "M", 2, 32, 5, ""),
    QSR("QuickSRNet_L_x2", "L", 2, 64, 11, QSR_ITO),
    QSR("QuickSRNet_S_x3", "S", 3, 32, 2, ""),
    QSR("QuickSRNet_M_x3", "M", 3, 32, 5, ""),
    QSR("QuickSRNet_L_x3", "L", 3, 64, 11, QSR_ITO),
    XLSR("XLSR", 4,
         "use the committed models/weights/XLSR.vsrw, or retrain: vsrbench train "
         "configs/train_xlsr.yaml"),
    XLSR("XLSR_x2", 2, XLSR_HINT),
    XLSR("XLSR_x3", 3, XLSR_HINT),
    MVW("MVSR_13", "FANI: F16 B4 r1/2 PFE 5x5+5x5d3 PPA 3x3 fc AFA BSConv", .B = 4),
    MV("MVSR_13_1", "tail=BSConv", .tail_bsconv = 1),
    MVW("MVSR_13_2", "r=1/4 (d=4)", .ratio_num = 1, .ratio_den = 4),
    MVW("MVSR_13_3", "r=1/8 (d=2)", .ratio_num = 1, .ratio_den = 8),
    MV("MVSR_13_4", "r=3/4 (d=12)", .ratio_num = 3, .ratio_den = 4),
    MV("MVSR_13_5", "r=7/8 (d=14)", .ratio_num = 7, .ratio_den = 8),
    MV("MVSR_13_6", "r=3/8 (d=6)", .ratio_num = 3, .ratio_den = 8),
    MV("MVSR_13_7", "r=5/8 (d=10)", .ratio_num = 5, .ratio_den = 8),
    MVW("MVSR_14", "align=1x1 conv on 9ch (->16), BSConv 16->16",
        .align = VSR_MVSR_ALIGN_CONV1X1),
    MVW("MVSR_15", "B=3", .B = 3),
    MV("MVSR_16", "r=1 no fc; PFE 17x17; shallow 3x3", .ratio_num = 1, .ratio_den = 1, .fc = 0,
       PFE17, .shallow_bsconv = 0),
    MV("MVSR_17", "PFE 3x3; PPA 5x5+5x5d3", PFE3, PPA55),
    MV("MVSR_18", "MVSR_17 + shallow 3x3", PFE3, PPA55, .shallow_bsconv = 0),
    MV("MVSR_19", "B=3; PPA 5x5+5x5d3", .B = 3, PPA55),
    MV("MVSR_20", "PFE 17x17 (no RF decomposition)", PFE17),
    MV("MVSR_21", "MVSR_16 + no align (centre frame only)", .ratio_num = 1, .ratio_den = 1,
       .fc = 0, PFE17, .shallow_bsconv = 0, .align = VSR_MVSR_ALIGN_NONE),
    MV("MVSR_21_1", "MVSR_16 + no align, 3x3 conv on 9ch", .ratio_num = 1, .ratio_den = 1,
       .fc = 0, PFE17, .shallow_bsconv = 0, .align = VSR_MVSR_ALIGN_STACK9),
    MV("MVSR_22", "PFE 17x17; shallow 3x3", PFE17, .shallow_bsconv = 0),
    MVW("MVSR_23", "partial convs depthwise", .dw = 1),
    MV("MVSR_24", "r=1, no fc", .ratio_num = 1, .ratio_den = 1, .fc = 0),
    MV("MVSR_24_revalid", "r=1, keep fc", .ratio_num = 1, .ratio_den = 1, .fc = 1),
    MVW("MVSR_25", "shallow 3x3", .shallow_bsconv = 0),
    MV("MVSR_26", "= MVSR_20", PFE17),
    MV("MVSR_27", "no fc", .fc = 0),
    MV("MVSR_12", "AFA v1 (+12-param op)", .align = VSR_MVSR_ALIGN_AFA_V1),
    MV("MVSR_11", "AFA v1, depthwise", .align = VSR_MVSR_ALIGN_AFA_V1, .dw = 1),
    MV("MVSR_10", "AFA v1, dw, B3, per-block 1x1 channel fuse", .align = VSR_MVSR_ALIGN_AFA_V1,
       .dw = 1, .B = 3, .fuse = 1),
    SI("SWAT_3", "stand-in: B3 r7/8 dw, PFE 3x3, PPA 5x5+5x5d3", .B = 3, .ratio_num = 7,
       .ratio_den = 8, .dw = 1, PFE3, PPA55),
    SI("SORT_0", "stand-in: B1 r7/8 mix1, PFE 3x3", .B = 1, .ratio_num = 7, .ratio_den = 8,
       .mix = 1, PFE3),
    SI("SORT_2", "stand-in: B2 r5/8 mix1", .B = 2, .ratio_num = 5, .ratio_den = 8, .mix = 1),
    SI("VSR_12", "stand-in: B2 mix1, PFE 7x7+7x7d3, PPA 5x5+5x5d3", .B = 2, .mix = 1,
       .pfe_n = 2, .pfe_k = {7, 7}, .pfe_dil = {1, 3}, PPA55),
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

int vsr_models_zoo_count(void)
{
    return (int)(sizeof(zoo) / sizeof(zoo[0]));
}

const vsr_models_entry *vsr_models_zoo_get(int i)
{
    if (i < 0 || i >= vsr_models_zoo_count())
        return NULL;
    return &zoo[i];
}

const vsr_models_entry *vsr_models_zoo_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < vsr_models_zoo_count(); i++)
        if (!strcasecmp(zoo[i].name, name))
            return &zoo[i];
    /* aliases used in the research log */
    static const struct {
        const char *alias, *name;
    } aliases[] = {{"SWRN_0", "SWRN"},
                   {"ABPN_0", "ABPN"},
                   {"ELSR_0", "ELSR"},
                   {"FANI", "MVSR_13"},
                   {"MobileRRN", "MobileRRN_64"},
                   {"SWAT_3~", "SWAT_3"},
                   {"SORT_0~", "SORT_0"},
                   {"SORT_2~", "SORT_2"},
                   {"VSR_12~", "VSR_12"}};
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcasecmp(aliases[i].alias, name))
            return vsr_models_zoo_find(aliases[i].name);
    return NULL;
}

const char *vsr_models_temporal_name(enum vsr_models_temporal t)
{
    switch (t) {
    case VSR_MODELS_T_SINGLE:
        return "x(t)";
    case VSR_MODELS_T_WINDOW3:
        return "window3";
    case VSR_MODELS_T_WINDOW3_STATE:
        return "window3+state";
    case VSR_MODELS_T_PAIR_STATE:
        return "pair+state";
    case VSR_MODELS_T_PREV_HR:
        return "prev-HR";
    }
    return "unknown";
}

void vsr_models_mvsr_defaults(vsr_models_mvsr_hp *hp)
{
    const vsr_models_mvsr_hp d = {MVSR13};
    *hp = d;
}
