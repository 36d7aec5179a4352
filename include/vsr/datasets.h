/**
 * @file datasets.h
 * @brief Frames in and out: image and video decoding (FFmpeg 5.1), PNG and
 *        video writers, MATLAB-compatible imresize, the BI/BD degradations,
 *        the dataset layouts (REDS, Vid4, pair of folders, single video) and
 *        the embedded "demo" dataset.
 *
 * Conventions (see core.h): every fallible function returns 0 (or a
 * documented non-negative value) on success and a negative errno code on
 * failure, filling the caller's vsr_error with one line that names the file
 * or thing and the problem. Nothing here exits or keeps mutable globals.
 *
 * Frames. All frames at this boundary are 8-bit interleaved (vsr_frame):
 * RGB24 (channels 3) or gray (channels 1). A function documented as
 * "allocating @p out" expects @p out to be zeroed (or an owned frame, which
 * it first frees) and leaves a frame the caller releases with
 * vsr_frame_free(). On failure @p out is left zeroed.
 *
 * Pixel conversions (stated once, used everywhere):
 *  - 16-bit samples (PNG 16-bit RGB/gray, any >8-bit decoder output) become
 *    8-bit by v8 = round(v16 / 257) = (v16 + 128) / 257 (integer division;
 *    exact, no ties because 257 is odd): the inverse of the 8->16 bit
 *    expansion v16 = 257 * v8, so an 8-bit image stored as 16-bit reads back
 *    unchanged.
 *  - Alpha is dropped (colour channels kept as stored, no compositing).
 *  - Gray -> RGB replicates the value into R, G and B.
 *  - RGB -> gray (only when a caller asks for 1 channel from a colour
 *    image): round(0.299 R + 0.587 G + 0.114 B), half away from zero.
 *  - YUV -> RGB24 (video, JPEG): swscale with the stream's own matrix
 *    (BT.601 / BT.709 / BT.2020 / SMPTE 240M / FCC from AVFrame.colorspace;
 *    unspecified -> BT.709 for height >= 720, BT.601 otherwise, as players
 *    do) and range (AVFrame.color_range; full for the yuvj* formats and
 *    JPEG, limited when unspecified) set with sws_setColorspaceDetails(),
 *    and flags SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
 *    SWS_BITEXACT: ACCURATE_RND rounds the matrix products instead of
 *    truncating (the fast path is off by up to 1-2 levels), FULL_CHR_H_INT
 *    interpolates chroma to full horizontal resolution before the matrix
 *    instead of reusing one chroma sample for a pixel pair, BITEXACT makes
 *    the result independent of the CPU's SIMD path (reproducible numbers on
 *    every machine), BICUBIC is the chroma upsampling filter (as ffmpeg's
 *    CLI default).
 *  - RGB-family decoder outputs (rgb24, bgr24, gbrp, bgr0, rgba, gray8, ...)
 *    are repacked without arithmetic, so lossless RGB video is bit exact.
 */
#ifndef VSR_DATASETS_H
#define VSR_DATASETS_H

#include <stddef.h>
#include <stdint.h>

#include "vsr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Single images
 * ==================================================================== */

/**
 * The largest frame any decoder here accepts, in pixels (8192 x 8192: the
 * decoder refuses a larger one as corrupt data instead of allocating it).
 */
#define VSR_MAX_FRAME_PIXELS (8192L * 8192L)

/**
 * Decode one image file that FFmpeg can read (PNG 8/16-bit RGB, RGBA,
 * gray, gray+alpha, palette; JPEG; BMP; TIFF; WebP; ...), allocating @p out.
 *
 * @param want_channels 0 keeps the file's nature (gray or gray+alpha -> 1
 *        channel, everything else -> 3), 1 forces gray, 3 forces RGB (see
 *        the conversions in the file comment).
 * @return 0, -ENOENT (missing), -EACCES/-EIO (unreadable), -EINVAL (not an
 *         image, truncated or corrupt: the message names @p path).
 */
int vsr_image_read(const char *path, int want_channels, vsr_frame *out, vsr_error *err);

/**
 * Write @p f (1 or 3 channels, any stride) as an 8-bit PNG (gray or RGB24).
 * The data go to "<path>.tmp-XXXXXX" in the same folder, which is then
 * renamed to @p path, so a crash or error never leaves a half-written
 * @p path (on error the temporary file is removed). An existing @p path is
 * replaced. The bytes written depend only on the pixels (FFmpeg's PNG
 * encoder with fixed settings and no metadata), so equal frames give equal
 * files.
 */
int vsr_image_write_png(const char *path, const vsr_frame *f, vsr_error *err);

/* ======================================================================
 * Frame sources: a folder of images or a video file
 * ==================================================================== */

/** An open source of frames (opaque). */
typedef struct vsr_source vsr_source;

/**
 * Open @p path as a frame source: a folder is read as a sequence of images
 * (see vsr_source_open_folder()), anything else as a video file
 * (vsr_source_open_video()).
 *
 * @param want_channels as for vsr_image_read(); with 0 the first frame
 *        decides and every later frame is converted to the same count.
 * @param out receives a new source; the caller closes it with
 *        vsr_source_close(). Untouched (NULL) on failure.
 */
int vsr_source_open(const char *path, int want_channels, vsr_source **out, vsr_error *err);

/**
 * Open a folder of images. Every regular, non-hidden file whose name ends
 * in .png .jpg .jpeg .bmp .tif .tiff .webp .ppm .pgm (case-insensitive) is a
 * frame; frames are ordered by strcmp() of their names (so zero-padded
 * numbers sort naturally; names with spaces are fine). Each file is decoded
 * on its own (image2-style) when it is read. The frame count is known at
 * open; the frame size is taken from the first file (only it is decoded at
 * open) and every later frame must have the same size.
 *
 * Errors: -ENOENT missing folder, -ENOTDIR not a folder, -ENODATA no image
 * in it; each message names the folder.
 */
int vsr_source_open_folder(const char *dir, int want_channels, vsr_source **out,
                           vsr_error *err);

/**
 * Open a video file (any container and codec FFmpeg 5.1 decodes; the first
 * video stream). Frames come out as RGB24 (or gray when asked) in
 * presentation order, converted as described in the file comment.
 * Errors: -ENOENT missing, -EINVAL not a video / no video stream / no
 * decoder; each message names the file.
 */
int vsr_source_open_video(const char *path, int want_channels, vsr_source **out,
                          vsr_error *err);

/**
 * Read the next frame into @p frame (allocated as needed: @p frame must be
 * zeroed or an owned frame from an earlier call, which is reused when its
 * size matches, else freed and reallocated; the caller frees it at the end
 * with vsr_frame_free()).
 *
 * @return 1 when a frame was read, 0 at the end of the source, negative on
 *         error: a corrupt or truncated file (decoder errors, damaged frames,
 *         or a video that ends clearly before the frame count its container
 *         declares, from nb_frames or the duration x fps (not for AVI, whose
 *         headers count dropped frames), with a slack of
 *         2% + 1 frame), a frame whose size differs from the first frame
 *         ("mixed frame sizes"), an unreadable file.
 *         The message names the file and the problem.
 */
int vsr_source_read(vsr_source *src, vsr_frame *frame, vsr_error *err);

/**
 * Number of frames: exact for folders; for videos (except AVI) the container's count
 * when it declares one, else the number of video packets (counted by
 * demuxing only, at open); -1 when unknown.
 */
int vsr_source_frame_count(const vsr_source *src);
/** Frame width/height (of the first frame) and channel count delivered. */
int vsr_source_width(const vsr_source *src);
int vsr_source_height(const vsr_source *src);
int vsr_source_channels(const vsr_source *src);
/** Frames per second of a video (0 when unknown; 0 for folders). */
double vsr_source_fps(const vsr_source *src);
/** The path the source was opened with (owned by the source). */
const char *vsr_source_path(const vsr_source *src);
/**
 * For a folder source: the file name (no folder) of frame @p i (owned by the
 * source), NULL when out of range or for a video.
 */
const char *vsr_source_frame_name(const vsr_source *src, int i);
/**
 * Skip to frame @p index (0-based) so the next read returns it. Folders
 * seek without decoding; videos decode and drop the frames before it.
 */
int vsr_source_seek(vsr_source *src, int index, vsr_error *err);
/**
 * Make a folder source read every file as an image of its own (an image
 * set such as Set5, Set14, DIV2K-valid, Urban100): every later
 * vsr_source_read() returns the file at its own size (no "mixed frame
 * sizes" error) and, when the source was opened with want_channels 0, with
 * its own channel count (a gray file stays gray). vsr_source_width(),
 * _height() and _channels() keep describing the first file. @p on 0 turns
 * the check back on. Returns -EINVAL for a video source (one size).
 */
int vsr_source_set_per_image(vsr_source *src, int on, vsr_error *err);
/** Close the source, free everything, set *src to NULL. NULL-safe. */
void vsr_source_close(vsr_source **src);

/* ======================================================================
 * Frame sinks: a PNG folder or a video file
 * ==================================================================== */

typedef struct vsr_sink vsr_sink;

enum vsr_sink_kind {
    VSR_SINK_AUTO = 0, /**< from the path, see vsr_sink_resolve() */
    VSR_SINK_PNG_DIR,  /**< <dir>/%08d.png, 0-based, via vsr_image_write_png() */
    VSR_SINK_FFV1,     /**< lossless FFV1 (bgr0 or gray8), in .mkv/.avi/.nut */
    VSR_SINK_X264,     /**< libx264 yuv420p (lossy, crf) or libx264rgb (crf 0: lossless) */
};

typedef struct vsr_sink_options {
    enum vsr_sink_kind kind;
    int fps_num;     /**< frame rate numerator; 0 -> 25 */
    int fps_den;     /**< frame rate denominator; 0 -> 1 */
    int crf;         /**< x264 only: 0 lossless RGB (libx264rgb), else libx264 yuv420p crf */
    int first_index; /**< PNG folders: number of the first file (default 0) */
} vsr_sink_options;

/**
 * The kind of sink @p kind means at @p path, into *@p out. AUTO: .mkv, .avi,
 * .nut -> FFV1; .mp4, .mov, .264 -> x264; a name without an extension,
 * ending in '/' or naming an existing folder -> PNG folder; any other
 * extension (.webm, .xyz) -> -EINVAL with one line listing the accepted
 * ones (nothing is guessed). FFV1/X264 need one of the video extensions;
 * PNG_DIR takes any name.
 */
int vsr_sink_resolve(const char *path, enum vsr_sink_kind kind, enum vsr_sink_kind *out,
                     vsr_error *err);

/**
 * Open a sink at @p path (a folder, created if needed, for PNG; a file for
 * video). @p opt may be NULL (AUTO, 25 fps). All frames must have the size
 * and channel count of the first one. A video is written to a temporary
 * name next to @p path and renamed only by a successful vsr_sink_close(),
 * so an error never leaves a half-written video at @p path.
 * Errors: -EINVAL for a path vsr_sink_resolve() refuses, -ENOTSUP when the
 * chosen encoder is not in this FFmpeg build.
 */
int vsr_sink_open(const char *path, const vsr_sink_options *opt, vsr_sink **out,
                  vsr_error *err);
/** Append one frame (the sink does not keep @p f). */
int vsr_sink_write(vsr_sink *sink, const vsr_frame *f, vsr_error *err);
/**
 * PNG folders only: write @p f as <dir>/<stem>.png (an image set keeps its
 * file names). Each named image has its own size and channel count; the
 * numbering of vsr_sink_write() is not advanced. -EINVAL for a video sink
 * or a @p stem that is empty, "." / "..", or contains '/'.
 */
int vsr_sink_write_named(vsr_sink *sink, const vsr_frame *f, const char *stem, vsr_error *err);
/**
 * Flush, write the trailer, rename the video into place, free, set *sink to
 * NULL. Returns the first error met (the sink is freed anyway).
 */
int vsr_sink_close(vsr_sink **sink, vsr_error *err);
/** Abandon the sink: remove the temporary video file, free, NULL *sink. */
void vsr_sink_abort(vsr_sink **sink);

/**
 * Gray copy of @p in (allocating @p out, 1 channel): an RGB frame is
 * converted with the RGB -> gray rule of the file comment (the conversion
 * OpenCV's cvtColor BGR2GRAY makes, to within its fixed-point rounding); a
 * gray frame is copied.
 */
int vsr_frame_to_gray(const vsr_frame *in, vsr_frame *out, vsr_error *err);

/* ======================================================================
 * MATLAB-compatible imresize (bicubic)
 * ==================================================================== */

/**
 * Output length of imresize for one axis: ceil(in_len * scale), computed so
 * that exact products (e.g. 720 * 0.25) are not pushed up by rounding.
 * Returns -EINVAL for in_len <= 0 or scale <= 0.
 */
int vsr_imresize_out_len(int in_len, double scale);

/**
 * The per-axis tap table of imresize (MATLAB contributions()): for output
 * pixel j, taps index[j*ntaps + t] (0-based input index after the
 * half-sample symmetric border mirroring) with weight weight[j*ntaps + t].
 * Kernel: Keys cubic a = -0.5; when scale < 1 the antialiased kernel
 * scale*k(scale*x) of width 4/scale; centre u = (j+1)/scale + 0.5(1-1/scale)
 * (1-based), taps floor(u - width/2) + 0 .. ceil(width)+1, each row
 * normalised to sum 1, taps that are zero for every output dropped (from
 * either end, as MATLAB does). Weights are computed in double.
 * Allocated by vsr_imresize_taps_compute(), freed by vsr_imresize_taps_free().
 */
typedef struct vsr_imresize_taps {
    int in_len;
    int out_len;
    int ntaps;
    int *index;
    double *weight;
} vsr_imresize_taps;

int vsr_imresize_taps_compute(int in_len, double scale, vsr_imresize_taps *taps,
                              vsr_error *err);
void vsr_imresize_taps_free(vsr_imresize_taps *taps);

/**
 * MATLAB imresize(im2double(I), scale, 'bicubic') then im2uint8: output
 * ceil(H*s) x ceil(W*s), rows (height) resized first then columns, in
 * double precision, x255 domain kept exactly (the /255 and *255 cancel),
 * then clipped to [0,255] and rounded half away from zero. Works for
 * scale < 1 (antialiased) and scale >= 1 (e.g. scale 4: the "bicubic"
 * baseline upscaler). @p in has 1 or 3 channels; allocates @p out with the
 * same channel count.
 */
int vsr_imresize_u8(const vsr_frame *in, double scale, vsr_frame *out, vsr_error *err);

/**
 * The same resize on one float plane, with NO rounding or clipping (NIQE's
 * half-scale step: imresize(I/255, 0.5) * 255 is done by the caller on the
 * 0..255 values directly since the resize is linear). Precision: float32
 * throughout like BasicSR (weights computed in double and stored as float32,
 * which is exact for scale 1/2 and 1/4; products accumulated in float32 in
 * tap order; the intermediate after the row pass is float32).
 *
 * @param src        w x h floats, rows @p src_stride floats apart (not bytes)
 * @param dst        caller-allocated vsr_imresize_out_len(w, scale) x
 *                   vsr_imresize_out_len(h, scale) floats, rows @p dst_stride
 *                   floats apart. src and dst must not overlap.
 * Scratch memory is allocated and freed inside the call.
 */
int vsr_imresize_f32(const float *src, int w, int h, ptrdiff_t src_stride, double scale,
                     float *dst, ptrdiff_t dst_stride, vsr_error *err);

/* ======================================================================
 * Degradations
 * ==================================================================== */

enum vsr_degradation {
    VSR_DEGRADE_BI = 0, /**< modcrop + MATLAB bicubic 1/scale (antialiased) */
    VSR_DEGRADE_BD = 1, /**< modcrop + Gaussian blur sigma 1.6 + decimation */
};

/** "bi" / "bd". */
const char *vsr_degradation_name(enum vsr_degradation d);
/** Parse "bi"/"BI"/"bd"/"BD"; -EINVAL otherwise (the message names @p s). */
int vsr_degradation_parse(const char *s, enum vsr_degradation *out, vsr_error *err);

/**
 * A view (no copy) of the top-left floor(H/scale)*scale x floor(W/scale)*scale
 * region of @p in (BasicSR/MATLAB modcrop). @p view borrows @p in's pixels.
 */
int vsr_modcrop(const vsr_frame *in, int scale, vsr_frame *view, vsr_error *err);

/** BI: modcrop then vsr_imresize_u8(1/scale). Allocates @p lr. */
int vsr_degrade_bi(const vsr_frame *gt, int scale, vsr_frame *lr, vsr_error *err);

/**
 * BD (the DUF / Vid4 BDx4 convention): modcrop, then a 13x13 Gaussian
 * (sigma 1.6, normalised to sum 1, separable, computed in double) with
 * replicated borders (edge pixel repeated), evaluated only at the kept
 * pixels: rows and columns 0, scale, 2*scale, ..., then truncated to an
 * integer (floor) and clipped. This convention (offset 0, replicate,
 * truncate) was chosen because it matches the published Vid4 BDx4 calendar
 * best: 57.1 dB PSNR against it, vs 51.1 dB when rounding, 50.3 dB with
 * reflect-101 borders and < 27 dB for offsets 1..3 (see the test).
 * Allocates @p lr (H/scale x W/scale after modcrop).
 */
int vsr_degrade_bd(const vsr_frame *gt, int scale, vsr_frame *lr, vsr_error *err);

/** Dispatch on @p d. */
int vsr_degrade(const vsr_frame *gt, enum vsr_degradation d, int scale, vsr_frame *lr,
                vsr_error *err);

/* ======================================================================
 * Dataset layouts
 * ==================================================================== */

enum vsr_dataset_type {
    VSR_DATASET_REDS = 0,  /**< root/train_sharp/<clip>, root/train_sharp_bicubic/X<s>/<clip> */
    VSR_DATASET_VID4 = 1,  /**< root/GT/<clip>, root/BIx<s>/<clip> or root/BDx<s>/<clip> */
    VSR_DATASET_PAIR = 2,  /**< gt folder (one clip) + optional lq folder */
    VSR_DATASET_VIDEO = 3, /**< one video file (gt), LR always made on the fly */
    VSR_DATASET_IMAGES = 4, /**< image set: gt folder + optional lq folder, one clip per
                                 image (see vsr_dataset_spec) */
};

/** "reds" "vid4" "pair" "video" "images"; vsr_dataset_type_parse() accepts them. */
const char *vsr_dataset_type_name(enum vsr_dataset_type t);
int vsr_dataset_type_parse(const char *s, enum vsr_dataset_type *out, vsr_error *err);

/**
 * What to open. Strings are borrowed during vsr_dataset_open() only (the
 * dataset keeps its own copies).
 */
typedef struct vsr_dataset_spec {
    enum vsr_dataset_type type;
    const char *root;         /**< reds/vid4: the dataset root */
    const char *gt;           /**< pair: the GT folder; video: the video file; reds/vid4:
                                   optional override of the GT parent folder */
    const char *lq;           /**< pair: the LR folder (NULL -> made on the fly);
                                   reds/vid4: optional override of the LR parent folder
                                   (containing <clip>/ folders) */
    const char *const *clips; /**< clip names; NULL -> default: REDS4 (000 011 015 020)
                                   for reds, every sub-folder of GT/ in strcmp order for
                                   vid4 (Vid4: calendar city foliage walk) */
    int n_clips;
    enum vsr_degradation degradation; /**< picks BIx<s> vs BDx<s>, and how a missing
                                           LR side is made */
    int scale;                        /**< 0 -> 4 */
    int max_frames; /**< > 0: use only the first max_frames frames of every clip */
    /**
     * images only (BasicSR's PairedImageDataset, paired_paths_from_folder):
     * every image file of the gt folder whose stem ends with gt_suffix is
     * one image, a one-frame clip named after its stem minus gt_suffix
     * (e.g. "img_001_SRF_4_HR.png" with gt_suffix "_HR" -> "img_001_SRF_4").
     * Its LR is the file of the lq folder whose stem is that name plus
     * lq_suffix (any image extension; BasicSR's filename_tmpl "{}" +
     * lq_suffix). gt and lq may be the same folder (Set5/Set14 as shipped:
     * HR and LR side by side), then lq_suffix or gt_suffix must tell them
     * apart. Every GT image needs its LR and every LR file its GT (as
     * BasicSR asserts), unless clips picks images by name. Images may
     * differ in size; each GT is cropped to its LR x scale (BasicSR's
     * validation crop, the same pixels as modcrop) and must be exactly
     * that after modcrop. A gray GT file stays gray (1 channel, see
     * vsr_clip_info.channels); the LR given to models is always RGB (gray
     * replicated). NULL = "".
     */
    const char *gt_suffix;
    const char *lq_suffix;
    /**
     * 1: LR frames only, no GT (the contest case): vid4 / reds list their
     * clips from the LR folder (BIx<s> / dataroot_lq), pair takes lq as its
     * one clip; other layouts refuse it. Clips then have gt NULL
     * (vsr_clip.gt, vsr_clip_info.has_gt 0) and gt_width / gt_height are
     * the LR size times the scale.
     */
    int lr_only;
} vsr_dataset_spec;

typedef struct vsr_dataset vsr_dataset;

/** Per-clip facts known after open (sizes from the first frame of each side). */
typedef struct vsr_clip_info {
    const char *name;        /**< owned by the dataset */
    int frames;              /**< after max_frames */
    int gt_width, gt_height; /**< after modcrop to a multiple of the scale */
    int lr_width, lr_height;
    int lr_on_the_fly; /**< 1 when LR is made from GT with the degradation */
    int channels;      /**< GT channels: 3 (RGB), or 1 for a gray image of an images
                            dataset (its vsr_clip.gt frames are then gray) */
    int has_gt;        /**< 0: LR frames only (vsr_dataset_spec.lr_only) */
} vsr_clip_info;

/**
 * Open a dataset: checks that every clip folder exists and is not empty,
 * counts the frames (without decoding them all), decodes the first GT and
 * LR frame of each clip to check the sizes: GT (modcropped) must be exactly
 * scale x LR, else -EINVAL naming both files and both sizes. GT and LR
 * must have the same frame count. The caller closes with
 * vsr_dataset_close().
 */
int vsr_dataset_open(const vsr_dataset_spec *spec, vsr_dataset **out, vsr_error *err);
int vsr_dataset_clip_count(const vsr_dataset *ds);
const char *vsr_dataset_clip_name(const vsr_dataset *ds, int clip);
int vsr_dataset_clip_info(const vsr_dataset *ds, int clip, vsr_clip_info *info);
int vsr_dataset_scale(const vsr_dataset *ds);

/**
 * Frames of one clip: gt[i] and lr[i] for i < n_frames (owned frames),
 * released with vsr_clip_free().
 */
typedef struct vsr_clip {
    char *name; /**< a copy */
    int first;  /**< index of gt[0] within the clip */
    int n_frames;
    int scale;
    vsr_frame *gt; /**< GT, modcropped to a multiple of scale (copied tight); NULL for a
                        dataset of LR frames only (vsr_dataset_spec.lr_only) */
    vsr_frame *lr;
} vsr_clip;

/**
 * Load frames [first, first + count) of clip @p clip (count <= 0: to the
 * end) into @p out (zeroed by the caller). LR frames are read, or made from
 * GT with the dataset's degradation when its LR side is missing. Every
 * frame is checked: mixed sizes within the clip or GT/LR not exactly
 * scale apart are errors naming the file and both sizes.
 */
int vsr_dataset_load_frames(vsr_dataset *ds, int clip, int first, int count, vsr_clip *out,
                            vsr_error *err);
/** The whole clip: vsr_dataset_load_frames(ds, clip, 0, 0, out, err). */
int vsr_dataset_load_clip(vsr_dataset *ds, int clip, vsr_clip *out, vsr_error *err);
/** Free the frames and name of @p clip and zero it. NULL-safe. */
void vsr_clip_free(vsr_clip *clip);
/** Close, free, set *ds to NULL. NULL-safe. */
void vsr_dataset_close(vsr_dataset **ds);

/* ======================================================================
 * Clip cache: decoded and degraded clips shared by the runs of a sweep
 * ==================================================================== */

/**
 * Whole clips (vsr_dataset_load_clip()) kept in memory so that the runs of
 * a sweep that share a dataset and degradation decode and degrade each clip
 * once instead of once per run and timed pass. Keyed by what the clip loads
 * from (layout, degradation, scale, clip name, resolved GT/LR paths, frame
 * count), not by the files' content: a file rewritten while the cache lives
 * is not seen, so a cache belongs to one short-lived process such as a
 * sweep. Bounded: the clips it keeps take at most @p cap_bytes of pixels
 * (GT + LR); when a new clip does not fit, the least recently used clips
 * nobody holds are dropped, and a clip that still does not fit (larger than
 * the cap, or the room is held) is loaded for its caller only and freed
 * when released. Not thread-safe: one thread uses a cache at a time.
 */
typedef struct vsr_clip_cache vsr_clip_cache;

/** The default cap of vsrbench run (env VSR_CLIP_CACHE_MB overrides it). */
#define VSR_CLIP_CACHE_DEFAULT_MB 512

/** What a cache did so far (vsr_clip_cache_stats()). */
typedef struct vsr_clip_cache_stats {
    long hits, misses; /**< loads served from memory / decoded */
    long evictions;    /**< clips dropped to stay under the cap */
    size_t bytes;      /**< pixels held now */
    size_t peak_bytes; /**< the most held at once */
} vsr_clip_cache_stats;

/** New empty cache holding at most @p cap_bytes (0: keeps nothing). */
int vsr_clip_cache_create(size_t cap_bytes, vsr_clip_cache **out, vsr_error *err);

/**
 * Clip @p clip of @p ds, whole, into *@p out: a clip owned by the cache
 * (or, with @p cache NULL, loaded for this call only) that the caller must
 * not change and hands back with vsr_clip_cache_release(). Errors are
 * those of vsr_dataset_load_clip(); *@p out is NULL then.
 */
int vsr_clip_cache_load(vsr_clip_cache *cache, vsr_dataset *ds, int clip, const vsr_clip **out,
                        vsr_error *err);

/** Hand back a clip from vsr_clip_cache_load() (same @p cache); NULLs *clip. NULL-safe. */
void vsr_clip_cache_release(vsr_clip_cache *cache, const vsr_clip **clip);

void vsr_clip_cache_stats_get(const vsr_clip_cache *cache, vsr_clip_cache_stats *st);

/** Free the cache and every clip it holds; every clip must have been released. NULL-safe. */
void vsr_clip_cache_free(vsr_clip_cache **cache);

/* ======================================================================
 * The embedded "demo" dataset, built from Debian's opencv-doc imagery
 * ==================================================================== */

/** Where opencv-doc installs its sample data. */
#define VSR_DEMO_SOURCE_DIR "/usr/share/doc/opencv-doc/examples/data"
/** The demo's folder under the data dir: <dir>/demo (Vid4 layout). */
#define VSR_DEMO_SUBDIR "demo"
/** The disjoint training set's folder: <dir>/demo_train (Vid4 layout). */
#define VSR_DEMO_TRAIN_SUBDIR "demo_train"
/** The demo without GT: <dir>/demo_nogt (Vid4 layout, BIx4 only). */
#define VSR_DEMO_NOGT_SUBDIR "demo_nogt"
#define VSR_DEMO_GT_WIDTH 480
#define VSR_DEMO_GT_HEIGHT 272
#define VSR_DEMO_FRAMES 8

/**
 * The default data dir: $VSR_DATA_DIR when set and non-empty, else
 * "./.cache/vsrbench" (relative to the current directory). Written to
 * @p buf; -ENAMETOOLONG when it does not fit.
 */
int vsr_demo_default_dir(char *buf, size_t cap, vsr_error *err);

/**
 * Build (or verify) the evaluation demo: <dir>/demo/GT/<clip>/%08d.png and
 * <dir>/demo/BIx4/<clip>/%08d.png (0-based), 3 clips x 8 frames, GT 480x272,
 * LR 120x68 (BI degradation of GT), and <dir>/demo/MANIFEST.tsv listing
 * source package, source file, clip, frames, size, motion and the sha256 of
 * every written file. Deterministic: the same pixels on every machine
 * (bit-exact decoding and resampling; the PNG bytes depend on zlib).
 * Idempotent: when the manifest exists and every file listed matches its
 * sha256, nothing is written. Otherwise the clips are built in
 * <dir>/demo.tmp-XXXXXX and renamed into place, so a half-built demo never
 * appears. Needs the Debian package opencv-doc (-ENOENT naming the missing
 * file and the package otherwise).
 */
int vsr_demo_build(const char *dir, vsr_error *err);

/**
 * Build (or verify) the demo of LR frames only, the contest case:
 * <dir>/demo_nogt/BIx4/<clip>/%08d.png with the same clips and pixels as
 * the demo's BIx4 and no GT/ folder, with its manifest and the same
 * guarantees as vsr_demo_build(). Open it with vsr_dataset_spec.lr_only.
 */
int vsr_demo_build_no_gt(const char *dir, vsr_error *err);

/**
 * Build the disjoint training set <dir>/demo_train (same layout, manifest
 * and guarantees, 6+ clips from other opencv-doc photos and videos, none of
 * the evaluation sources).
 */
int vsr_demo_build_train(const char *dir, vsr_error *err);

/**
 * Number and names of the evaluation demo's clips (static strings).
 */
int vsr_demo_clip_count(void);
const char *vsr_demo_clip_name(int i);

/**
 * SHA-256 of the file at @p path as 64 lowercase hex digits + NUL (libavutil's
 * av_sha). -errno naming the file when it cannot be opened, -EIO on a read
 * error, -ENOMEM.
 */
int vsr_sha256_file(const char *path, char hex[65], vsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* VSR_DATASETS_H */
