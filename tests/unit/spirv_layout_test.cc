// Properties of codegen/spirv layouts that the lowering's per-layout tables
// rely on instead of looping over every invocation: a slot is inside the tile
// for some invocation exactly when it is for invocation 0; SlotAlwaysValid is
// "for every invocation"; the invocation tiling covers every thread id once;
// and Owner inverts (invocation, slot) -> coordinates, for ranks 1 to 3
// (rank 2 ownership is also checked in spirv_emit_test.cc).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "codegen/spirv/layout.h"

namespace hrt {
namespace {

std::vector<spirv::Layout> LayoutsOf(const spirv::Shape& s, uint32_t threads) {
  std::vector<spirv::Layout> out = {spirv::MakeBlocked(s, threads, 1),
                                    spirv::MakeBlocked(s, threads, 4)};
  std::array<int64_t, 4> spt{1, 1, 1, 1};
  for (uint32_t d = 0; d < s.rank; ++d) spt[d] = d % 2 ? 4 : 2;
  out.push_back(spirv::MakeTiled(s, threads, spt));
  return out;
}

TEST(SpirvLayoutTables, ValidityAndOwnershipMatchThePerInvocationDefinition) {
  const std::vector<std::vector<int64_t>> shapes = {
      {1},     {7},        {64},      {1000},    {8192},     {5, 7},    {1, 64},
      {64, 1}, {128, 128}, {3, 1024}, {2, 3, 5}, {4, 8, 16}, {1, 1, 33}};
  size_t checked = 0;
  for (const auto& dims : shapes) {
    spirv::Shape s;
    s.rank = static_cast<uint32_t>(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) s.dims[d] = dims[d];
    for (uint32_t threads : {32u, 96u, 128u, 256u}) {
      for (const spirv::Layout& l : LayoutsOf(s, threads)) {
        // The invocations per dim multiply to the workgroup size.
        int64_t product = 1;
        for (uint32_t d = 0; d < s.rank; ++d) product *= l.tpc[d];
        EXPECT_EQ(product, threads);
        std::vector<int> seen(static_cast<size_t>(s.numel()), 0);
        for (int64_t slot = 0; slot < l.slots; ++slot) {
          bool some = false, all = true;
          for (int64_t t = 0; t < threads; ++t) {
            const bool valid = l.SlotValidFor(t, slot);
            some = some || valid;
            all = all && valid;
            if (!valid) continue;
            int64_t coords[4] = {};
            int64_t flat = 0;
            for (uint32_t d = 0; d < s.rank; ++d) {
              coords[d] = l.ThreadBase(t, d) + l.SlotOffset(slot, d);
              flat = flat * s.dims[d] + coords[d];
            }
            ++seen[static_cast<size_t>(flat)];
            int64_t owner = -1, owner_slot = -1;
            l.Owner(coords, &owner, &owner_slot);
            ASSERT_EQ(owner, t);
            ASSERT_EQ(owner_slot, slot);
          }
          ASSERT_EQ(some, l.SlotValidFor(0, slot)) << "slot " << slot;
          ASSERT_EQ(all, l.SlotAlwaysValid(slot)) << "slot " << slot;
          ++checked;
        }
        for (int n : seen) ASSERT_EQ(n, 1);
      }
    }
  }
  EXPECT_GT(checked, 1000u);
}

}  // namespace
}  // namespace hrt
