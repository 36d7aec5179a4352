/* Fuzz target: the device-timing readers (bench/device.c), benchmark_model
 * logs and hand-typed CSV, from the same bytes. */
#include "fuzz_common.h"
#include "vsr/bench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_device_timing *rows = NULL;
    int n = 0;
    vsr_error err = {0};
    if (vsr_device_parse_benchmark_model((const char *)data, size, &rows, &n, &err) == 0)
        free(rows);
    if (vsr_device_parse_csv((const char *)data, size, &rows, &n, &err) == 0)
        free(rows);
    return 0;
}
