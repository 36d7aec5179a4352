/*
 * Image and video decoding and encoding through FFmpeg 5.1 (libavformat,
 * libavcodec, libswscale). Pixel conversion rules: see datasets.h.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "datasets_internal.h"
#include "vsr/datasets.h"

#define SWS_FLAGS (SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_BITEXACT)

static const char *averr(int e, char *buf, size_t cap)
{
    av_strerror(e, buf, cap);
    return buf;
}

/* ------------------------------------------------------------------------
 * AVFrame -> vsr_frame
 * ---------------------------------------------------------------------- */

/* The swscale matrix for a frame (unspecified: BT.709 from 720 lines up). */
static int sws_matrix(const AVFrame *f)
{
    switch (f->colorspace) {
    case AVCOL_SPC_BT709:
        return SWS_CS_ITU709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
        return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M:
        return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC:
        return SWS_CS_FCC;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        return SWS_CS_BT2020;
    default:
        return f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

static int is_full_range_fmt(enum AVPixelFormat p)
{
    return p == AV_PIX_FMT_YUVJ420P || p == AV_PIX_FMT_YUVJ422P || p == AV_PIX_FMT_YUVJ444P ||
           p == AV_PIX_FMT_YUVJ440P || p == AV_PIX_FMT_YUVJ411P;
}

/* Convert with swscale to rgb24 or gray8 (YUV and other exotic formats). */
static int convert_sws(struct SwsContext **cache, const AVFrame *f, int channels,
                       vsr_frame *out, const char *path, vsr_error *err)
{
    enum AVPixelFormat dst_fmt = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    enum AVPixelFormat src_fmt = (enum AVPixelFormat)f->format;
    int full = f->color_range == AVCOL_RANGE_JPEG || is_full_range_fmt(src_fmt);
    /* The deprecated yuvj* formats: the same layout as yuv*, range set below. */
    switch (src_fmt) {
    case AV_PIX_FMT_YUVJ420P:
        src_fmt = AV_PIX_FMT_YUV420P;
        break;
    case AV_PIX_FMT_YUVJ422P:
        src_fmt = AV_PIX_FMT_YUV422P;
        break;
    case AV_PIX_FMT_YUVJ444P:
        src_fmt = AV_PIX_FMT_YUV444P;
        break;
    case AV_PIX_FMT_YUVJ440P:
        src_fmt = AV_PIX_FMT_YUV440P;
        break;
    case AV_PIX_FMT_YUVJ411P:
        src_fmt = AV_PIX_FMT_YUV411P;
        break;
    default:
        break;
    }
    struct SwsContext *s =
        sws_getCachedContext(cache ? *cache : NULL, f->width, f->height, src_fmt, f->width,
                             f->height, dst_fmt, SWS_FLAGS, NULL, NULL, NULL);
    if (cache)
        *cache = s;
    if (!s)
        return vsr_error_set(err, -ENOTSUP, "%s: cannot convert pixel format %s to %s", path,
                             av_get_pix_fmt_name(src_fmt), av_get_pix_fmt_name(dst_fmt));
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src_fmt);
    if (d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3) {
        const int *coefs = sws_getCoefficients(sws_matrix(f));
        /* Source matrix and range from the stream; destination full-range RGB. */
        sws_setColorspaceDetails(s, coefs, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
    }
    uint8_t *dst[4] = {out->data, NULL, NULL, NULL};
    int dst_ls[4] = {(int)out->stride, 0, 0, 0};
    sws_scale(s, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_ls);
    if (!cache)
        sws_freeContext(s);
    return 0;
}

/* 8-bit value from a depth-bit sample: round(v * 255 / (2^depth - 1)). */
static inline uint8_t to8(unsigned v, int depth)
{
    if (depth == 8)
        return (uint8_t)v;
    if (depth == 16)
        return (uint8_t)((v + 128) / 257);
    unsigned max = (1u << depth) - 1u;
    return (uint8_t)((v * 255u * 2u + max) / (2u * max));
}

static inline uint8_t rgb_to_gray(int r, int g, int b)
{
    return (uint8_t)floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
}

/*
 * Convert a decoded frame to an 8-bit frame with @p channels channels
 * (allocated into @p out, reusing it when the size matches).
 */
static int frame_to_vsr(struct SwsContext **cache, const AVFrame *f, int channels,
                        vsr_frame *out, const char *path, vsr_error *err)
{
    enum AVPixelFormat fmt = (enum AVPixelFormat)f->format;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return vsr_error_set(err, -ENOTSUP, "%s: unsupported pixel format", path);
    if (out->data && (!out->owned || out->width != f->width || out->height != f->height ||
                      out->channels != channels))
        vsr_frame_free(out);
    if (!out->data) {
        int rc = vsr_frame_alloc(out, f->width, f->height, channels, err);
        if (rc < 0)
            return rc;
    }
    int is_rgb = (d->flags & AV_PIX_FMT_FLAG_RGB) && !(d->flags & AV_PIX_FMT_FLAG_BITSTREAM);
    int is_gray =
        !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM)) &&
        d->nb_components <= 2;
    if (!is_rgb && !is_gray)
        return convert_sws(cache, f, channels, out, path, err);
    const int w = f->width;
    int depth = d->comp[0].depth;
    if (depth > 16)
        return convert_sws(cache, f, channels, out, path, err);
    if (fmt == AV_PIX_FMT_RGB24 && channels == 3) {
        for (int y = 0; y < f->height; y++)
            memcpy(vsr_frame_row(out, y), f->data[0] + (ptrdiff_t)y * f->linesize[0],
                   (size_t)w * 3);
        return 0;
    }
    if (fmt == AV_PIX_FMT_GRAY8 && channels == 1) {
        for (int y = 0; y < f->height; y++)
            memcpy(vsr_frame_row(out, y), f->data[0] + (ptrdiff_t)y * f->linesize[0],
                   (size_t)w);
        return 0;
    }
    /* Generic, arithmetic-free repack of RGB-family and gray formats. */
    uint16_t *line = malloc(sizeof(uint16_t) * (size_t)w * 3);
    if (!line)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    int ncomp = is_rgb ? 3 : 1;
    for (int y = 0; y < f->height; y++) {
        uint8_t *o = vsr_frame_row(out, y);
        for (int c = 0; c < ncomp; c++)
            av_read_image_line2(line + (size_t)c * w, (const uint8_t **)f->data, f->linesize, d,
                                0, y, c, w, 0, 2);
        for (int x = 0; x < w; x++) {
            if (ncomp == 3) {
                uint8_t r = to8(line[x], d->comp[0].depth);
                uint8_t g = to8(line[w + x], d->comp[1].depth);
                uint8_t b = to8(line[2 * w + x], d->comp[2].depth);
                if (channels == 3) {
                    o[3 * x] = r;
                    o[3 * x + 1] = g;
                    o[3 * x + 2] = b;
                } else {
                    o[x] = rgb_to_gray(r, g, b);
                }
            } else {
                uint8_t v = to8(line[x], depth);
                if (channels == 3)
                    o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = v;
                else
                    o[x] = v;
            }
        }
    }
    free(line);
    return 0;
}

/* 1 for gray-natured formats (gray, gray+alpha), 0 for colour. */
static int natural_channels(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    if (!d)
        return 3;
    if (!(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && d->nb_components <= 2)
        return 1;
    if (fmt == AV_PIX_FMT_MONOBLACK || fmt == AV_PIX_FMT_MONOWHITE)
        return 1;
    return 3;
}

/* ------------------------------------------------------------------------
 * Single images: the whole file in memory, probed and decoded by libav*.
 * ---------------------------------------------------------------------- */

struct membuf {
    const uint8_t *data;
    size_t size, pos;
};

static int mem_read(void *opaque, uint8_t *buf, int n)
{
    struct membuf *m = opaque;
    size_t left = m->size - m->pos;
    if (left == 0)
        return AVERROR_EOF;
    if ((size_t)n > left)
        n = (int)left;
    memcpy(buf, m->data + m->pos, (size_t)n);
    m->pos += (size_t)n;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    struct membuf *m = opaque;
    if (whence == AVSEEK_SIZE)
        return (int64_t)m->size;
    int64_t base = whence == SEEK_CUR   ? (int64_t)m->pos
                   : whence == SEEK_END ? (int64_t)m->size
                                        : 0;
    int64_t p = base + off;
    if (p < 0 || p > (int64_t)m->size)
        return AVERROR(EINVAL);
    m->pos = (size_t)p;
    return p;
}

/* Receive one decoded frame from @p dec, feeding packets from @p fmt. */
static int decode_one(AVFormatContext *fmt, AVCodecContext *dec, int stream, AVPacket *pkt,
                      AVFrame *frame, int *flushed, const char *path, vsr_error *err)
{
    char eb[128];
    for (;;) {
        int r = avcodec_receive_frame(dec, frame);
        if (r == 0) {
            if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
                av_frame_unref(frame);
                return vsr_error_set(err, -EINVAL,
                                     "%s: corrupt or truncated data (decoder "
                                     "reported a damaged frame)",
                                     path);
            }
            return 1;
        }
        if (r == AVERROR_EOF)
            return 0;
        if (r != AVERROR(EAGAIN))
            return vsr_error_set(err, -EINVAL, "%s: corrupt data: %s", path,
                                 averr(r, eb, sizeof(eb)));
        if (*flushed)
            return 0;
        r = av_read_frame(fmt, pkt);
        if (r == AVERROR_EOF) {
            *flushed = 1;
            r = avcodec_send_packet(dec, NULL);
        } else if (r < 0) {
            return vsr_error_set(err, -EIO, "%s: truncated or unreadable: %s", path,
                                 averr(r, eb, sizeof(eb)));
        } else {
            if (pkt->stream_index != stream) {
                av_packet_unref(pkt);
                continue;
            }
            if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
                av_packet_unref(pkt);
                return vsr_error_set(err, -EINVAL, "%s: corrupt or truncated packet", path);
            }
            r = avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
        }
        if (r < 0 && r != AVERROR_EOF && r != AVERROR(EAGAIN))
            return vsr_error_set(err, -EINVAL, "%s: corrupt data: %s", path,
                                 averr(r, eb, sizeof(eb)));
    }
}

/*
 * libavutil's one allocation bound (av_max_alloc(), process-wide), set once
 * before the first demuxer runs: a crafted AVI header made the AVI demuxer
 * ask for 1.6 GB in one av_malloc() inside avformat_open_input() (the fuzz
 * target image_decode's finding, tests/fuzz/regress/image_decode/). The
 * bound is far above any one buffer a frame of VSR_MAX_FRAME_PIXELS needs
 * (8192 x 8192 RGBA64: 512 MiB).
 */
#define VSR_AV_MAX_ALLOC (768u << 20)
static pthread_once_t av_limits_once = PTHREAD_ONCE_INIT;
static void av_limits_init(void)
{
    av_max_alloc(VSR_AV_MAX_ALLOC);
}
static void av_limits(void)
{
    pthread_once(&av_limits_once, av_limits_init);
}

static int open_decoder(AVFormatContext *fmt, int *stream, AVCodecContext **out,
                        const char *path, vsr_error *err)
{
    char eb[128];
    const AVCodec *codec = NULL;
    int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (s < 0)
        return vsr_error_set(err, -EINVAL, "%s: no image or video stream", path);
    if (!codec)
        return vsr_error_set(err, -ENOTSUP, "%s: no decoder for codec %s", path,
                             avcodec_get_name(fmt->streams[s]->codecpar->codec_id));
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    if (!dec)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    int r = avcodec_parameters_to_context(dec, fmt->streams[s]->codecpar);
    if (r >= 0) {
        dec->thread_count = 1;
        /* Make decoders report damage instead of silently concealing it. */
        dec->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_EXPLODE;
        /* Bit-exact IDCT and friends: the same pixels on every CPU. */
        dec->flags |= AV_CODEC_FLAG_BITEXACT;
        /* A crafted header must not make the decoder allocate gigabytes. */
        dec->max_pixels = VSR_MAX_FRAME_PIXELS;
        r = avcodec_open2(dec, codec, NULL);
    }
    if (r < 0) {
        avcodec_free_context(&dec);
        return vsr_error_set(err, -EINVAL, "%s: cannot open %s decoder: %s", path, codec->name,
                             averr(r, eb, sizeof(eb)));
    }
    *stream = s;
    *out = dec;
    return 0;
}

int vsr_frame_to_gray(const vsr_frame *in, vsr_frame *out, vsr_error *err)
{
    if (!in || !in->data || (in->channels != 1 && in->channels != 3))
        return vsr_error_set(err, -EINVAL, "gray conversion: expected a 1- or 3-channel frame");
    if (in->channels == 1)
        return vsr_frame_copy(out, in, err);
    int rc = vsr_frame_alloc(out, in->width, in->height, 1, err);
    if (rc < 0)
        return rc;
    for (int y = 0; y < in->height; y++) {
        const uint8_t *s = vsr_frame_row(in, y);
        uint8_t *d = vsr_frame_row(out, y);
        for (int x = 0; x < in->width; x++)
            d[x] = rgb_to_gray(s[3 * x], s[3 * x + 1], s[3 * x + 2]);
    }
    return 0;
}

int vsr_image_read(const char *path, int want_channels, vsr_frame *out, vsr_error *err)
{
    vsr_frame_free(out); /* zeroed or owned, per the contract */
    if (want_channels != 0 && want_channels != 1 && want_channels != 3)
        return vsr_error_set(err, -EINVAL, "%s: want_channels must be 0, 1 or 3", path);
    uint8_t *file = NULL, *iobuf = NULL;
    size_t size = 0;
    AVIOContext *io = NULL;
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    char eb[128];
    int rc = vsr_read_file(path, SIZE_MAX, AV_INPUT_BUFFER_PADDING_SIZE, &file, &size, err);
    if (rc < 0)
        return rc;
    if (size == 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: empty file, not an image", path);
        goto done;
    }
    struct membuf mb = {file, size, 0};
    iobuf = av_malloc(16384);
    fmt = avformat_alloc_context();
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    if (!iobuf || !fmt || !pkt || !frame) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto done;
    }
    io = avio_alloc_context(iobuf, 16384, 0, &mb, mem_read, NULL, mem_seek);
    if (!io) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto done;
    }
    iobuf = NULL; /* owned by io now */
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    /* No file name: the format is probed from the bytes alone, so names
     * with '%' or spaces never reach the image2 pattern logic. */
    av_limits();
    int r = avformat_open_input(&fmt, "", NULL, NULL);
    if (r < 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: not a readable image (%s)", path,
                           averr(r, eb, sizeof(eb)));
        goto done; /* fmt was freed by avformat_open_input */
    }
    int stream;
    rc = open_decoder(fmt, &stream, &dec, path, err);
    if (rc < 0)
        goto done;
    int flushed = 0;
    rc = decode_one(fmt, dec, stream, pkt, frame, &flushed, path, err);
    if (rc == 0)
        rc = vsr_error_set(err, -EINVAL, "%s: truncated or corrupt image (no picture decoded)",
                           path);
    if (rc < 0)
        goto done;
    int ch =
        want_channels ? want_channels : natural_channels((enum AVPixelFormat)frame->format);
    rc = frame_to_vsr(NULL, frame, ch, out, path, err);
done:
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    if (io) {
        av_freep(&io->buffer);
        avio_context_free(&io);
    }
    av_free(iobuf);
    free(file);
    if (rc < 0)
        vsr_frame_free(out);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------
 * Writing: temp file + rename.
 * ---------------------------------------------------------------------- */

static int encode_png_packet(const vsr_frame *f, AVPacket **out, const char *path,
                             vsr_error *err)
{
    char eb[128];
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec)
        return vsr_error_set(err, -ENOTSUP, "%s: this FFmpeg has no PNG encoder", path);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int rc = 0, r;
    if (!enc || !fr || !pkt) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto done;
    }
    enc->width = f->width;
    enc->height = f->height;
    enc->pix_fmt = f->channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_BITEXACT;
    enc->compression_level = 6;
    enc->thread_count = 1;
    if ((r = avcodec_open2(enc, codec, NULL)) < 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: cannot open the PNG encoder: %s", path,
                           averr(r, eb, sizeof(eb)));
        goto done;
    }
    fr->format = enc->pix_fmt;
    fr->width = f->width;
    fr->height = f->height;
    /* Borrow the caller's pixels: no copy. */
    fr->data[0] = f->data;
    fr->linesize[0] = (int)f->stride;
    if ((r = avcodec_send_frame(enc, fr)) < 0 || (r = avcodec_send_frame(enc, NULL)) < 0 ||
        (r = avcodec_receive_packet(enc, pkt)) < 0) {
        rc = vsr_error_set(err, -EIO, "%s: PNG encoding failed: %s", path,
                           averr(r, eb, sizeof(eb)));
        goto done;
    }
    *out = pkt;
    pkt = NULL;
done:
    fr->data[0] = NULL;
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    return rc;
}

int vsr_image_write_png(const char *path, const vsr_frame *f, vsr_error *err)
{
    if (!f || !f->data || (f->channels != 1 && f->channels != 3) || f->width <= 0 ||
        f->height <= 0)
        return vsr_error_set(err, -EINVAL, "%s: can only write 1- or 3-channel frames", path);
    AVPacket *pkt = NULL;
    int rc = encode_png_packet(f, &pkt, path, err);
    if (rc < 0)
        return rc;
    char tmp[4096];
    int fd = vsr_atomic_temp(path, tmp, sizeof(tmp), err);
    if (fd < 0) {
        av_packet_free(&pkt);
        return fd;
    }
    size_t off = 0;
    while (off < (size_t)pkt->size) {
        ssize_t n = write(fd, pkt->data + off, (size_t)pkt->size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            rc = vsr_error_set(err, -e, "%s: write failed: %s", path, strerror(e));
            break;
        }
        off += (size_t)n;
    }
    av_packet_free(&pkt);
    if (close(fd) != 0 && rc == 0) {
        int e = errno;
        rc = vsr_error_set(err, -e, "%s: write failed: %s", path, strerror(e));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        int e = errno;
        rc = vsr_error_set(err, -e, "%s: cannot rename the temporary file into place: %s", path,
                           strerror(e));
    }
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* ------------------------------------------------------------------------
 * Sources
 * ---------------------------------------------------------------------- */

struct vsr_source {
    char *path;
    int is_video;
    int channels; /* delivered */
    int width, height;
    int count;
    int next; /* folder: next index; video: frames delivered */
    double fps;
    /* folder */
    char **names;
    int want;      /* want_channels given at open */
    int per_image; /* vsr_source_set_per_image(): each file its own size */
    /* video */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int stream;
    int flushed;
    int declared;    /* video: frames the container declares (0 unknown) */
    vsr_frame first; /* the first video frame, decoded at open */
    int have_first;
};

static int has_image_ext(const char *name)
{
    static const char *const exts[] = {".png",  ".jpg",  ".jpeg", ".bmp", ".tif",
                                       ".tiff", ".webp", ".ppm",  ".pgm"};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (!strcasecmp(dot, exts[i]))
            return 1;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void vsr_source_close(vsr_source **psrc)
{
    if (!psrc || !*psrc)
        return;
    vsr_source *s = *psrc;
    if (s->names) {
        for (int i = 0; i < s->count; i++)
            free(s->names[i]);
        free(s->names);
    }
    av_frame_free(&s->frame);
    av_packet_free(&s->pkt);
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    sws_freeContext(s->sws);
    vsr_frame_free(&s->first);
    free(s->path);
    free(s);
    *psrc = NULL;
}

static int frame_path(const vsr_source *s, int i, char *buf, size_t cap, vsr_error *err)
{
    return vsr_path_join(buf, cap, s->path, s->names[i], err);
}

int vsr_source_open_folder(const char *dir, int want_channels, vsr_source **out, vsr_error *err)
{
    *out = NULL;
    if (want_channels != 0 && want_channels != 1 && want_channels != 3)
        return vsr_error_set(err, -EINVAL, "%s: want_channels must be 0, 1 or 3", dir);
    int isdir = vsr_is_dir(dir);
    if (isdir == 0)
        return vsr_error_set(err, -ENOENT, "%s: no such folder", dir);
    if (isdir < 0)
        return vsr_error_set(err, -ENOTDIR, "%s: not a folder", dir);
    DIR *dp = opendir(dir);
    if (!dp) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: cannot open folder: %s", dir, strerror(e));
    }
    int rc = 0, cap = 0;
    vsr_source *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(dir))) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", dir);
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.' || !has_image_ext(de->d_name))
            continue;
        if (s->count == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(s->names, sizeof(char *) * (size_t)cap);
            if (!nn) {
                rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", dir);
                goto fail;
            }
            s->names = nn;
        }
        if (!(s->names[s->count] = strdup(de->d_name))) {
            rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", dir);
            goto fail;
        }
        s->count++;
    }
    closedir(dp);
    dp = NULL;
    if (s->count == 0) {
        rc = vsr_error_set(err, -ENODATA, "%s: folder has no image files (.png, .jpg, ...)",
                           dir);
        goto fail;
    }
    qsort(s->names, (size_t)s->count, sizeof(char *), cmp_names);
    char p[4096];
    vsr_frame f = {0};
    if ((rc = frame_path(s, 0, p, sizeof(p), err)) < 0 ||
        (rc = vsr_image_read(p, want_channels, &f, err)) < 0)
        goto fail;
    s->width = f.width;
    s->height = f.height;
    s->channels = f.channels;
    s->want = want_channels;
    vsr_frame_free(&f);
    *out = s;
    return 0;
fail:
    if (dp)
        closedir(dp);
    vsr_source_close(&s);
    return rc;
}

static int count_packets(const char *path, int stream)
{
    AVFormatContext *fmt = NULL;
    av_limits();
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return -1;
    AVPacket *pkt = av_packet_alloc();
    int n = 0;
    while (pkt && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == stream)
            n++;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return n;
}

int vsr_source_open_video(const char *path, int want_channels, vsr_source **out, vsr_error *err)
{
    *out = NULL;
    char eb[128];
    if (want_channels != 0 && want_channels != 1 && want_channels != 3)
        return vsr_error_set(err, -EINVAL, "%s: want_channels must be 0, 1 or 3", path);
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: %s", path, strerror(e));
    }
    if (access(path, R_OK) != 0) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: cannot read: %s", path, strerror(e));
    }
    int rc = 0, r;
    vsr_source *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path)) || !(s->pkt = av_packet_alloc()) ||
        !(s->frame = av_frame_alloc())) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    s->is_video = 1;
    /* "file:" keeps ':' in names from selecting a protocol. */
    char url[4200];
    snprintf(url, sizeof(url), "file:%s", path);
    av_limits();
    if ((r = avformat_open_input(&s->fmt, url, NULL, NULL)) < 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: not a readable video: %s", path,
                           averr(r, eb, sizeof(eb)));
        goto fail;
    }
    if ((r = avformat_find_stream_info(s->fmt, NULL)) < 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: corrupt video (no stream info): %s", path,
                           averr(r, eb, sizeof(eb)));
        goto fail;
    }
    if ((rc = open_decoder(s->fmt, &s->stream, &s->dec, path, err)) < 0)
        goto fail;
    AVStream *vs = s->fmt->streams[s->stream];
    AVRational fr = av_guess_frame_rate(s->fmt, vs, NULL);
    s->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0.0;
    /* AVI headers count dropped (empty, "repeat previous") frames that the
     * demuxer skips, so for AVI count the packets and trust no declared
     * length; AVI truncation shows up as a corrupt packet instead. */
    const int avi = !strcmp(s->fmt->iformat->name, "avi");
    s->count = !avi && vs->nb_frames > 0 && vs->nb_frames < INT32_MAX
                   ? (int)vs->nb_frames
                   : count_packets(url, s->stream);
    /* What the container declares, to tell a truncated file from its end. */
    if (avi)
        s->declared = 0;
    else if (vs->nb_frames > 0 && vs->nb_frames < INT32_MAX)
        s->declared = (int)vs->nb_frames;
    else if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0 && s->fps > 0)
        s->declared = (int)llround((double)vs->duration * av_q2d(vs->time_base) * s->fps);
    else if (s->fmt->nb_streams == 1 && s->fmt->duration != AV_NOPTS_VALUE &&
             s->fmt->duration > 0 && s->fps > 0)
        s->declared = (int)llround((double)s->fmt->duration / AV_TIME_BASE * s->fps);
    /* Decode the first frame now: size, channels, and early errors. */
    rc = decode_one(s->fmt, s->dec, s->stream, s->pkt, s->frame, &s->flushed, path, err);
    if (rc == 0)
        rc = vsr_error_set(err, -EINVAL, "%s: video has no decodable frame", path);
    if (rc < 0)
        goto fail;
    int ch =
        want_channels ? want_channels : natural_channels((enum AVPixelFormat)s->frame->format);
    rc = frame_to_vsr(&s->sws, s->frame, ch, &s->first, path, err);
    av_frame_unref(s->frame);
    if (rc < 0)
        goto fail;
    s->have_first = 1;
    s->width = s->first.width;
    s->height = s->first.height;
    s->channels = ch;
    *out = s;
    return 0;
fail:
    vsr_source_close(&s);
    return rc;
}

int vsr_source_open(const char *path, int want_channels, vsr_source **out, vsr_error *err)
{
    *out = NULL;
    int d = vsr_is_dir(path);
    if (d > 0)
        return vsr_source_open_folder(path, want_channels, out, err);
    return vsr_source_open_video(path, want_channels, out, err);
}

/*
 * The video ended after s->next frames: fine unless the container declared
 * clearly more (2% + 1 frame of slack for rounded durations).
 */
static int video_end(const vsr_source *s, vsr_error *err)
{
    if (s->declared > 0 && s->next < s->declared - 1 - s->declared / 50)
        return vsr_error_set(err, -EIO,
                             "%s: truncated or corrupt: the video ends after %d frames but "
                             "declares %d",
                             s->path, s->next, s->declared);
    return 0;
}

int vsr_source_read(vsr_source *s, vsr_frame *frame, vsr_error *err)
{
    int rc;
    if (!s->is_video) {
        if (s->next >= s->count)
            return 0;
        char p[4096];
        vsr_frame f = {0};
        if ((rc = frame_path(s, s->next, p, sizeof(p), err)) < 0 ||
            (rc = vsr_image_read(p, s->per_image ? s->want : s->channels, &f, err)) < 0)
            return rc;
        if (!s->per_image && (f.width != s->width || f.height != s->height)) {
            rc = vsr_error_set(err, -EINVAL,
                               "%s: frame is %dx%d but the first frame of %s is %dx%d "
                               "(mixed frame sizes)",
                               p, f.width, f.height, s->path, s->width, s->height);
            vsr_frame_free(&f);
            return rc;
        }
        vsr_frame_free(frame);
        *frame = f;
        s->next++;
        return 1;
    }
    if (s->have_first) {
        vsr_frame_free(frame);
        *frame = s->first;
        memset(&s->first, 0, sizeof(s->first));
        s->have_first = 0;
        s->next++;
        return 1;
    }
    rc = decode_one(s->fmt, s->dec, s->stream, s->pkt, s->frame, &s->flushed, s->path, err);
    if (rc == 0)
        return video_end(s, err);
    if (rc < 0)
        return rc;
    if (s->frame->width != s->width || s->frame->height != s->height) {
        rc = vsr_error_set(
            err, -EINVAL, "%s: frame %d is %dx%d but the first is %dx%d (mixed frame sizes)",
            s->path, s->next, s->frame->width, s->frame->height, s->width, s->height);
        av_frame_unref(s->frame);
        return rc;
    }
    rc = frame_to_vsr(&s->sws, s->frame, s->channels, frame, s->path, err);
    av_frame_unref(s->frame);
    if (rc < 0)
        return rc;
    s->next++;
    return 1;
}

int vsr_source_seek(vsr_source *s, int index, vsr_error *err)
{
    if (index < 0 || (s->count >= 0 && index > s->count && !s->is_video))
        return vsr_error_set(err, -EINVAL, "%s: frame %d is out of range (0..%d)", s->path,
                             index, s->count - 1);
    if (!s->is_video) {
        s->next = index;
        return 0;
    }
    if (index < s->next)
        return vsr_error_set(err, -EINVAL, "%s: cannot seek backwards in a video (frame %d)",
                             s->path, index);
    if (s->next < index && s->have_first) {
        vsr_frame_free(&s->first);
        s->have_first = 0;
        s->next++;
    }
    /* Decode and drop (no colour conversion) up to the wanted frame. */
    while (s->next < index) {
        int rc =
            decode_one(s->fmt, s->dec, s->stream, s->pkt, s->frame, &s->flushed, s->path, err);
        if (rc <= 0)
            return rc < 0 ? rc
                          : vsr_error_set(err, -EINVAL, "%s: video ends before frame %d",
                                          s->path, index);
        av_frame_unref(s->frame);
        s->next++;
    }
    return 0;
}

int vsr_source_set_per_image(vsr_source *s, int on, vsr_error *err)
{
    if (s->is_video)
        return vsr_error_set(err, -EINVAL,
                             "%s: a video has one frame size; only a folder is read per image",
                             s->path);
    s->per_image = on != 0;
    return 0;
}

int vsr_source_frame_count(const vsr_source *s)
{
    return s->count;
}
int vsr_source_width(const vsr_source *s)
{
    return s->width;
}
int vsr_source_height(const vsr_source *s)
{
    return s->height;
}
int vsr_source_channels(const vsr_source *s)
{
    return s->channels;
}
double vsr_source_fps(const vsr_source *s)
{
    return s->fps;
}
const char *vsr_source_path(const vsr_source *s)
{
    return s->path;
}
const char *vsr_source_frame_name(const vsr_source *s, int i)
{
    if (s->is_video || i < 0 || i >= s->count)
        return NULL;
    return s->names[i];
}

/* ------------------------------------------------------------------------
 * Sinks
 * ---------------------------------------------------------------------- */

struct vsr_sink {
    enum vsr_sink_kind kind;
    char *path;
    char tmp[4200];
    int index;
    int width, height, channels;
    int crf;
    AVRational fps;
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
    int header_written;
};

#define SINK_ACCEPTED                                                                          \
    ".mkv, .avi or .nut (lossless FFV1), .mp4, .mov or .264 (x264), or a folder name "         \
    "without an extension or ending in '/' (PNG frames)"

int vsr_sink_resolve(const char *path, enum vsr_sink_kind kind, enum vsr_sink_kind *out,
                     vsr_error *err)
{
    size_t len = strlen(path);
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    struct stat st;
    int folder = len == 0 || path[len - 1] == '/' || !dot || (slash && dot < slash) ||
                 (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    enum vsr_sink_kind ext = VSR_SINK_AUTO;
    if (!folder &&
        (!strcasecmp(dot, ".mkv") || !strcasecmp(dot, ".avi") || !strcasecmp(dot, ".nut")))
        ext = VSR_SINK_FFV1;
    else if (!folder &&
             (!strcasecmp(dot, ".mp4") || !strcasecmp(dot, ".mov") || !strcasecmp(dot, ".264")))
        ext = VSR_SINK_X264;
    *out = kind;
    if (kind == VSR_SINK_PNG_DIR)
        return 0; /* asked for a folder by name: any name is one */
    if (kind == VSR_SINK_AUTO) {
        if (folder) {
            *out = VSR_SINK_PNG_DIR;
            return 0;
        }
        if (ext != VSR_SINK_AUTO) {
            *out = ext;
            return 0;
        }
        return vsr_error_set(err, -EINVAL, "%s: unknown output type '%s'; use " SINK_ACCEPTED,
                             path, dot);
    }
    if (ext == VSR_SINK_AUTO)
        return vsr_error_set(err, -EINVAL,
                             "%s: a video needs a file name ending in .mkv, .avi, .nut, .mp4, "
                             ".mov or .264",
                             path);
    return 0;
}

int vsr_sink_open(const char *path, const vsr_sink_options *opt, vsr_sink **out, vsr_error *err)
{
    *out = NULL;
    vsr_sink_options o = {0};
    if (opt)
        o = *opt;
    vsr_sink *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    }
    int rc = vsr_sink_resolve(path, o.kind, &s->kind, err);
    if (rc < 0) {
        free(s->path);
        free(s);
        return rc;
    }
    s->fps = (AVRational){o.fps_num > 0 ? o.fps_num : 25, o.fps_den > 0 ? o.fps_den : 1};
    s->crf = o.crf;
    s->index = o.first_index;
    if (s->kind == VSR_SINK_PNG_DIR) {
        rc = vsr_mkdir_p(path, err);
    } else {
        const char *name = s->kind == VSR_SINK_FFV1 ? "ffv1"
                           : s->crf == 0            ? "libx264rgb"
                                                    : "libx264";
        if (!avcodec_find_encoder_by_name(name))
            rc = vsr_error_set(err, -ENOTSUP, "%s: this FFmpeg build has no %s encoder", path,
                               name);
        else if (!av_guess_format(NULL, path, NULL))
            rc = vsr_error_set(err, -EINVAL,
                               "%s: unknown container; use .mkv, .avi, .nut or .mp4", path);
    }
    if (rc < 0) {
        free(s->path);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Set up the encoder and muxer on the first frame (size known then). */
static int sink_start_video(vsr_sink *s, const vsr_frame *f, vsr_error *err)
{
    char eb[128];
    int r, rc = 0;
    const char *path = s->path;
    const int x264 = s->kind == VSR_SINK_X264;
    const char *name = !x264 ? "ffv1" : s->crf == 0 ? "libx264rgb" : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!codec || !ofmt)
        return vsr_error_set(err, -ENOTSUP, "%s: no %s encoder or container", path, name);
    int fd = vsr_atomic_temp(path, s->tmp, sizeof(s->tmp), err);
    if (fd < 0)
        return fd;
    close(fd);
    if ((r = avformat_alloc_output_context2(&s->fmt, ofmt, NULL, s->tmp)) < 0) {
        return vsr_error_set(err, -ENOMEM, "%s: cannot create the muxer: %s", path,
                             averr(r, eb, sizeof(eb)));
    }
    s->fmt->flags |= AVFMT_FLAG_BITEXACT;
    s->st = avformat_new_stream(s->fmt, NULL);
    s->enc = avcodec_alloc_context3(codec);
    s->frame = av_frame_alloc();
    s->pkt = av_packet_alloc();
    if (!s->st || !s->enc || !s->frame || !s->pkt)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    AVCodecContext *e = s->enc;
    e->width = f->width;
    e->height = f->height;
    e->time_base = av_inv_q(s->fps);
    e->framerate = s->fps;
    e->flags |= AV_CODEC_FLAG_BITEXACT;
    e->thread_count = 1;
    if (!x264) {
        e->pix_fmt = f->channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR0;
        e->gop_size = 1;
        av_opt_set_int(e->priv_data, "slicecrc", 1, 0);
    } else if (s->crf == 0) {
        if (f->channels != 3)
            return vsr_error_set(err, -EINVAL, "%s: x264 output needs RGB frames", path);
        e->pix_fmt = AV_PIX_FMT_RGB24;
        av_opt_set(e->priv_data, "qp", "0", 0);
        av_opt_set(e->priv_data, "preset", "medium", 0);
    } else {
        if (f->channels != 3 || (f->width & 1) || (f->height & 1))
            return vsr_error_set(
                err, -EINVAL,
                "%s: x264 yuv420p output needs RGB frames of even size, got %dx%d", path,
                f->width, f->height);
        e->pix_fmt = AV_PIX_FMT_YUV420P;
        e->colorspace = AVCOL_SPC_BT709;
        e->color_range = AVCOL_RANGE_MPEG;
        e->color_primaries = AVCOL_PRI_BT709;
        e->color_trc = AVCOL_TRC_BT709;
        char crf[16];
        snprintf(crf, sizeof(crf), "%d", s->crf);
        av_opt_set(e->priv_data, "crf", crf, 0);
        av_opt_set(e->priv_data, "preset", "medium", 0);
    }
    if (s->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((r = avcodec_open2(e, codec, NULL)) < 0)
        return vsr_error_set(err, -EINVAL, "%s: cannot open the %s encoder: %s", path, name,
                             averr(r, eb, sizeof(eb)));
    if ((r = avcodec_parameters_from_context(s->st->codecpar, e)) < 0)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    s->st->time_base = e->time_base;
    s->frame->format = e->pix_fmt;
    s->frame->width = e->width;
    s->frame->height = e->height;
    if ((r = av_frame_get_buffer(s->frame, 0)) < 0)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory for a frame", path);
    if ((r = avio_open(&s->fmt->pb, s->tmp, AVIO_FLAG_WRITE)) < 0)
        return vsr_error_set(err, -EIO, "%s: cannot open for writing: %s", s->tmp,
                             averr(r, eb, sizeof(eb)));
    if ((r = avformat_write_header(s->fmt, NULL)) < 0)
        return vsr_error_set(err, -EIO, "%s: cannot write the header: %s", path,
                             averr(r, eb, sizeof(eb)));
    s->header_written = 1;
    s->width = f->width;
    s->height = f->height;
    s->channels = f->channels;
    return rc;
}

static int sink_drain(vsr_sink *s, vsr_error *err)
{
    char eb[128];
    for (;;) {
        int r = avcodec_receive_packet(s->enc, s->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return vsr_error_set(err, -EIO, "%s: encoding failed: %s", s->path,
                                 averr(r, eb, sizeof(eb)));
        /* One frame long: without it mp4 edit lists cut the last frame. */
        if (s->pkt->duration <= 0)
            s->pkt->duration = 1;
        av_packet_rescale_ts(s->pkt, s->enc->time_base, s->st->time_base);
        s->pkt->stream_index = s->st->index;
        r = av_interleaved_write_frame(s->fmt, s->pkt);
        av_packet_unref(s->pkt);
        if (r < 0)
            return vsr_error_set(err, -EIO, "%s: write failed: %s", s->path,
                                 averr(r, eb, sizeof(eb)));
    }
}

int vsr_sink_write_named(vsr_sink *s, const vsr_frame *f, const char *stem, vsr_error *err)
{
    if (s->kind != VSR_SINK_PNG_DIR)
        return vsr_error_set(err, -EINVAL, "%s: only a PNG folder takes named images", s->path);
    if (!stem || !stem[0] || !strcmp(stem, ".") || !strcmp(stem, "..") || strchr(stem, '/'))
        return vsr_error_set(err, -EINVAL, "%s: '%s' is not a file name", s->path,
                             stem ? stem : "(null)");
    if (!f || !f->data || (f->channels != 1 && f->channels != 3))
        return vsr_error_set(err, -EINVAL, "%s: can only write 1- or 3-channel frames",
                             s->path);
    char name[1024], p[4200];
    if (snprintf(name, sizeof(name), "%s.png", stem) >= (int)sizeof(name))
        return vsr_error_set(err, -ENAMETOOLONG, "%s: file name '%s' is too long", s->path,
                             stem);
    int rc = vsr_path_join(p, sizeof(p), s->path, name, err);
    return rc < 0 ? rc : vsr_image_write_png(p, f, err);
}

int vsr_sink_write(vsr_sink *s, const vsr_frame *f, vsr_error *err)
{
    char eb[128];
    int rc, r;
    if (!f || !f->data || (f->channels != 1 && f->channels != 3))
        return vsr_error_set(err, -EINVAL, "%s: can only write 1- or 3-channel frames",
                             s->path);
    if (s->width &&
        (f->width != s->width || f->height != s->height || f->channels != s->channels))
        return vsr_error_set(err, -EINVAL, "%s: frame is %dx%dx%d but the first was %dx%dx%d",
                             s->path, f->width, f->height, f->channels, s->width, s->height,
                             s->channels);
    if (s->kind == VSR_SINK_PNG_DIR) {
        char name[32], p[4200];
        snprintf(name, sizeof(name), "%08d.png", s->index);
        if ((rc = vsr_path_join(p, sizeof(p), s->path, name, err)) < 0)
            return rc;
        if ((rc = vsr_image_write_png(p, f, err)) < 0)
            return rc;
        s->width = f->width;
        s->height = f->height;
        s->channels = f->channels;
        s->index++;
        return 0;
    }
    if (!s->header_written && (rc = sink_start_video(s, f, err)) < 0)
        return rc;
    if ((r = av_frame_make_writable(s->frame)) < 0)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", s->path);
    AVFrame *fr = s->frame;
    if (fr->format == AV_PIX_FMT_BGR0) {
        /* Packed B, G, R, 0 (FFV1's 8-bit RGB format): an exact repack. */
        for (int y = 0; y < f->height; y++) {
            const uint8_t *src = vsr_frame_row(f, y);
            uint8_t *d = fr->data[0] + (ptrdiff_t)y * fr->linesize[0];
            for (int x = 0; x < f->width; x++) {
                d[4 * x] = src[3 * x + 2];
                d[4 * x + 1] = src[3 * x + 1];
                d[4 * x + 2] = src[3 * x];
                d[4 * x + 3] = 0;
            }
        }
    } else if (fr->format == AV_PIX_FMT_GRAY8 || fr->format == AV_PIX_FMT_RGB24) {
        for (int y = 0; y < f->height; y++)
            memcpy(fr->data[0] + (ptrdiff_t)y * fr->linesize[0], vsr_frame_row(f, y),
                   (size_t)f->width * f->channels);
    } else {
        s->sws = sws_getCachedContext(s->sws, f->width, f->height, AV_PIX_FMT_RGB24, f->width,
                                      f->height, fr->format, SWS_FLAGS, NULL, NULL, NULL);
        if (!s->sws)
            return vsr_error_set(err, -ENOTSUP, "%s: cannot convert RGB to %s", s->path,
                                 av_get_pix_fmt_name(fr->format));
        sws_setColorspaceDetails(s->sws, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                 sws_getCoefficients(SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16);
        const uint8_t *src[4] = {f->data, NULL, NULL, NULL};
        int sls[4] = {(int)f->stride, 0, 0, 0};
        sws_scale(s->sws, src, sls, 0, f->height, fr->data, fr->linesize);
    }
    fr->pts = s->index++;
    if ((r = avcodec_send_frame(s->enc, fr)) < 0)
        return vsr_error_set(err, -EIO, "%s: encoding failed: %s", s->path,
                             averr(r, eb, sizeof(eb)));
    return sink_drain(s, err);
}

static void sink_free(vsr_sink *s)
{
    if (s->fmt) {
        avio_closep(&s->fmt->pb);
        avformat_free_context(s->fmt);
    }
    avcodec_free_context(&s->enc);
    av_frame_free(&s->frame);
    av_packet_free(&s->pkt);
    sws_freeContext(s->sws);
    free(s->path);
    free(s);
}

void vsr_sink_abort(vsr_sink **ps)
{
    if (!ps || !*ps)
        return;
    vsr_sink *s = *ps;
    if (s->tmp[0])
        unlink(s->tmp);
    sink_free(s);
    *ps = NULL;
}

int vsr_sink_close(vsr_sink **ps, vsr_error *err)
{
    if (!ps || !*ps)
        return 0;
    vsr_sink *s = *ps;
    int rc = 0, r;
    char eb[128];
    if (s->kind != VSR_SINK_PNG_DIR) {
        if (!s->header_written) {
            rc =
                vsr_error_set(err, -EINVAL, "%s: no frame was written, no video made", s->path);
        } else {
            if ((r = avcodec_send_frame(s->enc, NULL)) < 0)
                rc = vsr_error_set(err, -EIO, "%s: encoder flush failed: %s", s->path,
                                   averr(r, eb, sizeof(eb)));
            if (rc == 0)
                rc = sink_drain(s, err);
            if (rc == 0 && (r = av_write_trailer(s->fmt)) < 0)
                rc = vsr_error_set(err, -EIO, "%s: cannot write the trailer: %s", s->path,
                                   averr(r, eb, sizeof(eb)));
            if (s->fmt->pb && (r = avio_closep(&s->fmt->pb)) < 0 && rc == 0)
                rc = vsr_error_set(err, -EIO, "%s: write failed: %s", s->path,
                                   averr(r, eb, sizeof(eb)));
            if (rc == 0 && rename(s->tmp, s->path) != 0) {
                int e = errno;
                rc = vsr_error_set(err, -e, "%s: cannot rename into place: %s", s->path,
                                   strerror(e));
            }
        }
        if (rc < 0 && s->tmp[0])
            unlink(s->tmp);
    }
    sink_free(s);
    *ps = NULL;
    return rc;
}
