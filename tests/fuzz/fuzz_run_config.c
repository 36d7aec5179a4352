/* Fuzz target: the sweep config loader (bench/config.c) on a YAML text. */
#include "fuzz_common.h"
#include "vsr/bench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an embedded NUL ends the text, as in a C string */
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    /* one override, so the --set path (libfyaml node building) runs too */
    static const char *const sets[] = {"timing.warmup=1"};
    if (vsr_config_load_string("fuzz.yaml", text, NULL, 0, &cfg, &err) == 0)
        vsr_config_free(&cfg);
    if (vsr_config_load_string("fuzz.yaml", text, sets, 1, &cfg, &err) == 0)
        vsr_config_free(&cfg);
    free(text);
    return 0;
}
