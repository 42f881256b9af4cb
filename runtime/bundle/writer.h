// Serializes bundle contents (bundle.h) into the v1 file format
// (docs/bundle-format.md, format.h).
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

// A section the writer does not know, appended after the known ones. For
// forward-compatibility tests and for later minor versions that add optional
// sections.
struct ExtraSection {
  uint32_t id = 0;  // > format::kLastSection, distinct
  bool required = false;
  std::vector<uint8_t> bytes;
};

struct WriteOptions {
  // Compress payload and IR blobs with zstd. A blob is stored raw when it is
  // shorter than |min_compress_bytes|, when compression does not shrink it,
  // or when its compression ratio would exceed format::kMaxZstdRatio.
  bool compress = true;
  int zstd_level = 9;
  size_t min_compress_bytes = 128;
  std::vector<ExtraSection> extra_sections;
};

// Checks |contents| against the rules every bundle obeys (validate.h): names,
// unique kernel names, targets that fit their payload kinds, IR blobs that
// are valid one-kernel modules of the kernel's name, tunables, shape rules,
// non-empty payloads, counts and sizes that fit the format.
// Errors: kInvalidArgument naming the kernel and variant.
Status ValidateContents(const Contents& contents);

// Validates and serializes |contents|. PTX payloads that do not end with a
// NUL byte get one appended (the format stores PTX NUL-terminated). The
// output is deterministic: the same contents and options give the same bytes
// (with the same zstd version), and writing what the reader decodes from a
// bundle gives back that bundle's bytes.
// Errors: kInvalidArgument (see ValidateContents, bad extra sections),
// kInternal (zstd failure).
Result<std::vector<uint8_t>> WriteBundle(const Contents& contents,
                                         const WriteOptions& options = {});

}  // namespace hrt::bundle
