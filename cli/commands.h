/**
 * @file commands.h
 * @brief The vsrbench subcommands. Each one is a main()-like function:
 *        it parses its own argv (argv[0] is the subcommand name) with
 *        getopt_long, prints --help, and returns the process exit code:
 *        0 ok, 1 runtime failure, 2 usage or configuration error.
 */
#ifndef VSR_BENCH_COMMANDS_H
#define VSR_BENCH_COMMANDS_H

/* 130 = 128 + SIGINT, what a shell reports for a Ctrl-C'd command */
enum { VSR_EXIT_OK = 0, VSR_EXIT_FAILURE = 1, VSR_EXIT_USAGE = 2, VSR_EXIT_INTERRUPTED = 130 };

struct vsr_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

/* One declaration per subcommand, in the order of the table in main.c. */
int vsr_cmd_data(int argc, char **argv);
int vsr_cmd_eval(int argc, char **argv);
int vsr_cmd_models(int argc, char **argv);
int vsr_cmd_report(int argc, char **argv);
int vsr_cmd_run(int argc, char **argv);
int vsr_cmd_train(int argc, char **argv);
int vsr_cmd_tune(int argc, char **argv);
int vsr_cmd_upscale(int argc, char **argv);
int vsr_cmd_export(int argc, char **argv);
int vsr_cmd_merge(int argc, char **argv);
int vsr_cmd_slurm(int argc, char **argv);
int vsr_cmd_quant_report(int argc, char **argv);
int vsr_cmd_compress(int argc, char **argv);
int vsr_cmd_device(int argc, char **argv);

#endif
