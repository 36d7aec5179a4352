/*
 * vsrbench slurm: a sweep as a Slurm job array of N shards (one run log per
 * task, `vsrbench run --shard K/N`) plus a job that waits for all of them
 * (afterany), merges the shards' run logs, says which shards miss runs and
 * renders the report. Writes the two batch scripts; --submit hands them to
 * sbatch. Layout and cost model: docs/CLUSTER.md.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "shard_select.h"
#include "vsr/bench.h"

enum {
    ARG_TASKS = 256,
    ARG_PARTITION,
    ARG_TIME,
    ARG_CPUS,
    ARG_DIR,
    ARG_SET,
    ARG_SUBMIT,
    ARG_BIN
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench slurm CONFIG --tasks N [--partition P] [--time T]\n"
        "                      [--cpus-per-task C] [--dir DIR] [--set KEY=VALUE]...\n"
        "                      [--bin PATH] [--submit]\n"
        "\n"
        "Write DIR/array.sbatch, a Slurm job array of N tasks: task i (0-based) runs\n"
        "`vsrbench run CONFIG --shard i+1/N --db DIR/shards/i.db --resume` pinned to the\n"
        "CPUs Slurm gave it; and DIR/merge.sbatch, which (after every task, ok or not)\n"
        "merges the shards into DIR/merged.db, names the shards that miss runs, and\n"
        "writes the report to DIR/report. A failed or cancelled task is re-run alone:\n"
        "sbatch --array=i DIR/array.sbatch, then sbatch DIR/merge.sbatch.\n"
        "DIR must be on a file system every node sees (one SQLite file per task: never\n"
        "one shared database over NFS).\n"
        "\n"
        "options:\n"
        "      --tasks N           shards (array tasks), required\n"
        "      --partition P       #SBATCH --partition (default: the cluster's)\n"
        "      --time T            #SBATCH --time per task, e.g. 2:00:00\n"
        "      --cpus-per-task C   #SBATCH --cpus-per-task (default 1)\n"
        "      --dir DIR           where scripts, shards, logs, merged.db and report go\n"
        "                          (default slurm-<sweep name>)\n"
        "      --set KEY=VALUE     passed to every `vsrbench run` (repeatable)\n"
        "      --bin PATH          the vsrbench the nodes run (default: this one)\n"
        "      --submit            sbatch both, the merge job with --dependency=afterany\n"
        "  -h, --help              this help\n"
        "exit codes: 0 written (and submitted), 1 a file or sbatch failed, 2 usage error\n");
}

/* @p s as one single-quoted shell word */
static void shq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* 1 when @p v may go on an #SBATCH line as is */
static int sbatch_word(const char *v)
{
    if (!*v)
        return 0;
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
              (*v >= '0' && *v <= '9') || strchr("_.,:+-", *v)))
            return 0;
    return 1;
}

struct job {
    const char *name, *config, *dir, *cwd, *bin, *partition, *time;
    const char *const *sets;
    int n_sets, tasks, cpus;
};

static void sbatch_common(FILE *f, const struct job *j)
{
    if (j->partition)
        fprintf(f, "#SBATCH --partition=%s\n", j->partition);
    if (j->time)
        fprintf(f, "#SBATCH --time=%s\n", j->time);
    fprintf(f, "#SBATCH --ntasks=1\n");
}

static void run_args(FILE *f, const struct job *j)
{
    shq(f, j->config);
    for (int i = 0; i < j->n_sets; i++) {
        fputs(" --set ", f);
        shq(f, j->sets[i]);
    }
}

static int write_array(const char *path, const struct job *j)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "#!/bin/bash\n");
    fprintf(f, "# Written by `vsrbench slurm`: sweep %s as %d shards, one run log each.\n",
            j->name, j->tasks);
    fprintf(f, "# Re-run one failed or cancelled task alone: sbatch --array=I %s\n", path);
    fprintf(f, "#SBATCH --job-name=vsr-%s\n", j->name);
    fprintf(f, "#SBATCH --array=0-%d\n", j->tasks - 1);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", j->cpus);
    sbatch_common(f, j);
    fprintf(f, "#SBATCH --output=%s/logs/shard-%%a.out\n", j->dir);
    fprintf(f, "set -euo pipefail\ncd ");
    shq(f, j->cwd);
    fprintf(f, "\ni=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}\n");
    fprintf(f, "# the CPUs Slurm gave this task (cgroup / affinity): pin the run to them\n");
    fprintf(f, "cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)\n");
    fprintf(f, "echo \"shard $((i + 1))/%d on ${SLURMD_NODENAME:-$(hostname)}, CPUs $cpus\"\n",
            j->tasks);
    fprintf(f, "exec ");
    shq(f, j->bin);
    fprintf(f, " run ");
    run_args(f, j);
    fprintf(f, " --shard $((i + 1))/%d --db ", j->tasks);
    shq(f, j->dir);
    fprintf(f, "/shards/$i.db --resume --pin \"$cpus\" --no-report --progress never\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -EIO;
    return chmod(path, 0755) == 0 ? 0 : -errno;
}

static int write_merge(const char *path, const struct job *j)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "#!/bin/bash\n");
    fprintf(f, "# Written by `vsrbench slurm`: merge the %d shards of sweep %s and report.\n",
            j->tasks, j->name);
    fprintf(f, "#SBATCH --job-name=vsr-%s-merge\n", j->name);
    fprintf(f, "#SBATCH --cpus-per-task=1\n");
    sbatch_common(f, j);
    fprintf(f, "#SBATCH --output=%s/logs/merge.out\n", j->dir);
    fprintf(f, "set -uo pipefail\ncd ");
    shq(f, j->cwd);
    fprintf(f, "\ndir=");
    shq(f, j->dir);
    fprintf(f, "\nbin=");
    shq(f, j->bin);
    fprintf(f, "\ndbs=()\nfor i in $(seq 0 %d); do\n", j->tasks - 1);
    fprintf(f, "  if [ -f \"$dir/shards/$i.db\" ]; then\n    dbs+=(\"$dir/shards/$i.db\")\n");
    fprintf(f,
            "  else\n    echo \"shard $((i + 1))/%d: no run log (task $i never ran);"
            " re-run it: sbatch --array=$i $dir/array.sbatch\" >&2\n  fi\ndone\n",
            j->tasks);
    fprintf(f, "[ ${#dbs[@]} -gt 0 ] || { echo \"no shard run log at all in $dir/shards\" >&2;"
               " exit 1; }\n");
    fprintf(f, "rc=0\n\"$bin\" merge \"$dir/merged.db\" \"${dbs[@]}\" --expect ");
    run_args(f, j);
    fprintf(f, " --shards %d || rc=$?\n", j->tasks);
    fprintf(f, "[ $rc -eq 0 ] || echo \"re-run the tasks of the shards above"
               " (sbatch --array=I $dir/array.sbatch), then sbatch $dir/merge.sbatch\" >&2\n");
    fprintf(f, "\"$bin\" report --db \"$dir/merged.db\" --out \"$dir/report\" --filter ");
    fprintf(f, "'sweep=%s' || rc=1\nexit $rc\n", j->name); /* a checked name */
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -EIO;
    return chmod(path, 0755) == 0 ? 0 : -errno;
}

/* sbatch @p args + @p script; *id = the job id it printed (--parsable) */
static int sbatch(const char *args, const char *script, char *id, size_t cap)
{
    char cmd[PATH_MAX * 2 + 256];
    snprintf(cmd, sizeof(cmd), "sbatch --parsable %s '%s'", args, script);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -errno;
    char line[256] = "";
    if (!fgets(line, sizeof(line), p))
        line[0] = '\0';
    int st = pclose(p);
    line[strcspn(line, ";\r\n")] = '\0';
    if (st != 0 || !line[0])
        return -EIO;
    snprintf(id, cap, "%s", line);
    return 0;
}

static int mkdir_one(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -errno;
}

int vsr_cmd_slurm(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"tasks", required_argument, NULL, ARG_TASKS},
        {"partition", required_argument, NULL, ARG_PARTITION},
        {"time", required_argument, NULL, ARG_TIME},
        {"cpus-per-task", required_argument, NULL, ARG_CPUS},
        {"dir", required_argument, NULL, ARG_DIR},
        {"set", required_argument, NULL, ARG_SET},
        {"bin", required_argument, NULL, ARG_BIN},
        {"submit", no_argument, NULL, ARG_SUBMIT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sets[64], *dir_arg = NULL, *bin_arg = NULL;
    struct job j = {.cpus = 1, .sets = sets};
    int submit = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        char *end;
        long v;
        switch (opt) {
        case ARG_TASKS:
        case ARG_CPUS:
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 ||
                v > (opt == ARG_TASKS ? VSR_SHARD_MAX : 4096)) {
                fprintf(stderr, "vsrbench slurm: --%s %s: expected a count 1..%d\n",
                        opt == ARG_TASKS ? "tasks" : "cpus-per-task", optarg,
                        opt == ARG_TASKS ? VSR_SHARD_MAX : 4096);
                return VSR_EXIT_USAGE;
            }
            *(opt == ARG_TASKS ? &j.tasks : &j.cpus) = (int)v;
            break;
        case ARG_PARTITION:
        case ARG_TIME:
            if (!sbatch_word(optarg)) {
                fprintf(stderr,
                        "vsrbench slurm: --%s '%s': expected letters, digits and _.,:+- only\n",
                        opt == ARG_TIME ? "time" : "partition", optarg);
                return VSR_EXIT_USAGE;
            }
            *(opt == ARG_TIME ? &j.time : &j.partition) = optarg;
            break;
        case ARG_DIR:
            dir_arg = optarg;
            break;
        case ARG_BIN:
            bin_arg = optarg;
            break;
        case ARG_SET:
            if (j.n_sets == 64) {
                fprintf(stderr, "vsrbench slurm: at most 64 --set options\n");
                return VSR_EXIT_USAGE;
            }
            sets[j.n_sets++] = optarg;
            break;
        case ARG_SUBMIT:
            submit = 1;
            break;
        default:
            return vsr_cli_help_exit(opt, usage);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vsrbench slurm: expected one CONFIG file\n");
        return VSR_EXIT_USAGE;
    }
    if (!j.tasks) {
        fprintf(stderr, "vsrbench slurm: --tasks N is required (the number of shards)\n");
        return VSR_EXIT_USAGE;
    }
    vsr_config *cfg = NULL;
    vsr_sweep_run *runs = NULL;
    vsr_error err = {0};
    int n = 0, ret = VSR_EXIT_OK;
    char config[PATH_MAX], dir[PATH_MAX], cwd[PATH_MAX], bin[PATH_MAX], path[PATH_MAX + 32];
    char dflt[PATH_MAX];
    if (vsr_config_load(argv[optind], sets, j.n_sets, &cfg, &err) < 0 ||
        vsr_sweep_expand(cfg, &runs, &n, NULL, &err) < 0) {
        fprintf(stderr, "vsrbench slurm: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    if (!sbatch_word(cfg->name)) {
        fprintf(stderr,
                "vsrbench slurm: sweep name '%s': use letters, digits and _.,:+- only "
                "for a job name\n",
                cfg->name);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    if (j.tasks > n)
        fprintf(stderr,
                "vsrbench slurm: warning: %d tasks for %d runs; %d will have nothing "
                "to do\n",
                j.tasks, n, j.tasks - n);
    snprintf(dflt, sizeof(dflt), "slurm-%s", cfg->name);
    if (!dir_arg)
        dir_arg = dflt;
    const char *bin_src = bin_arg ? bin_arg : "/proc/self/exe";
    int rc = mkdir_one(dir_arg);
    if (rc || !realpath(argv[optind], config) || !realpath(dir_arg, dir) ||
        !getcwd(cwd, sizeof(cwd)) || !realpath(bin_src, bin)) {
        fprintf(stderr, "vsrbench slurm: %s: %s\n", rc ? dir_arg : "resolving paths",
                strerror(rc ? -rc : errno));
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    if (strpbrk(dir, " \t\n'\"\\%")) {
        /* #SBATCH --output takes the path as one word, with %-patterns */
        fprintf(stderr,
                "vsrbench slurm: --dir %s: a folder whose path has no blanks, quotes or "
                "%% please\n",
                dir);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    j.name = cfg->name;
    j.config = config;
    j.dir = dir;
    j.cwd = cwd;
    j.bin = bin;
    const char *sub[] = {"shards", "logs"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
        if ((rc = mkdir_one(path))) {
            fprintf(stderr, "vsrbench slurm: %s: %s\n", path, strerror(-rc));
            ret = VSR_EXIT_FAILURE;
            goto end;
        }
    }
    char array[PATH_MAX + 32], merge[PATH_MAX + 32];
    snprintf(array, sizeof(array), "%s/array.sbatch", dir);
    snprintf(merge, sizeof(merge), "%s/merge.sbatch", dir);
    if ((rc = write_array(array, &j)) || (rc = write_merge(merge, &j))) {
        fprintf(stderr, "vsrbench slurm: writing the scripts in %s: %s\n", dir, strerror(-rc));
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    printf("sweep %s: %d runs in %d shards\n%s\n%s\n", cfg->name, n, j.tasks, array, merge);
    if (!submit) {
        printf("submit: id=$(sbatch --parsable %s) && sbatch --dependency=afterany:$id %s\n",
               array, merge);
        goto end;
    }
    char id[64], mid[64], dep[128];
    if (sbatch("", array, id, sizeof(id)) < 0) {
        fprintf(stderr,
                "vsrbench slurm: sbatch %s failed (is Slurm's sbatch on PATH and "
                "the controller up?)\n",
                array);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    snprintf(dep, sizeof(dep), "--dependency=afterany:%s", id);
    if (sbatch(dep, merge, mid, sizeof(mid)) < 0) {
        fprintf(stderr,
                "vsrbench slurm: sbatch %s failed; the array job %s runs on: cancel "
                "it with scancel %s or submit the merge yourself\n",
                merge, id, id);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    printf("submitted: array job %s (%d tasks), merge job %s (after all of them)\n", id,
           j.tasks, mid);
end:
    free(runs);
    vsr_config_free(&cfg);
    return ret;
}
