/*
 * vsrbench upscale: run one model over a video or a folder of frames and
 * write the SR video (FFV1 / x264) or PNG frames. Only the video stream is
 * read, so audio is dropped. Models with a temporal interface (windows,
 * hidden state, previous SR frame) get the frames through the clip runner,
 * the whole input being one clip. INT8 calibrates on the first frames, which
 * are kept and upscaled first, so a video is read once, front to back. Ctrl-C
 * stops between frames: the temporary video is removed and the exit is 130.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pthreadpool.h>

#include "cli.h"
#include "commands.h"
#include "pipeline.h"
#include "vsr/bench.h"
#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"

enum {
    ARG_TILE = 256,
    ARG_PAD,
    ARG_CODEC,
    ARG_CRF,
    ARG_LOSSLESS,
    ARG_TILE_MODE,
    ARG_PADDING,
    ARG_TILE_WORKERS,
};

/* Bytes this process may use: MemAvailable, else the free physical pages. */
static size_t memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    if (kb)
        return (size_t)(kb * 1024ull);
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : SIZE_MAX;
}

/*
 * With --tile 0, tile when the untiled plan of an H x W frame does not fit 80 % of the
 * available memory: the largest tile that fits (one line on stderr says which), or a
 * one-line error saying what would. The scratch per pixel is the engine's own count
 * (vsr_graph_count) at 128 x 128; the fixed part is the whole-frame float input and
 * output buffers and the 8-bit LR/SR frames.
 */
static int plan_tile(const vsr_graph *g, const vsr_models_entry *e, vsr_precision prec, int H,
                     int W, int scale, int pad, int *tile, vsr_error *err)
{
    vsr_graph_stats st;
    int rc = vsr_graph_count(g, 128, 128, prec, &st, err);
    if (rc)
        return rc;
    double per_px = (double)st.peak_scratch_bytes / (128.0 * 128.0);
    double px = (double)H * W, spx = px * scale * scale;
    double fixed_d =
        px * (4.0 * (e->in_channels + e->state_channels) + 3.0) + spx * (4.0 * 3 + 3.0);
    size_t avail = memory_available();
    size_t budget = avail == SIZE_MAX ? SIZE_MAX : avail / 5 * 4;
    size_t fixed = fixed_d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)fixed_d;
    rc = vsr_tile_fit(budget, H, W, pad, per_px, fixed, tile);
    const double gb = 1e9;
    if (rc == -ENOMEM)
        return vsr_error_set(err, -ENOMEM,
                             "a %dx%d frame needs %.1f GB for its whole-frame buffers alone "
                             "but %.1f GB is available; upscale a smaller input or split it",
                             W, H, fixed_d / gb, (double)budget / gb);
    if (rc)
        return vsr_error_set(err, rc, "cannot plan tiles for a %dx%d frame", W, H);
    if (*tile && !st.tile_exact)
        return vsr_error_set(err, -ENOMEM,
                             "a %dx%d frame needs %.1f GB untiled but %.1f GB is available, "
                             "and %s has whole-image ops, so tiling changes its output: "
                             "rerun with --tile %d if that is acceptable",
                             W, H, (fixed_d + per_px * px) / gb, (double)budget / gb, e->name,
                             *tile);
    if (*tile)
        fprintf(stderr,
                "vsrbench upscale: a %dx%d frame needs %.1f GB untiled, %.1f GB is "
                "available: tiling with --tile %d --pad %d\n",
                W, H, (fixed_d + per_px * px) / gb, (double)budget / gb, *tile, pad);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench upscale --model M [--precision P] [--weights W] [--threads N]\n"
        "                        [--tile T --pad P|auto] [--tile-mode M] [--padding P]\n"
        "                        [--tile-workers N] [--codec ffv1|x264|png]\n"
        "                        [--crf N | --lossless] [--calibration C]\n"
        "                        [--requant float|tflite] [--conv-algo A]\n"
        "                        [--keep-float L1,L2 [--keep-float-precision fp16]] IN OUT\n"
        "\n"
        "Upscale IN (a video file or a folder of images) with zoo model M and write OUT:\n"
        "a video (.mkv/.avi/.nut: lossless FFV1; .mp4/.mov/.264: H.264 yuv420p, crf 18,\n"
        "which browsers and slide tools play; --lossless: lossless RGB H.264) or, for a name\n"
        "without an extension or ending in '/', a folder of PNG frames %%08d.png. Other\n"
        "extensions are refused. OUT must not be, contain or lie inside IN. Audio is\n"
        "dropped. A frame whose untiled plan does not fit the available memory is\n"
        "tiled automatically (--tile 0 only; the tile is said on stderr).\n"
        "\n"
        "options:\n"
        "      --model M        zoo name (vsrbench models lists them)\n"
        "      --precision P    fp32 (default), fp16, fp16n (native FP16 arithmetic) or\n"
        "                       int8 (see --calibration); int8-sym (symmetric\n"
        "                       activations), int8-pt (per-tensor weights), int8-asym;\n"
        "                       suffixes combine: int8-pt-sym-u8-pow2 (docs/QUANTIZATION.md)\n"
        "      --weights W      trained weights (.vsrw, or .tflite to import)\n"
        "      --threads N      worker threads (default 1), or auto: the idle CPUs, kept\n"
        "                       only if the first frames run faster on them than on 1\n"
        "      --tile T         tile edge in LR pixels (0 = whole frame, default)\n"
        "      --pad P          tile overlap in LR pixels (default 8), or auto: the\n"
        "                       model's receptive field (vsrbench models -v M)\n"
        "      --tile-mode M    clip (default: edge tiles clipped to the frame), fixed\n"
        "                       (every run T x T, the pad included, edge windows\n"
        "                       shifted inside the frame: exact with --pad auto), padded\n"
        "                       (the frame padded by P: inexact at its edge) or feather\n"
        "                       (fixed windows, overlaps averaged)\n"
        "      --padding P      fixed / padded / feather fill outside the frame: zero\n"
        "                       (default), mean (per-channel mean of the calibration\n"
        "                       frames, else the first frame; said on stderr), reflect,\n"
        "                       replicate\n"
        "      --tile-workers N tiles on N workers, each with its own engine (and a pool\n"
        "                       of --threads threads when that is above 1; default 1)\n"
        "      --codec C        ffv1, x264 or png (default: from OUT's extension)\n"
        "      --crf N          x264 yuv420p quality, 1-51 (default 18); 0 = --lossless\n"
        "      --lossless       x264: lossless RGB (libx264rgb; few players show it)\n"
        "      --calibration C  int8: file (the parameters of an INT8 .tflite --weights\n"
        "                       or the QAT ranges of a .vsrw trained with qat:; the\n"
        "                       default for those), minmax (the default otherwise),\n"
        "                       percentile, mse, ema (moving-average min/max) or kl\n"
        "                       (TensorRT's entropy) on the first --calib-frames frames\n"
        "      --calib-frames N int8 calibration frames (default 8)\n"
        "      --requant R      int8 arithmetic: float (default: FP32 requantization) or\n"
        "                       tflite (TFLite's integer kernels: with --calibration file\n"
        "                       an INT8 .tflite gives TFLite's output bits)\n"
        "      --keep-float L   int8: run the comma-separated layers L (names or # rows of\n"
        "                       'vsrbench models -v M') in FP32 inside the INT8 graph\n"
        "      --keep-float-precision P  fp32 (default) or fp16 for --keep-float\n"
        "      --conv-algo A    fp32 / fp16 3x3 convs: direct (default), winograd (F(2,3)),\n"
        "                       winograd4 (F(4,3)) or auto (the fastest per layer, timed on\n"
        "                       the first frame); Winograd is within a stated error bound\n"
        "                       of direct, not bit-equal (docs/PERFORMANCE.md, Winograd)\n"
        "      --progress WHEN  auto (stderr is a terminal), always, never\n"
        "  -h, --help           this help\n"
        "exit codes: 0 ok, 1 runtime failure (input, weights, encoder), 2 usage error,\n"
        "            130 interrupted (Ctrl-C; a video OUT is not written)\n");
}

int vsr_cmd_upscale(int argc, char **argv)
{
    static const struct option opts[] = {
        VSR_CLI_SHARED(VSR_CLI_OPT_MODEL),
        VSR_CLI_SHARED(VSR_CLI_OPT_PRECISION),
        VSR_CLI_SHARED(VSR_CLI_OPT_WEIGHTS),
        VSR_CLI_SHARED(VSR_CLI_OPT_THREADS_AUTO),
        {"tile", required_argument, NULL, ARG_TILE},
        {"pad", required_argument, NULL, ARG_PAD},
        {"codec", required_argument, NULL, ARG_CODEC},
        {"crf", required_argument, NULL, ARG_CRF},
        VSR_CLI_SHARED(VSR_CLI_OPT_CALIB_FRAMES),
        VSR_CLI_SHARED(VSR_CLI_OPT_CALIBRATION_FILE),
        {"lossless", no_argument, NULL, ARG_LOSSLESS},
        VSR_CLI_SHARED(VSR_CLI_OPT_PROGRESS),
        VSR_CLI_SHARED(VSR_CLI_OPT_REQUANT),
        {"tile-mode", required_argument, NULL, ARG_TILE_MODE},
        {"padding", required_argument, NULL, ARG_PADDING},
        {"tile-workers", required_argument, NULL, ARG_TILE_WORKERS},
        VSR_CLI_SHARED(VSR_CLI_OPT_KEEP_FLOAT),
        VSR_CLI_SHARED(VSR_CLI_OPT_KEEP_FLOAT_PRECISION),
        VSR_CLI_SHARED(VSR_CLI_OPT_CONV_ALGO),
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option long_opts[sizeof(opts) / sizeof(opts[0])];
    vsr_cli_common co;
    const char *codec = NULL;
    long tile = 0, pad = 8, crf = 18, tile_workers = 1;
    vsr_tile_mode tile_mode = VSR_TILE_CLIP;
    vsr_tile_padding padding = VSR_TPAD_ZERO;
    int opt;
    vsr_error err = {0};
    vsr_cli_begin(opts, long_opts, &co);
    co.precision = "fp32";
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case ARG_TILE:
            rc = vsr_parse_long(optarg, 0, 1 << 16, &tile, "--tile", &err);
            break;
        case ARG_PAD:
            if (!strcmp(optarg, "auto"))
                pad = VSR_PAD_AUTO;
            else
                rc = vsr_parse_long(optarg, 0, 1 << 12, &pad, "--pad", &err);
            break;
        case ARG_TILE_MODE:
            if ((rc = vsr_tile_mode_parse(optarg, &tile_mode, &err)))
                vsr_error_wrap(&err, rc, "--tile-mode");
            break;
        case ARG_PADDING:
            if ((rc = vsr_tile_padding_parse(optarg, &padding, &err)))
                vsr_error_wrap(&err, rc, "--padding");
            break;
        case ARG_TILE_WORKERS:
            rc = vsr_parse_long(optarg, 1, 1024, &tile_workers, "--tile-workers", &err);
            break;
        case ARG_CRF:
            rc = vsr_parse_long(optarg, 0, 51, &crf, "--crf", &err);
            break;
        case ARG_LOSSLESS:
            crf = 0;
            break;
        case ARG_CODEC:
            codec = optarg;
            break;
        default: /* a shared option (rc 1), -h, --help or a bad option */
            if (!(rc = vsr_cli_common_opt(opt, optarg, &co, &err)))
                return vsr_cli_help_exit(opt, usage);
        }
        if (rc < 0) {
            fprintf(stderr, "vsrbench upscale: %s\n", err.msg);
            return VSR_EXIT_USAGE;
        }
    }
    if (argc - optind != 2 || !co.model) {
        fprintf(stderr, "vsrbench upscale: expected --model M and the paths IN OUT; see "
                        "'vsrbench upscale --help'\n");
        return VSR_EXIT_USAGE;
    }
    const char *in_path = argv[optind], *out_path = argv[optind + 1];
    co.progress = vsr_cli_progress_resolve(co.progress);
    vsr_sink_options so = {.kind = VSR_SINK_AUTO, .crf = (int)crf};
    if (codec) {
        if (!strcasecmp(codec, "ffv1"))
            so.kind = VSR_SINK_FFV1;
        else if (!strcasecmp(codec, "x264"))
            so.kind = VSR_SINK_X264;
        else if (!strcasecmp(codec, "png"))
            so.kind = VSR_SINK_PNG_DIR;
        else {
            fprintf(stderr, "vsrbench upscale: --codec %s: expected ffv1, x264 or png\n",
                    codec);
            return VSR_EXIT_USAGE;
        }
    }
    /* Refuse, before anything is read or written, an OUT that would destroy IN
     * or whose type would be guessed. */
    if (vsr_sink_resolve(out_path, so.kind, &so.kind, &err) ||
        vsr_path_check_output(out_path, in_path, "the input", &err) ||
        (co.weights && vsr_path_check_output(out_path, co.weights, "--weights", &err))) {
        fprintf(stderr, "vsrbench upscale: %s\n", err.msg);
        return VSR_EXIT_USAGE;
    }
    const vsr_models_entry *e = vsr_models_zoo_find(co.model);
    if (!e) {
        fprintf(stderr,
                "vsrbench upscale: --model %s: not in the zoo (see 'vsrbench models')\n",
                co.model);
        return VSR_EXIT_USAGE;
    }
    vsr_precision prec;
    vsr_quant_scheme scheme; /* int8-sym, int8-pt, ...: set on the graph before calibration */
    if (vsr_precision_parse_scheme(co.precision, &prec, &scheme, &err)) {
        fprintf(stderr, "vsrbench upscale: --precision: %s\n", err.msg);
        return VSR_EXIT_USAGE;
    }
    if (co.calibration && prec != VSR_PREC_INT8) {
        fprintf(stderr, "vsrbench upscale: --calibration is for --precision int8 only\n");
        return VSR_EXIT_USAGE;
    }
    if (co.requant_set && prec != VSR_PREC_INT8) {
        fprintf(stderr, "vsrbench upscale: --requant is for --precision int8 only\n");
        return VSR_EXIT_USAGE;
    }
    if ((co.keep_float || co.keep_float_prec_s) && prec != VSR_PREC_INT8) {
        fprintf(stderr, "vsrbench upscale: --keep-float is for --precision int8 only\n");
        return VSR_EXIT_USAGE;
    }
    if (e->hp.family == VSR_MODELS_BICUBIC && (prec != VSR_PREC_FP32 || co.weights || tile)) {
        fprintf(stderr, "vsrbench upscale: bicubic takes no --precision other than fp32, no "
                        "--weights and no --tile\n");
        return VSR_EXIT_USAGE;
    }
    char *keep_buf = NULL, **keep_names = NULL;
    int n_keep = 0;
    if (co.keep_float && vsr_cli_split_list(co.keep_float, "--keep-float", &keep_buf,
                                            &keep_names, &n_keep, &err)) {
        fprintf(stderr, "vsrbench upscale: %s\n", err.msg);
        return VSR_EXIT_USAGE;
    }
    vsr_layer_precision *keep_lp =
        vsr_cli_layer_prec((const char *const *)keep_names, n_keep, co.keep_float_prec);

    int ret = VSR_EXIT_FAILURE, n_written = 0;
    vsr_source *src = NULL;
    vsr_sink *sink = NULL;
    pthreadpool_t pool = NULL;
    vsr_models_instance *inst = NULL;
    vsr_models_runner *runner = NULL;
    vsr_frame lr = {0}, sr = {0}, *cal = NULL;
    int n_cal = 0, next_cal = 0;
    int scale = e->hp.scale;
    struct sigaction old_int;
    vsr_cli_sigint_begin(&old_int);
    if (vsr_source_open(in_path, 3, &src, &err))
        goto fail;
    int W = vsr_source_width(src), H = vsr_source_height(src),
        total = vsr_source_frame_count(src);
    if (co.threads_auto) {
        int usable = 0;
        double idle = 0;
        co.threads = vsr_cli_idle_cores(&usable, &idle);
        if (co.threads == 1) { /* nothing to measure */
            fprintf(stderr, "threads: auto -> 1 (%.1f of %d usable CPUs idle)\n", idle, usable);
            co.threads_auto = 0;
        }
    }
    if (vsr_cli_pool_create(co.threads, &pool, &err))
        goto fail;
    /* graph and weights; calibration and the engine follow */
    vsr_models_spec spec = {.model = e->name,
                            .h = H,
                            .w = W,
                            .precision = prec,
                            .scheme = scheme,
                            .pool = pool,
                            .flags = VSR_MODELS_OPEN_NO_ENGINE};
    if (co.weights)
        vsr_models_spec_weights_from_path(&spec, co.weights);
    if (vsr_models_open(&spec, &inst, &err))
        goto fail;
    vsr_graph *g = inst->graph;
    vsr_engine_options eo;
    vsr_engine_options_default(&eo);
    if (g) {
        /* an INT8 .tflite came with its own parameters: use them unless told otherwise */
        if (prec == VSR_PREC_INT8 && !co.calibration)
            co.calibration = vsr_graph_quant_missing(g) < 0 ? "file" : "minmax";
        if (prec == VSR_PREC_INT8 && !strcmp(co.calibration, "file")) {
            char lab[512]; /* the error names the weights file that lacks ranges */
            snprintf(lab, sizeof(lab), "%s (weights %s)", e->name,
                     co.weights ? co.weights : "zoo");
            if (vsr_models_calibrate(g, pool, e->temporal, e->in_channels, e->state_channels,
                                     lab, co.calibration, 0, NULL, 0, &err))
                goto fail;
        } else if (prec == VSR_PREC_INT8) {
            /* calibrate on the first frames, kept to be upscaled first (a video
             * cannot seek back) */
            cal = calloc((size_t)co.calib_frames, sizeof(*cal));
            if (!cal) {
                vsr_error_set(&err, -ENOMEM, "out of memory");
                goto fail;
            }
            int got = 0;
            while (n_cal < co.calib_frames && !vsr_cli_interrupted() &&
                   (got = vsr_source_read(src, &cal[n_cal], &err)) > 0)
                n_cal++;
            if (vsr_cli_interrupted())
                goto interrupted;
            if (n_cal == 0 || got < 0) {
                if (n_cal == 0 && got == 0)
                    vsr_error_set(&err, -ENODATA, "%s: no frame to calibrate on", in_path);
                goto fail;
            }
            if (vsr_models_calibrate(g, pool, e->temporal, e->in_channels, e->state_channels,
                                     e->name, co.calibration, n_cal, cal, n_cal, &err))
                goto fail;
        }
        if (pad == VSR_PAD_AUTO) {
            int r = 0;
            if (vsr_graph_receptive_field(g, &r, &err)) {
                vsr_error_wrap(&err, -EINVAL, "--pad auto");
                goto fail;
            }
            pad = r;
        }
        if (padding == VSR_TPAD_MEAN && tile_mode != VSR_TILE_CLIP) {
            /* the mean of the frames held for calibration, else of the first frame
             * (kept to be upscaled first) */
            if (!n_cal) {
                int got;
                if (!(cal = calloc(1, sizeof(*cal)))) {
                    vsr_error_set(&err, -ENOMEM, "out of memory");
                    goto fail;
                }
                if ((got = vsr_source_read(src, &cal[0], &err)) <= 0) {
                    if (got == 0)
                        vsr_error_set(&err, -ENODATA, "%s: no frame", in_path);
                    goto fail;
                }
                n_cal = 1;
            }
            vsr_cli_frames_mean(cal, n_cal, eo.pad_mean);
            fprintf(stderr, "padding mean: %.3f %.3f %.3f (of %d frame%s)\n", eo.pad_mean[0],
                    eo.pad_mean[1], eo.pad_mean[2], n_cal, n_cal > 1 ? "s" : "");
        }
        if (tile == 0) {
            int auto_tile = 0;
            if (plan_tile(g, e, prec, H, W, scale, (int)pad, &auto_tile, &err))
                goto fail;
            /* the fit is a centre; fixed / padded / feather windows include the pad */
            tile = auto_tile && tile_mode != VSR_TILE_CLIP ? auto_tile + 2 * pad : auto_tile;
        }
        eo.tile = (int)tile;
        eo.pad = (int)pad;
        eo.tile_mode = tile_mode;
        eo.padding = padding;
        eo.tile_workers = (int)tile_workers;
        eo.threads_auto = co.threads_auto;
        eo.requant = co.requant;
        eo.conv_algo = co.conv_algo;
        eo.layer_prec = keep_lp;
        eo.n_layer_prec = keep_lp ? n_keep : 0;
    }
    if (vsr_models_start(inst, prec, pool, &eo, &err))
        goto fail;
    if (vsr_models_runner_create(e->temporal, scale, &inst->step, &runner, &err) ||
        vsr_frame_alloc(&sr, W * scale, H * scale, 3, &err))
        goto fail;
    double fps = vsr_source_fps(src);
    if (fps > 0) {
        so.fps_num = (int)lround(fps * 1000.0);
        so.fps_den = 1000;
    }
    if (vsr_sink_open(out_path, &so, &sink, &err))
        goto fail;
    double t0 = vsr_timing_now_ms();
    for (int eof = 0, ready = 1; !eof || ready;) {
        const vsr_frame *in = NULL;
        if (vsr_cli_interrupted())
            goto interrupted;
        if (!eof && next_cal < n_cal) {
            in = &cal[next_cal++];
        } else if (!eof) {
            int got = vsr_source_read(src, &lr, &err);
            if (got < 0)
                goto fail;
            if (got == 0)
                eof = 1;
            else
                in = &lr;
        }
        if (vsr_models_runner_push(runner, in, &sr, &ready, NULL, &err))
            goto fail;
        if (co.threads_auto && inst->engine && vsr_engine_threads(inst->engine) > 0) {
            vsr_cli_progress_clear(co.progress);
            fprintf(stderr, "threads: auto -> %d (%ld idle CPUs measured against 1)\n",
                    vsr_engine_threads(inst->engine), co.threads);
            co.threads_auto = 0;
        }
        if (co.conv_algo == VSR_CONV_AUTO && inst->engine && n_written == 0 && ready) {
            /* the first frame chose: say what each conv runs */
            vsr_cli_progress_clear(co.progress);
            fprintf(stderr, "conv-algo: auto ->");
            for (int i = 0; i < vsr_engine_layer_count(inst->engine); i++) {
                vsr_layer_profile lp;
                if (!vsr_engine_layer_profile(inst->engine, i, &lp) && lp.algo)
                    fprintf(stderr, " %s: %s;", lp.name, lp.algo);
            }
            fprintf(stderr, "\n");
        }
        if (!ready)
            continue;
        if (vsr_sink_write(sink, &sr, &err))
            goto fail;
        n_written++;
        if (co.progress) {
            double s = (vsr_timing_now_ms() - t0) / 1e3;
            if (total > 0)
                fprintf(stderr, "\rframe %d/%d  %.2f fps\033[K", n_written, total,
                        s > 0 ? n_written / s : 0);
            else
                fprintf(stderr, "\rframe %d  %.2f fps\033[K", n_written,
                        s > 0 ? n_written / s : 0);
            fflush(stderr);
        }
    }
    if (vsr_sink_close(&sink, &err))
        goto fail;
    vsr_cli_progress_clear(co.progress);
    printf("%s: %d frame%s %dx%d -> %dx%d with %s (%s%s%s%s%s%s) written to %s\n", in_path,
           n_written, n_written == 1 ? "" : "s", W, H, W * scale, H * scale, e->name,
           prec == VSR_PREC_INT8 ? co.precision : vsr_precision_name(prec),
           co.calibration ? ", calibration " : "", co.calibration ? co.calibration : "",
           co.requant == VSR_REQUANT_TFLITE ? ", requant tflite" : "",
           co.conv_algo != VSR_CONV_DIRECT ? ", conv-algo " : "",
           co.conv_algo != VSR_CONV_DIRECT ? vsr_conv_algo_name(co.conv_algo) : "", out_path);
    ret = VSR_EXIT_OK;
    goto end;
interrupted:
    vsr_cli_progress_clear(co.progress);
    vsr_sink_abort(&sink);
    if (so.kind == VSR_SINK_PNG_DIR)
        fprintf(stderr, "vsrbench upscale: interrupted after %d frame%s; %s holds only those\n",
                n_written, n_written == 1 ? "" : "s", out_path);
    else
        fprintf(stderr, "vsrbench upscale: interrupted after %d frame%s; %s not written\n",
                n_written, n_written == 1 ? "" : "s", out_path);
    ret = VSR_EXIT_INTERRUPTED;
    goto end;
fail:
    vsr_cli_progress_clear(co.progress);
    fprintf(stderr, "vsrbench upscale: %s\n", err.msg);
    vsr_sink_abort(&sink);
end:
    for (int i = 0; cal && i < n_cal; i++)
        vsr_frame_free(&cal[i]);
    free(cal);
    vsr_frame_free(&lr);
    vsr_frame_free(&sr);
    vsr_models_runner_free(&runner);
    vsr_models_close(&inst);
    if (pool)
        pthreadpool_destroy(pool);
    vsr_source_close(&src);
    vsr_cli_sigint_end(&old_int);
    free(keep_lp), free(keep_names), free(keep_buf);
    return ret;
}
