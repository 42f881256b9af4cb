// Cache keys: the canonical encoding is what docs/cache.md says it is, equal
// inputs give equal keys whatever order fields were set in, and any change
// to any field changes the key. Property tests over random field values,
// no golden hashes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cache/key.h"

namespace hrt::cache {
namespace {

constexpr KeyField kAllFields[] = {KeyField::kBackend,        KeyField::kArch,
                                   KeyField::kDriverVersion,  KeyField::kRuntimeVersion,
                                   KeyField::kCodegenVersion, KeyField::kArtifact,
                                   KeyField::kIrHash,         KeyField::kKernel,
                                   KeyField::kConfig,         KeyField::kShapeBucket};
static_assert(std::size(kAllFields) == kKeyFieldCount);

// A random assignment: each field absent or holding 0..12 random bytes
// (including NUL and high bytes).
using Assignment = std::vector<std::optional<std::string>>;

Assignment RandomAssignment(std::mt19937_64& rng) {
  Assignment a(kKeyFieldCount);
  for (auto& f : a) {
    if (rng() % 4 == 0) continue;
    std::string s(rng() % 13, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    f = s;
  }
  return a;
}

KeyBuilder BuildFrom(const Assignment& a, std::mt19937_64& rng) {
  // Fields are set in a random order, and some are set twice (the last
  // value counts): the key must not depend on either.
  std::vector<size_t> order(kKeyFieldCount);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  KeyBuilder b;
  for (size_t i : order) {
    if (rng() % 3 == 0) b.Set(kAllFields[i], "decoy");
    if (a[i]) {
      b.Set(kAllFields[i], *a[i]);
    } else {
      b.Clear(kAllFields[i]);
    }
  }
  return b;
}

uint64_t ReadLe(const std::vector<uint8_t>& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b.at(at + static_cast<size_t>(i));
  return v;
}

TEST(CacheKey, EncodingFollowsTheDocumentedLayout) {
  std::mt19937_64 rng(1);
  for (int iter = 0; iter < 200; ++iter) {
    const Assignment a = RandomAssignment(rng);
    const std::vector<uint8_t> e = BuildFrom(a, rng).Encode();
    ASSERT_EQ(ReadLe(e, 0, 4), kKeyEncodingVersion);
    ASSERT_EQ(ReadLe(e, 4, 4), kKeyFieldCount);
    size_t at = 8;
    for (size_t i = 0; i < kKeyFieldCount; ++i) {
      ASSERT_EQ(e.at(at), i + 1) << "field number";
      ASSERT_EQ(e.at(at + 1), a[i] ? 1 : 0) << "presence of field " << i + 1;
      const uint64_t len = ReadLe(e, at + 2, 8);
      at += 10;
      ASSERT_EQ(len, a[i] ? a[i]->size() : 0);
      ASSERT_LE(at + len, e.size());
      if (a[i]) {
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.data() + at), len), *a[i]);
      }
      at += len;
    }
    EXPECT_EQ(at, e.size()) << "nothing after the last field";
  }
}

TEST(CacheKey, EqualInputsGiveEqualKeysInAnySetOrder) {
  std::mt19937_64 rng(2);
  for (int iter = 0; iter < 500; ++iter) {
    const Assignment a = RandomAssignment(rng);
    const KeyBuilder b1 = BuildFrom(a, rng);
    const KeyBuilder b2 = BuildFrom(a, rng);
    EXPECT_EQ(b1.Encode(), b2.Encode());
    EXPECT_EQ(b1.Build(), b2.Build());
  }
}

TEST(CacheKey, AnyFieldChangeChangesTheKey) {
  std::mt19937_64 rng(3);
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (int iter = 0; iter < 100; ++iter) {
    const Assignment a = RandomAssignment(rng);
    const Key base = BuildFrom(a, rng).Build();
    for (size_t i = 0; i < kKeyFieldCount; ++i) {
      // Every kind of single-field edit: absent <-> present (including
      // present-but-empty), one byte changed, one byte appended, one dropped.
      std::vector<std::optional<std::string>> edits;
      if (a[i]) {
        edits.push_back(std::nullopt);
        std::string s = *a[i];
        s.push_back('x');
        edits.push_back(s);
        if (!a[i]->empty()) {
          std::string t = *a[i];
          t[rng() % t.size()] ^= static_cast<char>(1 + rng() % 255);
          edits.push_back(t);
          edits.push_back(a[i]->substr(0, a[i]->size() - 1));
        }
      } else {
        edits.push_back(std::string());
        edits.push_back(std::string(1, static_cast<char>(rng() % 256)));
      }
      for (const auto& edit : edits) {
        Assignment b = a;
        b[i] = edit;
        EXPECT_NE(BuildFrom(b, rng).Build(), base) << "field " << i + 1 << " edit not seen";
      }
    }
    seen.insert({base.hi, base.lo});
  }
  EXPECT_EQ(seen.size(), 100u) << "distinct random inputs collided";
}

TEST(CacheKey, FieldBoundariesAreNotAmbiguous) {
  // Moving bytes from one field to its neighbour must change the key, as
  // must moving a value to another field.
  const Key a = KeyBuilder().Kernel("ab").Config("c").Build();
  const Key b = KeyBuilder().Kernel("a").Config("bc").Build();
  const Key c = KeyBuilder().Kernel("abc").Build();
  const Key d = KeyBuilder().Config("abc").Build();
  const Key e = KeyBuilder().Kernel("abc").Config("").Build();
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(c, d);
  EXPECT_NE(c, e) << "an empty field differs from an absent one";
  const uint8_t ir[] = {1, 2, 3};
  const Key by_bytes = KeyBuilder().IrHash(ir).Build();
  EXPECT_EQ(by_bytes, KeyBuilder().Set(KeyField::kIrHash, "\1\2\3").Build());
}

TEST(CacheKey, HexRoundTripsAndRejectsOtherText) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 100; ++i) {
    const Key k{rng(), rng()};
    const std::string hex = k.Hex();
    ASSERT_EQ(hex.size(), 32u);
    EXPECT_EQ(Key::FromHex(hex), k);
  }
  EXPECT_EQ((Key{1, 2}.Hex()), "00000000000000010000000000000002");
  EXPECT_FALSE(Key::FromHex(""));
  EXPECT_FALSE(Key::FromHex(std::string(31, '0')));
  EXPECT_FALSE(Key::FromHex(std::string(33, '0')));
  EXPECT_FALSE(Key::FromHex(std::string(31, '0') + "g"));
  EXPECT_FALSE(Key::FromHex(std::string(31, '0') + "A")) << "upper case is not canonical";
}

}  // namespace
}  // namespace hrt::cache
