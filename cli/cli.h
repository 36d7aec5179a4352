/*
 * Internals of the vsrbench executable shared by its subcommands: the
 * options several of them take (one table), the --progress option, the
 * -h / bad-option exits of a getopt loop and the thread pool made from a
 * thread count.
 */
#ifndef VSR_BENCH_CLI_H
#define VSR_BENCH_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include <pthreadpool.h>

#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"

/*
 * The options several subcommands take, in one table (cli.c): each entry is
 * a long option's name, whether it takes a value, how the value is checked
 * (its range, its names) and where it goes in a vsr_cli_common. A command
 * lists its options as a struct option array in which a shared one is
 * VSR_CLI_SHARED(id) (so the list keeps its order, which getopt's messages
 * about an ambiguous abbreviation show), has the shared entries filled in
 * by vsr_cli_begin(), and hands each getopt value that is not its own to
 * vsr_cli_common_opt() (its default case). A new shared option is one id,
 * one table entry and, when it needs one, one field.
 *
 * Two ids may name one option spelled alike with other values: --threads
 * (1..1024) and --threads with "auto"; --calibration (a method) and
 * --calibration with "file". A command names the one it takes.
 */
enum vsr_cli_opt_id {
    VSR_CLI_OPT_MODEL = 0x1000, /* above any command's own getopt values (256...) */
    VSR_CLI_OPT_PRECISION,      /* --precision P: kept as given (the command parses it) */
    VSR_CLI_OPT_WEIGHTS,
    VSR_CLI_OPT_DATASET,
    VSR_CLI_OPT_CLIP,
    VSR_CLI_OPT_DEGRADATION,      /* bi | bd */
    VSR_CLI_OPT_FRAMES,           /* 1..100000 */
    VSR_CLI_OPT_THREADS,          /* 1..1024 */
    VSR_CLI_OPT_THREADS_AUTO,     /* 1..1024 or auto (threads_auto) */
    VSR_CLI_OPT_CALIBRATION,      /* a method of the engine's list */
    VSR_CLI_OPT_CALIBRATION_FILE, /* ... or file */
    VSR_CLI_OPT_CALIB_FRAMES,     /* 1..100000 */
    VSR_CLI_OPT_REQUANT,          /* float | tflite (requant_set) */
    VSR_CLI_OPT_CONV_ALGO,
    VSR_CLI_OPT_KEEP_FLOAT,           /* a layer list, split by the command */
    VSR_CLI_OPT_KEEP_FLOAT_PRECISION, /* fp32 | fp16 */
    VSR_CLI_OPT_PROGRESS,             /* auto | always | never */
};

/** A shared option's place in a command's struct option list (vsr_cli_begin()). */
#define VSR_CLI_SHARED(id)                                                                     \
    {                                                                                          \
        "", no_argument, NULL, (id)                                                            \
    }

/**
 * Where the shared options' values go. Strings are borrowed from argv. The
 * command sets the defaults (vsr_cli_begin(), then its own where they
 * differ) before its getopt loop; an option given sets its field only.
 */
typedef struct vsr_cli_common {
    const char *model, *precision, *weights, *dataset, *clip;
    enum vsr_degradation degradation;
    long frames;
    long threads;
    int threads_auto;        /* --threads auto was given */
    const char *calibration; /* the method as given */
    long calib_frames;
    vsr_requant requant;
    int requant_set; /* --requant was given */
    vsr_conv_algo conv_algo;
    const char *keep_float, *keep_float_prec_s; /* --keep-float-precision as given */
    vsr_precision keep_float_prec;
    int progress; /* vsr_cli_progress_parse()'s -1, 0, 1 */
} vsr_cli_common;

/**
 * Start a command's getopt loop: copy its option list @p list (ended by a
 * NULL name) to @p out, which has as many entries, with each VSR_CLI_SHARED
 * entry's name and argument filled in from the table; set @p c to the
 * defaults most commands share (no strings, bi, frames 0 = all, threads 1,
 * calib_frames 8, float requantization, direct convs, FP32 kept layers,
 * progress auto = -1: the command then sets its own where they differ);
 * rewind getopt (optind = 1).
 */
void vsr_cli_begin(const struct option *list, struct option *out, vsr_cli_common *c);

/**
 * The Vid4-style dataset that --dataset, --clip (one clip, else every clip),
 * --degradation and --frames (0: every frame) in @p c name, for a model of
 * @p scale. The spec borrows @p c's strings (and c->clip's address).
 */
vsr_dataset_spec vsr_cli_dataset_spec(const vsr_cli_common *c, int scale);

/**
 * Take getopt's value @p opt with argument @p arg when it is a shared
 * option: 1 when taken (its value in @p c), 0 when @p opt is not a shared
 * option, a negative errno with the one-line message in @p err on a bad
 * value (the command prints it and exits VSR_EXIT_USAGE).
 */
int vsr_cli_common_opt(int opt, const char *arg, vsr_cli_common *c, vsr_error *err);

/**
 * Parse --progress @p when: "auto" -> -1, "always" -> 1, "never" -> 0 into
 * *@p progress. Anything else: -EINVAL, *@p progress unchanged, @p err
 * names the option and its values.
 */
int vsr_cli_progress_parse(const char *when, int *progress, vsr_error *err);

/**
 * Parse "HxW" (each 1..16384) given as option @p what into *@p h, *@p w.
 * -EINVAL with a one-line message naming @p what otherwise.
 */
int vsr_cli_parse_size(const char *s, const char *what, int *h, int *w, vsr_error *err);

/** @p progress with auto (-1) resolved: 1 when stderr is a terminal. */
int vsr_cli_progress_resolve(int progress);

/** When @p on, erase the progress line on stderr ("\r" + clear to end of line). */
void vsr_cli_progress_clear(int on);

/**
 * The exit of a getopt loop for @p opt that no case took: 'h' prints
 * @p usage to stdout and gives VSR_EXIT_OK, anything else ('?', a missing
 * value) prints it to stderr and gives VSR_EXIT_USAGE.
 */
int vsr_cli_help_exit(int opt, void (*usage)(FILE *out));

/**
 * Exit code for a failure @p rc (negative errno) reading an input the user
 * named (a weights file, a config): VSR_EXIT_FAILURE for -ENOMEM and -EIO
 * (the machine failed), VSR_EXIT_USAGE for the rest (corrupt, crafted,
 * unsupported or missing input: the user must fix the input).
 */
int vsr_cli_input_exit(int rc);

/**
 * *@p pool = a pthreadpool of @p threads workers (0 = one per core).
 * -ENOMEM with "cannot create a pool of N threads" when it cannot be made.
 * The caller destroys *@p pool with pthreadpool_destroy().
 */
int vsr_cli_pool_create(long threads, pthreadpool_t *pool, vsr_error *err);

/**
 * The thread count of `threads: auto`: how many of the CPUs this process
 * may use (its affinity mask, *@p usable) are idle now, from /proc/stat
 * over 300 ms (*@p idle, fractional): floor(idle + 0.2), at least 1 and at
 * most *@p usable. Sleeps 300 ms.
 */
int vsr_cli_idle_cores(int *usable, double *idle);
/**
 * Per-channel mean of @p n 8-bit frames (channels 0..3, the rest 0), in 8-bit
 * units: the engine's VSR_TPAD_MEAN fill for an input of the default [0, 255]
 * range.
 */
void vsr_cli_frames_mean(const vsr_frame *f, int n, float mean[4]);

/*
 * Ctrl-C between frames: vsr_cli_sigint_begin() makes SIGINT only set a flag
 * (system calls restart; a second SIGINT has the default action, so it ends
 * a process stuck in its cleanup) and saves the old action in @p old;
 * vsr_cli_interrupted() says whether it came since; vsr_cli_sigint_end()
 * restores @p old. The caller checks the flag at safe points, cleans up and
 * exits VSR_EXIT_INTERRUPTED.
 */
void vsr_cli_sigint_begin(struct sigaction *old);
int vsr_cli_interrupted(void);
void vsr_cli_sigint_end(const struct sigaction *old);

/**
 * Mixed precision (`keep_float:`, --keep-float): the engine override list
 * that keeps each of the @p n layers @p names (borrowed; they must outlive
 * the list) at @p prec. Returns a malloc'd array of n entries (free() it),
 * or NULL when n is 0 or memory ran out.
 */
vsr_layer_precision *vsr_cli_layer_prec(const char *const *names, int n, vsr_precision prec);
/**
 * Split the comma list @p list ("conv1,conv2") into *@p names (malloc'd;
 * the strings point into *@p buf, a malloc'd copy of @p list; free() both)
 * and *@p n. An empty item is -EINVAL naming @p what.
 */
int vsr_cli_split_list(const char *list, const char *what, char **buf, char ***names, int *n,
                       vsr_error *err);

#endif
