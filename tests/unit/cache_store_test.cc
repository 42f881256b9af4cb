// The store (cache/store.h) on a real directory: round trips of binaries and
// tuning records, damaged files on disk (every truncation, every bit flip, a
// file holding another key) are misses and are removed, directory
// permissions, LRU eviction under the cap, read-only layers, and the
// maintenance verbs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/location.h"
#include "cache/store.h"
#include "cache/testing/temp_dir.h"

namespace hrt::cache {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> Bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> Random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

Key K(int i) {
  return KeyBuilder().Backend("test").Kernel("k" + std::to_string(i)).Build();
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class CacheStore : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  // Options for a store in |sub| of the temp dir; no in-memory index, so
  // every Get reads the disk, and stamps written on every use.
  StoreOptions Opts(const std::string& sub = "user") const {
    StoreOptions o;
    o.dir = tmp_.path() + "/" + sub;
    o.memory_bytes = 0;
    o.stamp_interval_ns = 0;
    return o;
  }

  std::unique_ptr<Store> MustOpen(StoreOptions o) {
    Result<std::unique_ptr<Store>> s = Store::Open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }

  testing::TempDir tmp_;
};

TEST_F(CacheStore, BinaryRoundTripAcrossInstances) {
  const std::vector<uint8_t> small = Bytes("cubin bytes");
  const std::vector<uint8_t> big = Random(200000, 1);
  {
    auto s = MustOpen(Opts());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->Get(K(1)), nullptr);
    ASSERT_TRUE(s->Put(K(1), small).ok());
    ASSERT_TRUE(s->Put(K(2), big).ok());
    ASSERT_TRUE(s->Put(K(3), {}).ok());
  }
  auto s = MustOpen(Opts());
  ASSERT_TRUE(s);
  Blob b1 = s->Get(K(1)), b2 = s->Get(K(2)), b3 = s->Get(K(3));
  ASSERT_TRUE(b1 && b2 && b3);
  EXPECT_EQ(*b1, small);
  EXPECT_EQ(*b2, big);
  EXPECT_TRUE(b3->empty());
  EXPECT_EQ(s->Get(K(4)), nullptr);
  // Replacing a binary keeps one file per key.
  ASSERT_TRUE(s->Put(K(1), Bytes("newer")).ok());
  EXPECT_EQ(*s->Get(K(1)), Bytes("newer"));
  Result<StoreStats> st = s->Stats();
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->entries, 3u);
  EXPECT_EQ(st->records, 0u);
  EXPECT_EQ(st->hits, 4u);
  EXPECT_EQ(st->misses, 2u) << "the first instance's miss was flushed when it closed";
}

TEST_F(CacheStore, MemoryIndexServesWithoutTheDisk) {
  StoreOptions o = Opts();
  o.memory_bytes = 1 << 20;
  auto s = MustOpen(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Put(K(1), Bytes("payload")).ok());
  ASSERT_TRUE(fs::remove(s->EntryPath(K(1))));
  Blob b = s->Get(K(1));
  ASSERT_TRUE(b) << "held in memory after the put";
  EXPECT_EQ(*b, Bytes("payload"));
  auto fresh = MustOpen(Opts());
  EXPECT_EQ(fresh->Get(K(1)), nullptr) << "another instance has only the disk";
}

TEST_F(CacheStore, TuningRecordsAccumulateAcrossInstances) {
  std::set<std::vector<uint8_t>> written;
  for (int inst = 0; inst < 3; ++inst) {
    auto s = MustOpen(Opts());
    ASSERT_TRUE(s);
    for (int i = 0; i < 5; ++i) {
      const std::vector<uint8_t> rec =
          Bytes("inst " + std::to_string(inst) + " rec " + std::to_string(i));
      ASSERT_TRUE(s->AppendRecord(K(7), rec).ok());
      written.insert(rec);
    }
    ASSERT_TRUE(s->AppendRecord(K(8), Bytes("other key")).ok());
  }
  auto s = MustOpen(Opts());
  Result<std::vector<TuningRecord>> recs = s->Records(K(7));
  ASSERT_TRUE(recs.ok()) << recs.status().message();
  ASSERT_EQ(recs->size(), 15u);
  std::set<std::vector<uint8_t>> read;
  std::set<std::string> ids;
  for (size_t i = 0; i < recs->size(); ++i) {
    read.insert((*recs)[i].data);
    ids.insert((*recs)[i].id);
    if (i > 0) {
      EXPECT_LE((*recs)[i - 1].created_ns, (*recs)[i].created_ns) << "oldest first";
    }
  }
  EXPECT_EQ(read, written);
  EXPECT_EQ(ids.size(), 15u);
  EXPECT_EQ((*recs)[0].data, Bytes("inst 0 rec 0"));
  EXPECT_EQ(s->Records(K(8))->size(), 3u);
  EXPECT_TRUE(s->Records(K(9))->empty());
  EXPECT_EQ(s->Stats()->records, 18u);
}

TEST_F(CacheStore, EveryTruncationOfAnEntryFileIsAMissAndRemoved) {
  auto s = MustOpen(Opts());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->Put(K(1), Random(150, 2)).ok());
  const std::string path = s->EntryPath(K(1));
  const std::vector<uint8_t> good = ReadFile(path);
  ASSERT_GT(good.size(), kEntryHeaderSize);
  for (size_t n = 0; n < good.size(); ++n) {
    WriteFile(path, std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(n)));
    EXPECT_EQ(s->Get(K(1)), nullptr) << "length " << n;
    EXPECT_FALSE(fs::exists(path)) << "length " << n << " left in place";
  }
  WriteFile(path, good);
  ASSERT_TRUE(s->Get(K(1)));
}

TEST_F(CacheStore, EveryBitFlipOfAnEntryFileIsAMissAndRemoved) {
  auto s = MustOpen(Opts());
  ASSERT_TRUE(s);
  const std::vector<uint8_t> payload = Bytes(std::string(300, 'a') + "tail");
  ASSERT_TRUE(s->Put(K(1), payload).ok());
  const std::string path = s->EntryPath(K(1));
  const std::vector<uint8_t> good = ReadFile(path);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::vector<uint8_t> bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    WriteFile(path, bad);
    Blob b = s->Get(K(1));
    const size_t byte = bit / 8;
    if (byte >= kLastUsedOffset && byte < kLastUsedOffset + 8) {
      // Only the LRU stamp, outside the checksum by design: still the right
      // payload.
      ASSERT_TRUE(b) << "stamp bit " << bit;
      EXPECT_EQ(*b, payload);
      continue;
    }
    EXPECT_EQ(b, nullptr) << "bit " << bit << " served";
    EXPECT_FALSE(fs::exists(path)) << "bit " << bit << " left in place";
  }
  Result<StoreStats> st = s->Stats();
  EXPECT_EQ(st->entries, 0u);
}

TEST_F(CacheStore, AFileHoldingAnotherKeyIsAMissAndRemoved) {
  auto s = MustOpen(Opts());
  ASSERT_TRUE(s->Put(K(1), Bytes("one")).ok());
  ASSERT_TRUE(s->Put(K(2), Bytes("two")).ok());
  // K(1)'s file published under K(2)'s name: valid in itself, wrong key.
  fs::copy_file(s->EntryPath(K(1)), s->EntryPath(K(2)), fs::copy_options::overwrite_existing);
  EXPECT_EQ(s->Get(K(2)), nullptr);
  EXPECT_FALSE(fs::exists(s->EntryPath(K(2))));
  ASSERT_TRUE(s->Get(K(1)));
  EXPECT_EQ(*s->Get(K(1)), Bytes("one"));
}

TEST_F(CacheStore, DamagedRecordFilesAreSkippedAndRemoved) {
  auto s = MustOpen(Opts());
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(s->AppendRecord(K(5), Bytes("r" + std::to_string(i))).ok());
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(s->dir() + "/v1/tune")) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  ASSERT_EQ(files.size(), 4u);
  std::sort(files.begin(), files.end());
  std::vector<uint8_t> bytes = ReadFile(files[0]);
  WriteFile(files[0], std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
  bytes = ReadFile(files[1]);
  bytes.back() ^= 0x10;
  WriteFile(files[1], bytes);
  Result<std::vector<TuningRecord>> recs = s->Records(K(5));
  ASSERT_TRUE(recs.ok());
  EXPECT_EQ(recs->size(), 2u);
  EXPECT_FALSE(fs::exists(files[0]));
  EXPECT_FALSE(fs::exists(files[1]));
  EXPECT_TRUE(fs::exists(files[2]));
}

TEST_F(CacheStore, NewDirectoriesArePrivate) {
  StoreOptions o = Opts("a/b/c");
  auto s = MustOpen(o);
  ASSERT_TRUE(s);
  for (const std::string& d :
       {tmp_.path() + "/a", tmp_.path() + "/a/b", o.dir, o.dir + "/v1", o.dir + "/v1/bin"}) {
    struct stat st {};
    ASSERT_EQ(::stat(d.c_str(), &st), 0) << d;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }
  ASSERT_TRUE(s->Put(K(1), Bytes("x")).ok());
  struct stat st {};
  ASSERT_EQ(::stat(s->EntryPath(K(1)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CacheStore, GroupOrOtherWritableDirectoryIsRefused) {
  StoreOptions o = Opts();
  { ASSERT_TRUE(MustOpen(o)); }
  for (mode_t mode : {0777, 0770, 0702}) {
    ASSERT_EQ(::chmod(o.dir.c_str(), mode), 0);
    Result<std::unique_ptr<Store>> s = Store::Open(o);
    ASSERT_FALSE(s.ok()) << "mode " << std::oct << mode;
    EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
    const std::string& m = s.status().message();
    EXPECT_NE(m.find(o.dir), std::string::npos) << m;
    EXPECT_NE(m.find("writable by group or others"), std::string::npos) << m;
    EXPECT_NE(m.find("the cache is disabled"), std::string::npos) << m;
    EXPECT_NE(m.find("chmod 700"), std::string::npos) << m;
  }
  ASSERT_EQ(::chmod(o.dir.c_str(), 0755), 0);
  EXPECT_TRUE(Store::Open(o).ok()) << "readable by others is not a risk";
}

TEST_F(CacheStore, DirectoryOwnedBySomeoneElseIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory away";
  StoreOptions o = Opts();
  ASSERT_EQ(::mkdir(o.dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(o.dir.c_str(), 65534, 65534), 0);
  Result<std::unique_ptr<Store>> s = Store::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("owned by uid 65534"), std::string::npos)
      << s.status().message();
}

TEST_F(CacheStore, MissingDirectoryWithoutCreateIsNotFound) {
  StoreOptions o = Opts("nope");
  o.create = false;
  Result<std::unique_ptr<Store>> s = Store::Open(o);
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  EXPECT_FALSE(fs::exists(o.dir));
}

// Sum of the sizes of every entry and record file in the user directory.
uint64_t BytesOnDisk(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir + "/v1")) {
    const std::string name = e.path().filename();
    if (e.is_regular_file() && name != "usage" && name[0] != '.') total += e.file_size();
  }
  return total;
}

TEST_F(CacheStore, EvictionKeepsTheCapAndRemovesLeastRecentlyUsedFirst) {
  // Incompressible 1000-byte payloads: each file is 1080 bytes; the cap
  // holds 12 of them.
  constexpr uint64_t kFile = 1000 + kEntryHeaderSize;
  StoreOptions o = Opts();
  o.max_bytes = 12 * kFile;
  auto s = MustOpen(o);
  std::mt19937_64 rng(5);
  std::vector<int> order;  // keys by last use, oldest first (the model)
  auto touch = [&](int k) {
    order.erase(std::remove(order.begin(), order.end(), k), order.end());
    order.push_back(k);
  };
  int next = 0;
  for (int step = 0; step < 200; ++step) {
    if (order.empty() || rng() % 3 == 0) {
      const int k = next++;
      ASSERT_TRUE(s->Put(K(k), Random(1000, static_cast<uint64_t>(k))).ok());
      touch(k);
    } else {
      const int k = order[rng() % order.size()];
      Blob b = s->Get(K(k));
      ASSERT_TRUE(b) << "key " << k << " should still be cached";
      EXPECT_EQ(*b, Random(1000, static_cast<uint64_t>(k)));
      touch(k);
    }
    ASSERT_LE(BytesOnDisk(s->dir()), o.max_bytes) << "step " << step;
    // What survives must be exactly the most recently used suffix.
    std::vector<int> alive;
    for (int k : order) {
      if (fs::exists(s->EntryPath(K(k)))) alive.push_back(k);
    }
    ASSERT_FALSE(alive.empty());
    const std::vector<int> suffix(order.end() - static_cast<long>(alive.size()), order.end());
    ASSERT_EQ(alive, suffix) << "step " << step
                             << ": an entry more recent than an evicted one is gone";
    order = alive;
  }
  EXPECT_GT(next, 20) << "the test must have evicted";
  EXPECT_EQ(s->Put(K(9999), Random(o.max_bytes, 9)).code(), Code::kOutOfRange);
}

TEST_F(CacheStore, PruneByBytesAndByAge) {
  auto s = MustOpen(Opts());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(s->Put(K(i), Random(500, static_cast<uint64_t>(i))).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->AppendRecord(K(100), Bytes("r")).ok());
  ASSERT_TRUE(s->Get(K(0)));  // now the most recent
  // Room for four binaries and the three records (81 bytes each), not five.
  const uint64_t cap = 4 * (500 + kEntryHeaderSize) + 300;
  Result<PruneReport> r = s->Prune(cap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->removed_records, 0u) << "binaries go first";
  EXPECT_EQ(r->removed_entries, 6u);
  EXPECT_LE(BytesOnDisk(s->dir()), cap);
  for (int i = 1; i <= 6; ++i) EXPECT_FALSE(fs::exists(s->EntryPath(K(i)))) << i;
  for (int i = 7; i < 10; ++i) EXPECT_TRUE(fs::exists(s->EntryPath(K(i)))) << i;
  EXPECT_TRUE(s->Get(K(0))) << "used last, so kept";
  // By age: everything was used within the last hour, nothing in the last 0 ns.
  EXPECT_EQ(s->Prune(UINT64_MAX, uint64_t{3600} * 1000000000u)->removed_entries, 0u);
  r = s->Prune(UINT64_MAX, 0);
  EXPECT_EQ(r->removed_entries, 4u);
  EXPECT_EQ(r->removed_records, 3u);
  EXPECT_EQ(BytesOnDisk(s->dir()), 0u);
}

TEST_F(CacheStore, VerifyDropsBadFilesAndKeepsGoodOnes) {
  auto s = MustOpen(Opts());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(s->Put(K(i), Random(300, static_cast<uint64_t>(i))).ok());
  ASSERT_TRUE(s->AppendRecord(K(50), Bytes("rec")).ok());
  std::vector<uint8_t> f = ReadFile(s->EntryPath(K(1)));
  f[kEntryHeaderSize + 10] ^= 1;
  WriteFile(s->EntryPath(K(1)), f);
  f = ReadFile(s->EntryPath(K(2)));
  f.resize(40);
  WriteFile(s->EntryPath(K(2)), f);
  fs::copy_file(s->EntryPath(K(3)), s->EntryPath(K(4)), fs::copy_options::overwrite_existing);
  // Someone else's file in our tree is not ours to judge or remove.
  WriteFile(s->dir() + "/v1/bin/README", Bytes("hello"));
  Result<VerifyReport> r = s->Verify();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->checked, 7u);
  EXPECT_EQ(r->dropped, 3u);
  EXPECT_EQ(r->problems.size(), 3u);
  for (int i : {1, 2, 4}) EXPECT_FALSE(fs::exists(s->EntryPath(K(i)))) << i;
  for (int i : {0, 3, 5}) EXPECT_TRUE(s->Get(K(i))) << i;
  EXPECT_TRUE(fs::exists(s->dir() + "/v1/bin/README"));
  Result<StoreStats> st = s->Stats();
  EXPECT_EQ(st->entries, 3u);
  EXPECT_EQ(st->records, 1u);
  EXPECT_EQ(s->Verify()->dropped, 0u);
}

TEST_F(CacheStore, ListAndClear) {
  auto s = MustOpen(Opts());
  ASSERT_TRUE(s->Put(K(1), Bytes("one")).ok());
  ASSERT_TRUE(s->AppendRecord(K(2), Bytes("rec")).ok());
  Result<std::vector<EntryInfo>> ls = s->List();
  ASSERT_TRUE(ls.ok());
  ASSERT_EQ(ls->size(), 2u);
  const EntryInfo& bin = (*ls)[0].kind == EntryKind::kBinary ? (*ls)[0] : (*ls)[1];
  const EntryInfo& rec = (*ls)[0].kind == EntryKind::kBinary ? (*ls)[1] : (*ls)[0];
  EXPECT_EQ(bin.key, K(1));
  EXPECT_EQ(bin.raw_bytes, 3u);
  EXPECT_TRUE(bin.header_ok);
  EXPECT_EQ(rec.key, K(2));
  EXPECT_EQ(rec.kind, EntryKind::kTuningRecord);
  ASSERT_TRUE(s->Clear().ok());
  EXPECT_TRUE(s->List()->empty());
  EXPECT_EQ(s->Get(K(1)), nullptr);
  Result<StoreStats> st = s->Stats();
  EXPECT_EQ(st->entries + st->records + st->bytes, 0u);
  EXPECT_EQ(st->hits, 0u);
}

TEST_F(CacheStore, DamagedUsageFileIsRecounted) {
  StoreOptions o = Opts();
  o.max_bytes = 4 * (500 + kEntryHeaderSize);
  {
    auto s = MustOpen(o);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(s->Put(K(i), Random(500, static_cast<uint64_t>(i))).ok());
  }
  WriteFile(o.dir + "/v1/usage", Bytes(std::string(64, 'z')));
  auto s = MustOpen(o);
  // Had the totals been lost (read as zero), these puts would overrun the cap.
  for (int i = 3; i < 6; ++i) ASSERT_TRUE(s->Put(K(i), Random(500, static_cast<uint64_t>(i))).ok());
  EXPECT_LE(BytesOnDisk(o.dir), o.max_bytes);
}

TEST_F(CacheStore, ReadOnlyLayersServeButAreNeverChanged) {
  StoreOptions sys = Opts("system");
  {
    auto s = MustOpen(sys);
    ASSERT_TRUE(s->Put(K(1), Bytes("from system")).ok());
    ASSERT_TRUE(s->Put(K(2), Bytes("bad in system")).ok());
    ASSERT_TRUE(s->AppendRecord(K(3), Bytes("system record")).ok());
  }
  std::vector<uint8_t> f =
      ReadFile(fs::path(sys.dir) / "v1/bin" / K(2).Hex().substr(0, 2) / K(2).Hex());
  f.back() ^= 1;
  WriteFile(fs::path(sys.dir) / "v1/bin" / K(2).Hex().substr(0, 2) / K(2).Hex(), f);
  StoreOptions o = Opts();
  o.read_only_dirs = {sys.dir, tmp_.path() + "/does-not-exist"};
  auto s = MustOpen(o);
  EXPECT_TRUE(s->warnings().empty());
  Blob b = s->Get(K(1));
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, Bytes("from system"));
  EXPECT_EQ(s->Get(K(2)), nullptr);
  EXPECT_TRUE(fs::exists(fs::path(sys.dir) / "v1/bin" / K(2).Hex().substr(0, 2) / K(2).Hex()))
      << "read-only layers are never modified";
  // The user layer shadows the system one.
  ASSERT_TRUE(s->Put(K(1), Bytes("from user")).ok());
  EXPECT_EQ(*s->Get(K(1)), Bytes("from user"));
  ASSERT_TRUE(s->AppendRecord(K(3), Bytes("user record")).ok());
  Result<std::vector<TuningRecord>> recs = s->Records(K(3));
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ(recs->at(0).data, Bytes("system record"));
  EXPECT_TRUE(recs->at(0).read_only);
  EXPECT_EQ(recs->at(1).data, Bytes("user record"));
  Result<VerifyReport> v = s->Verify();
  EXPECT_EQ(v->bad_read_only, 1u);
  EXPECT_EQ(v->dropped, 0u);
  Result<StoreStats> st = s->Stats();
  EXPECT_EQ(st->read_only_entries, 2u);
  EXPECT_EQ(st->read_only_records, 1u);
  // A system layer others can write is skipped, with a warning.
  ASSERT_EQ(::chmod(sys.dir.c_str(), 0777), 0);
  auto s2 = MustOpen(o);
  ASSERT_EQ(s2->warnings().size(), 1u);
  EXPECT_NE(s2->warnings()[0].find("writable by group or others"), std::string::npos);
  EXPECT_EQ(*s2->Get(K(1)), Bytes("from user"));
  EXPECT_EQ(s2->Records(K(3))->size(), 1u);
}

TEST_F(CacheStore, ThreadsShareOneStore) {
  // Locks are per open file description, so threads of one process exclude
  // each other like processes do.
  StoreOptions o = Opts();
  o.memory_bytes = 64 << 10;
  o.max_bytes = 256 << 10;
  auto s = MustOpen(o);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const int k = (i * 7 + t) % 20;
        if (i % 3 == 0) {
          if (!s->Put(K(k), Random(3000 + static_cast<size_t>(k), static_cast<uint64_t>(k))).ok())
            ++bad;
        } else if (i % 3 == 1) {
          Blob b = s->Get(K(k));
          if (b && *b != Random(3000 + static_cast<size_t>(k), static_cast<uint64_t>(k))) ++bad;
        } else if (!s->AppendRecord(K(100), Bytes(std::to_string(t) + "/" + std::to_string(i)))
                        .ok()) {
          ++bad;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(s->Records(K(100))->size(), 200u);
  EXPECT_LE(BytesOnDisk(s->dir()), o.max_bytes);
  EXPECT_EQ(s->Verify()->dropped, 0u);
}

TEST(CacheLocation, EnvironmentDecidesTheDirectory) {
  const char* vars[] = {"HELIONRT_CACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  std::vector<std::optional<std::string>> saved;
  for (const char* v : vars) {
    const char* x = std::getenv(v);
    saved.push_back(x ? std::optional<std::string>(x) : std::nullopt);
  }
  ::setenv("HELIONRT_CACHE_DIR", "/c/explicit", 1);
  ::setenv("XDG_CACHE_HOME", "/x", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(DefaultCacheDir().value(), "/c/explicit");
  ::setenv("HELIONRT_CACHE_DIR", "", 1);
  EXPECT_EQ(DefaultCacheDir().value(), "/x/helionrt");
  ::setenv("XDG_CACHE_HOME", "relative", 1);
  EXPECT_EQ(DefaultCacheDir().value(), "/h/.cache/helionrt");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DefaultCacheDir().value(), "/h/.cache/helionrt");
  ::setenv("HELIONRT_CACHE_READONLY_DIRS", ":/a::/b/c:", 1);
  EXPECT_EQ(ReadOnlyDirsFromEnv(), (std::vector<std::string>{"/a", "/b/c"}));
  ::unsetenv("HELIONRT_CACHE_READONLY_DIRS");
  for (size_t i = 0; i < std::size(vars); ++i) {
    if (saved[i]) {
      ::setenv(vars[i], saved[i]->c_str(), 1);
    } else {
      ::unsetenv(vars[i]);
    }
  }
}

TEST(CacheLocation, ByteSizes) {
  EXPECT_EQ(ParseByteSize("0").value(), 0u);
  EXPECT_EQ(ParseByteSize("123").value(), 123u);
  EXPECT_EQ(ParseByteSize("64K").value(), 65536u);
  EXPECT_EQ(ParseByteSize("512MiB").value(), uint64_t{512} << 20);
  EXPECT_EQ(ParseByteSize("1G").value(), uint64_t{1} << 30);
  EXPECT_EQ(ParseByteSize("2tb").value(), uint64_t{2} << 40);
  for (const char* bad :
       {"", "G", "-1", "1.5G", "1X", "12 K", "18446744073709551616", "17179869184G"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace hrt::cache
