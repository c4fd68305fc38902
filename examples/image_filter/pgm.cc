#include "pgm.h"

#include <cstdio>
#include <vector>

namespace image_filter {
namespace {

struct Header {
  int width = 0;
  int height = 0;
  size_t pixels_at = 0;  // Offset of the first pixel byte.
};

bool ParseHeader(const std::string& pgm, Header& header) {
  int consumed = 0;
  if (std::sscanf(pgm.c_str(), "P5 %d %d 255%n", &header.width, &header.height,
                  &consumed) != 2 ||
      consumed == 0 || header.width <= 0 || header.height <= 0) {
    return false;
  }
  header.pixels_at = static_cast<size_t>(consumed) + 1;  // One whitespace.
  return header.pixels_at <= pgm.size();
}

// Row pointers into `pgm`, one per row the header claims; null for rows past
// the end of the data (the decoder's bug: nothing checks for them).
std::vector<uint8_t*> IndexRows(std::string& pgm, const Header& header) {
  std::vector<uint8_t*> rows(header.height, nullptr);
  auto* pixels = reinterpret_cast<uint8_t*>(pgm.data() + header.pixels_at);
  const size_t available = pgm.size() - header.pixels_at;
  for (int y = 0; y < header.height; ++y) {
    if (static_cast<size_t>(y + 1) * header.width <= available) {
      rows[y] = pixels + static_cast<size_t>(y) * header.width;
    }
  }
  return rows;
}

}  // namespace

std::string MakePgm(int width, int height,
                    const std::function<uint8_t(int x, int y)>& pixel) {
  std::string pgm =
      "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      pgm.push_back(static_cast<char>(pixel(x, y)));
  }
  return pgm;
}

std::string MakeTruncatedPgm(int width, int height, int rows) {
  std::string pgm = MakePgm(width, rows, [](int x, int) { return x * 4; });
  const std::string full_header =
      "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  const std::string short_header =
      "P5\n" + std::to_string(width) + " " + std::to_string(rows) + "\n255\n";
  return full_header + pgm.substr(short_header.size());
}

bool ApplyFilter(const std::string& filter, std::string& pgm) {
  Header header;
  if (!ParseHeader(pgm, header)) return false;
  std::vector<uint8_t*> rows = IndexRows(pgm, header);
  if (filter == "invert") {
    for (int y = 0; y < header.height; ++y) {
      for (int x = 0; x < header.width; ++x) rows[y][x] = 255 - rows[y][x];
    }
    return true;
  }
  if (filter == "blur") {
    std::vector<uint8_t> out(static_cast<size_t>(header.width) * header.height);
    for (int y = 0; y < header.height; ++y) {
      for (int x = 0; x < header.width; ++x) {
        int sum = 0;
        int count = 0;
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = x + dx;
            const int ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= header.width || ny >= header.height) {
              continue;
            }
            sum += rows[ny][nx];
            ++count;
          }
        }
        out[static_cast<size_t>(y) * header.width + x] =
            static_cast<uint8_t>(sum / count);
      }
    }
    for (int y = 0; y < header.height; ++y) {
      for (int x = 0; x < header.width; ++x) {
        rows[y][x] = out[static_cast<size_t>(y) * header.width + x];
      }
    }
    return true;
  }
  return false;
}

double MeanPixel(const std::string& pgm) {
  Header header;
  if (!ParseHeader(pgm, header) || header.pixels_at >= pgm.size()) return 0;
  double sum = 0;
  for (size_t i = header.pixels_at; i < pgm.size(); ++i) {
    sum += static_cast<uint8_t>(pgm[i]);
  }
  return sum / static_cast<double>(pgm.size() - header.pixels_at);
}

int PgmWidth(const std::string& pgm) {
  Header header;
  return ParseHeader(pgm, header) ? header.width : 0;
}

int PgmHeight(const std::string& pgm) {
  Header header;
  return ParseHeader(pgm, header) ? header.height : 0;
}

}  // namespace image_filter
