/* The scalar (portable) copy of the RGB24 -> BasicSR Y row. */
#define VSR_RGB2Y_ROW vsr_u8_rgb2y_row_1__scalar
#include "u8-rgb2y-template.h"
