// Binary PGM images (8-bit grayscale) and the filters the `filter` role
// applies to them.
#ifndef IMAGE_FILTER_PGM_H_
#define IMAGE_FILTER_PGM_H_

#include <cstdint>
#include <functional>
#include <string>

namespace image_filter {

// "P5\n<width> <height>\n255\n" followed by width * height pixel bytes, the
// pixel at (x, y) being `pixel(x, y)`.
std::string MakePgm(int width, int height,
                    const std::function<uint8_t(int x, int y)>& pixel);

// The same, with only the first `rows` rows of pixels present: a truncated
// file whose header still claims the full height.
std::string MakeTruncatedPgm(int width, int height, int rows);

// Applies `filter` ("invert" or "blur", 3x3 box) to the image in `pgm`, in
// place. False when the header is not a P5 header or the filter is unknown.
//
// The decoder trusts the header, as decoders written in a hurry do: rows the
// payload is too short for are left as null row pointers, and a truncated file
// makes the filter write through one. That is the bug the helper process is
// there to contain.
bool ApplyFilter(const std::string& filter, std::string& pgm);

// The mean pixel value, and the width and height from the header (0 when the
// header does not parse).
double MeanPixel(const std::string& pgm);
int PgmWidth(const std::string& pgm);
int PgmHeight(const std::string& pgm);

}  // namespace image_filter

#endif  // IMAGE_FILTER_PGM_H_
