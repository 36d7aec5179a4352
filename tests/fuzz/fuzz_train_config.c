/* Fuzz target: the training config loader (train/config.c), from a file. */
#include "fuzz_common.h"
#include "vsr/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(data, size, ".yaml");
    if (!path)
        return 0;
    vsr_train_config c;
    vsr_error err = {0};
    if (vsr_train_config_load(path, NULL, 0, &c, &err) == 0)
        vsr_train_config_free(&c);
    return 0;
}
