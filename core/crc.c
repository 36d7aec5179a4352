/*
 * CRC-32 through zlib. Not libavutil's av_crc: core sits below every part
 * and links no FFmpeg library (only datasets does), so the engine and the
 * trainer stay free of FFmpeg; zlib's crc32 is the reference the .vsrw
 * format names (engine.h).
 */
#include <zlib.h>

#include "vsr/core.h"

uint32_t vsr_crc32(uint32_t crc, const void *p, size_t n)
{
    return (uint32_t)crc32_z(crc, (const Bytef *)p, n);
}
