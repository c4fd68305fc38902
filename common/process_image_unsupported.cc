#include "common/process_image.h"

namespace bulkhead {

ImageRange MainExecutableImage() { return ImageRange(); }

}  // namespace bulkhead
