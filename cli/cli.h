/*
 * Internals of the vsrbench executable shared by its subcommands: the
 * --progress option, the -h / bad-option exits of a getopt loop and the
 * thread pool made from a thread count.
 */
#ifndef VSR_BENCH_CLI_H
#define VSR_BENCH_CLI_H

#include <signal.h>
#include <stdio.h>

#include <pthreadpool.h>

#include "vsr/core.h"
#include "vsr/engine.h"

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
