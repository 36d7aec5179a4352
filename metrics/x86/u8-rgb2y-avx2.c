/* AVX2 + FMA copy of the RGB24 -> BasicSR Y row; selected at run time. */
#define VSR_RGB2Y_ROW vsr_u8_rgb2y_row_8__avx2
#include "../u8-rgb2y-template.h"
