#include "allocator.h"

#ifdef SPINE_WITH_TCMALLOC
#include <gperftools/tcmalloc.h>
#endif

namespace spine::cli {

std::string allocator_name() {
#ifdef SPINE_WITH_TCMALLOC
  int major = 0;
  int minor = 0;
  const char* patch = nullptr;
  tc_version(&major, &minor, &patch);
  return "tcmalloc " + std::to_string(major) + "." + std::to_string(minor) + (patch ? patch : "");
#else
  return "glibc malloc";
#endif
}

}  // namespace spine::cli
