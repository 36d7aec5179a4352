/**
 * @file core.h
 * @brief Conventions every vsrbench part shares: errors, logging, frames,
 *        strict number parsing, and the helpers every part needs (whole
 *        files, mkdir -p, a monotonic clock, CPU features, CRC-32, files
 *        that appear complete or not at all).
 *
 * Errors. Every fallible function returns 0 on success or a negative errno
 * code (-EINVAL bad argument or data, -ENOENT missing file, -ENOMEM, -EIO,
 * -ENOSPC, -ENOTSUP unsupported feature). When it fails it also fills the
 * caller's vsr_error (if not NULL) with one line that names the thing that
 * went wrong and, where there is one, the fix. Nothing below main() exits
 * the process.
 *
 * Globals. The only process-wide mutable state is the log level (and the
 * init-once CPU feature bits). Everything
 * else (thread pool, engine, database) is a context the caller passes in.
 */
#ifndef VSR_CORE_H
#define VSR_CORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VSR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define VSR_PRINTF(fmt, args)
#endif

/** A one-line error message, filled by the function that failed. */
typedef struct vsr_error {
    int code;      /**< the negative errno code that was returned */
    char msg[512]; /**< one line, no trailing newline */
} vsr_error;

/**
 * Record an error and return @p code, so a failing path can be written as
 * `return vsr_error_set(err, -EINVAL, "%s: not a PNG", path);`.
 * @p err may be NULL (the message is then dropped). If @p err already holds
 * a message it is overwritten.
 */
int vsr_error_set(vsr_error *err, int code, const char *fmt, ...) VSR_PRINTF(3, 4);

/**
 * Prefix the message already in @p err with more context ("while loading
 * clip calendar: ..."). Returns err->code (or @p code when err is NULL).
 */
int vsr_error_wrap(vsr_error *err, int code, const char *fmt, ...) VSR_PRINTF(3, 4);

/** Clear an error record. */
void vsr_error_clear(vsr_error *err);

/* ---- logging (stderr) ------------------------------------------------ */

enum vsr_log_level {
    VSR_LOG_ERROR = 0,
    VSR_LOG_WARNING = 1,
    VSR_LOG_INFO = 2,
    VSR_LOG_DEBUG = 3,
};

/** Set the process-wide log level (default VSR_LOG_WARNING). */
void vsr_log_set_level(enum vsr_log_level level);
enum vsr_log_level vsr_log_get_level(void);
/** Print one line to stderr if @p level is enabled ("vsrbench: warning: ..."). */
void vsr_log(enum vsr_log_level level, const char *fmt, ...) VSR_PRINTF(2, 3);

/* ---- frames ---------------------------------------------------------- */

/**
 * An 8-bit interleaved image (HWC): RGB24 when channels == 3, gray when 1.
 * Rows are @c stride bytes apart (stride >= width * channels).
 * A frame that owns its pixels was made by vsr_frame_alloc() and must be
 * released with vsr_frame_free(); a view (owned == 0) borrows them.
 */
typedef struct vsr_frame {
    int width;
    int height;
    int channels;
    ptrdiff_t stride;
    uint8_t *data;
    int owned;
} vsr_frame;

/**
 * Allocate a zeroed frame of width x height x channels with a tight stride.
 * On failure @p frame is left zeroed. Returns 0, -EINVAL or -ENOMEM.
 */
int vsr_frame_alloc(vsr_frame *frame, int width, int height, int channels, vsr_error *err);
/** Free the pixels of an owned frame and zero the struct; a view is only zeroed. */
void vsr_frame_free(vsr_frame *frame);
/** Deep copy @p src into a newly allocated @p dst (caller frees dst). */
int vsr_frame_copy(vsr_frame *dst, const vsr_frame *src, vsr_error *err);
/** A view of the rectangle (x, y, w, h) of @p src; no pixels are copied. */
int vsr_frame_view(vsr_frame *view, const vsr_frame *src, int x, int y, int w, int h,
                   vsr_error *err);
/** Pointer to the first byte of row @p y. */
static inline uint8_t *vsr_frame_row(const vsr_frame *f, int y)
{
    return f->data + (ptrdiff_t)y * f->stride;
}

/* ---- strict parsing (no atoi) ------------------------------------------ */

/**
 * Parse a whole string as a base-10 integer in [min, max]. Leading/trailing
 * garbage, overflow and empty strings are errors. @p what names the value in
 * the message ("--threads").
 */
int vsr_parse_long(const char *s, long min, long max, long *out, const char *what,
                   vsr_error *err);
/** Parse a whole string as a finite double in [min, max]. */
int vsr_parse_double(const char *s, double min, double max, double *out, const char *what,
                     vsr_error *err);
/**
 * Parse a comma-separated list of integers ("0,64,128") into @p out (at most
 * @p cap values). *n receives the count.
 */
int vsr_parse_long_list(const char *s, long min, long max, long *out, int cap, int *n,
                        const char *what, vsr_error *err);
/**
 * Levenshtein distance of @p a and @p b ignoring ASCII case (for "did you
 * mean" hints); 99 when either is longer than 31 characters.
 */
int vsr_edit_distance(const char *a, const char *b);

/* ---- checked sizes ----------------------------------------------------- */

/*
 * Sizes computed from file data (tensor dims, element sizes, byte counts)
 * are computed with these and never with plain `*` / `+`, so a crafted
 * file cannot wrap a size_t back to a small value that passes a length
 * check (dims multiplying to 2^62 + 3168 times 4 bytes is 12672 mod 2^64).
 * Each returns 0 with the result in *@p out, or -EOVERFLOW leaving *out
 * unchanged. A caller checks first and prints only checked values: a
 * message never shows a wrapped size.
 */
/** *out = a * b. */
int vsr_size_mul(size_t a, size_t b, size_t *out);
/** *out = a + b. */
int vsr_size_add(size_t a, size_t b, size_t *out);
/**
 * *out = dims[0] * ... * dims[n-1] (1 when n == 0; 0 when any dim is 0).
 * A negative dim is -EINVAL; a product above SIZE_MAX is -EOVERFLOW.
 */
int vsr_size_mul_n(const int64_t *dims, int n, size_t *out);

/* ---- text files -------------------------------------------------------- */

/** The largest text file vsr_read_text_file() reads and vsr_yaml_guard() accepts. */
#define VSR_TEXT_FILE_MAX ((size_t)64 << 20)

/**
 * Read the whole text file @p path (a config) into *@p out, NUL-terminated,
 * length in *@p len (vsr_read_file() with a 64 MiB limit and a NUL check).
 * The caller owns *out (free()); NULL on error. Errors:
 * -ENOENT / -EIO when it cannot be opened or read, -EINVAL when it is larger
 * than 64 MiB or holds a NUL byte ("not @p what", e.g. "a YAML config"),
 * -ENOMEM.
 */
int vsr_read_text_file(const char *path, const char *what, char **out, size_t *len,
                       vsr_error *err);

/**
 * Read the whole file @p path into *@p out, followed by @p pad zero bytes
 * (1 makes the contents a C string; FFmpeg's custom I/O wants
 * AV_INPUT_BUFFER_PADDING_SIZE), its length without the padding in *@p len.
 * Regular files, pipes and devices are read to their end. The caller owns
 * *out (free()); it is NULL and *len 0 on error. Errors: the negative errno
 * of open (-ENOENT, -EACCES, ...), -EISDIR for a folder, -EFBIG when it holds
 * more than @p max bytes (SIZE_MAX: no limit), -EIO on a read error, -ENOMEM.
 */
int vsr_read_file(const char *path, size_t max, size_t pad, uint8_t **out, size_t *len,
                  vsr_error *err);

/* ---- folders ------------------------------------------------------------ */

/**
 * mkdir -p: create @p path and every missing folder above it (mode 0777
 * less the umask). An existing folder is fine; a component that exists and
 * is not a folder is -ENOTDIR ("X: exists and is not a folder"); an empty
 * path -EINVAL; one of 4096 bytes or more -ENAMETOOLONG; a failed mkdir()
 * its negative errno ("X: cannot create folder: ..."). Folders made before
 * a failure stay.
 */
int vsr_mkdir_p(const char *path, vsr_error *err);

/* ---- clock -------------------------------------------------------------- */

/*
 * CLOCK_MONOTONIC: an arbitrary origin, never steps back, unaffected by
 * changes of the wall-clock time. Only differences mean anything. No state.
 */
/** Nanoseconds. */
uint64_t vsr_clock_ns(void);
/** Milliseconds. */
double vsr_clock_ms(void);
/** Seconds. */
double vsr_clock_s(void);

/* ---- CPU features -------------------------------------------------------- */

/** ISA bits of vsr_cpu_features() (and of vsr_engine_options.isa_mask). */
enum {
    VSR_ISA_AVX2 = 1u << 0,   /**< AVX2 + FMA + F16C */
    VSR_ISA_AVX512 = 1u << 1, /**< AVX-512 F/BW/VL/DQ */
    VSR_ISA_AVX512VNNI = 1u << 2,
    VSR_ISA_AVX512FP16 = 1u << 3,
};
/**
 * ISA bits this CPU and OS support (cpuid + xgetbv: the OS saves the
 * registers); 0 off x86. Detected once (init-once state), thread-safe; the
 * environment does not change it (see vsr_cpu_isa()).
 */
unsigned vsr_cpu_features(void);
/** 1 when the environment variable VSR_FORCE_SCALAR is set to "1..." (read on every call). */
int vsr_cpu_force_scalar(void);
/**
 * The ISA bits every run-time kernel choice starts from: vsr_cpu_features(),
 * or 0 (scalar kernels only) when vsr_cpu_force_scalar(). The engine, the
 * trainer and the metrics all pick their kernels from this.
 */
unsigned vsr_cpu_isa(void);

/* ---- checksums ----------------------------------------------------------- */

/**
 * CRC-32 (IEEE 802.3, reflected; zlib's crc32(), which computes it) of
 * @p n bytes at @p p, continuing from @p crc (0 to start). The CRC of
 * "123456789" is 0xCBF43926.
 */
uint32_t vsr_crc32(uint32_t crc, const void *p, size_t n);

/* ---- output safety ------------------------------------------------------ */

/**
 * 1 when paths @p a and @p b alias: the same file or folder under any name
 * (a symlink, "x/../a", a hard link: same st_dev and st_ino) or one lies
 * inside the other (a folder and anything below it). Neither needs to exist:
 * the nearest existing ancestor is resolved with realpath() and the rest is
 * appended with "." and ".." folded. 0 when they do not alias; a negative
 * errno (with a message) when a path cannot be resolved.
 */
int vsr_path_aliases(const char *a, const char *b, vsr_error *err);
/**
 * The check every command runs before it writes @p out: -EINVAL with one
 * line ("OUT: is, contains or lies inside @p what IN; ...") when @p out
 * aliases @p in (vsr_path_aliases()), 0 when it is safe.
 */
int vsr_path_check_output(const char *out, const char *in, const char *what, vsr_error *err);

/**
 * A file that appears complete or not at all: written to a temporary name
 * next to @p path ("PATH.tmp-XXXXXX", same folder, so the rename is atomic),
 * then flushed, fsync'd, closed and renamed over @p path by
 * vsr_atomic_commit(). Any failed write, flush, sync or close (ENOSPC, EFBIG,
 * EIO) removes the temporary file and leaves a previous file at @p path as
 * it was. Write to @c f between open and commit; the struct owns @c f and
 * the temporary file until vsr_atomic_commit() or vsr_atomic_abort(), one
 * of which must be called once vsr_atomic_open() succeeded.
 */
typedef struct vsr_atomic_file {
    FILE *f;         /**< the stream to write to */
    char path[4096]; /**< the final name */
    char tmp[4128];  /**< the temporary name ("" once gone) */
} vsr_atomic_file;

int vsr_atomic_open(vsr_atomic_file *a, const char *path, vsr_error *err);
/** Flush, fsync, close, rename into place. On error nothing is left but a previous file. */
int vsr_atomic_commit(vsr_atomic_file *a, vsr_error *err);
/** @p len bytes of @p data as the whole of @p path, through open / write / commit. */
int vsr_atomic_write(const char *path, const void *data, size_t len, vsr_error *err);
/** Close and remove the temporary file (NULL-safe on a struct that was never opened). */
void vsr_atomic_abort(vsr_atomic_file *a);
/**
 * For a file another program writes (gnuplot): create an empty temporary
 * file "PATH.tmp-XXXXXX" with fopen()'s mode, its name in @p tmp. Returns
 * the open descriptor (the caller closes it) or a negative errno.
 */
int vsr_atomic_temp(const char *path, char *tmp, size_t cap, vsr_error *err);
/** rename(@p tmp, @p path); on failure @p tmp is removed. */
int vsr_atomic_rename(const char *tmp, const char *path, vsr_error *err);
/* ---- YAML --------------------------------------------------------------- */

struct fy_document;

/**
 * Check a YAML text before libfyaml sees it (every YAML reader calls this,
 * through vsr_yaml_parse()). Rejects with -EINVAL and a one-line
 * "@p name:line:column: ...; fix" error: bytes that are not strict UTF-8
 * (stray continuation bytes, truncated sequences, overlong encodings,
 * UTF-16 surrogates, code points above U+10FFFF), NUL bytes, any line that
 * starts with '%' (a YAML directive: vsrbench configs use none, and
 * libfyaml 0.7.12 can hang on a malformed one), and texts larger than
 * VSR_TEXT_FILE_MAX. A leading UTF-8 byte order mark is allowed. Lines and
 * columns are 1-based; columns count characters.
 */
int vsr_yaml_guard(const char *name, const char *text, size_t len, vsr_error *err);

/**
 * Reject (-EINVAL, "@p name:line:column: ...") a scalar under @p node that
 * libfyaml 0.7.12 would misread: a single-quoted one holding two adjacent
 * escaped quotes (''''). @p text / @p len are the source @p node was built
 * from. vsr_yaml_parse() calls it on the whole document; call it on a node
 * built with fy_node_build_from_string() before reading its text.
 */
struct fy_node;
int vsr_yaml_check_node(const char *name, struct fy_node *node, const char *text, size_t len,
                        vsr_error *err);

/**
 * vsr_yaml_guard() @p text, then parse it with libfyaml into *@p doc
 * (caller frees with fy_document_destroy()). The document points into
 * @p text, which must outlive it. A syntax error is one line:
 * "@p name:line:column: YAML syntax error: ...". Returns 0, -EINVAL or
 * -ENOMEM; *@p doc is NULL on error.
 */
int vsr_yaml_parse(const char *name, const char *text, size_t len, struct fy_document **doc,
                   vsr_error *err);

/**
 * An empty libfyaml document whose diagnostics neither print nor collect
 * (as vsr_yaml_parse() gives a config's), for building nodes from --set
 * values; NULL when out of memory. Free with fy_document_destroy().
 */
struct fy_document *vsr_yaml_new_document(void);

#ifdef __cplusplus
}
#endif
#endif /* VSR_CORE_H */
