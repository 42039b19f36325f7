// Which malloc the `spine` binary runs on. Release builds link gperftools'
// tcmalloc (docs/architecture.md, "Memory allocator"); sanitizer builds keep
// glibc's, which ASan replaces. Benchmarks print it beside their figures.
#pragma once

#include <string>

namespace spine::cli {

std::string allocator_name();  // "tcmalloc 2.10" or "glibc malloc"

}  // namespace spine::cli
