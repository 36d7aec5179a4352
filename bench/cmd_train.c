/*
 * vsrbench train: train a zoo model from a YAML config (train/, train.h).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vsr/core.h"
#include "vsr/train.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench train CONFIG [--resume] [--set key.path=value]...\n"
        "\n"
        "Train the zoo model named in CONFIG (see configs/train_elsr.yaml) on random\n"
        "LR/HR patches of DATA/demo_train (BI x4, built from opencv-doc if absent),\n"
        "validating with the inference engine on the held-out DATA/demo clips.\n"
        "Writes OUT/<name>.vsrw (weights, loadable by every command), OUT/<name>.opt.vsrw\n"
        "(Adam state, step) every checkpoint_every steps and at the end, and the loss\n"
        "curve OUT/loss.tsv (step, loss, lr, validation Y-PSNR).\n"
        "\n"
        "options:\n"
        "  -r, --resume        continue exactly from the checkpoint in OUT (same loss curve)\n"
        "  -s, --set K=V       override a config key (repeatable), e.g. --set steps=200\n"
        "  -v, --verbose       info messages (bicubic baseline, ...)\n"
        "  -h, --help          this help\n"
        "exit codes: 0 ok, 1 runtime failure, 2 usage or config error\n");
}

typedef struct prog {
    int tty;
} prog;

static void on_progress(void *ctx, const vsr_train_progress *p)
{
    const prog *pg = ctx;
    double eta = p->steps_per_s > 0 ? (double)(p->steps - p->step) / p->steps_per_s : 0;
    char val[48] = "";
    if (!isnan(p->val_psnr))
        snprintf(val, sizeof(val), " val %.3f dB", p->val_psnr);
    if (pg->tty)
        fprintf(stderr, "\rstep %ld/%ld loss %.5f lr %.2e %.2f steps/s ETA %ldm%02lds%s\033[K",
                p->step, p->steps, p->loss, p->lr, p->steps_per_s, (long)eta / 60,
                (long)eta % 60, val);
    else if (val[0] || p->step == p->steps)
        fprintf(stderr, "step %ld/%ld loss %.5f lr %.2e %.2f steps/s%s\n", p->step, p->steps,
                p->loss, p->lr, p->steps_per_s, val);
}

int vsr_cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {{"resume", no_argument, NULL, 'r'},
                                         {"set", required_argument, NULL, 's'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int resume = 0, n_sets = 0, c;
    const char **sets = calloc((size_t)argc + 1, sizeof(char *));
    if (!sets)
        return VSR_EXIT_FAILURE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "rs:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            resume = 1;
            break;
        case 's':
            sets[n_sets++] = optarg;
            break;
        case 'v':
            vsr_log_set_level(VSR_LOG_INFO);
            break;
        default: /* -h, --help or a bad option */
            free(sets);
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        free(sets);
        return VSR_EXIT_USAGE;
    }
    vsr_error err = {0};
    vsr_train_config cfg;
    int rc = vsr_train_config_load(argv[optind], sets, n_sets, &cfg, &err);
    free(sets);
    if (rc) {
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
        return VSR_EXIT_USAGE;
    }
    pthreadpool_t pool = NULL;
    if (cfg.threads > 1 && vsr_cli_pool_create(cfg.threads, &pool, &err)) {
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
        vsr_train_config_free(&cfg);
        return VSR_EXIT_FAILURE;
    }
    prog pg = {isatty(STDERR_FILENO)};
    vsr_train_hooks hk = {on_progress, &pg, 0};
    rc = vsr_train_run(&cfg, resume, pool, &hk, &err);
    if (pg.tty)
        fputc('\n', stderr);
    if (rc)
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
    else
        printf("%s: weights in %s/%s.vsrw, loss curve in %s/loss.tsv\n", cfg.name, cfg.out_dir,
               cfg.name, cfg.out_dir);
    if (pool)
        pthreadpool_destroy(pool);
    vsr_train_config_free(&cfg);
    return rc ? (rc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE) : VSR_EXIT_OK;
}
