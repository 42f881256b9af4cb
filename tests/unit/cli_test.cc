// End-to-end tests of the helionrt command-line tool: each test runs the real
// binary (HRT_CLI_PATH) in a temporary directory and checks its exit code,
// its output and the files it writes. JSON output is parsed (a small parser
// below), not just searched. The CUDA driver is hidden
// (HRT_CUDA_LIBRARY=/nonexistent) so results do not depend on the machine;
// the cubin test runs only where ptxas is installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/ir/text.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

//===----------------------------------------------------------------------===//
// A minimal JSON parser (objects, arrays, strings, numbers, literals)
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool b = false;
  double number = 0;
  std::string str;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  // The member |key| of an object; a static null when absent.
  const Json& operator[](std::string_view key) const {
    static const Json kMissing;
    for (const auto& [k, v] : members) {
      if (k == key) return v;
    }
    return kMissing;
  }
  const Json& operator[](size_t i) const { return items.at(i); }
  bool Has(std::string_view key) const {
    return std::any_of(members.begin(), members.end(),
                       [&](const auto& m) { return m.first == key; });
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  std::optional<Json> ParseDocument() {
    Json v;
    if (!Value(&v)) return std::nullopt;
    Blank();
    if (pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void Blank() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    Blank();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u':
          if (pos_ + 4 > s_.size()) return false;
          for (int i = 0; i < 4; ++i) {
            if (!std::isxdigit(static_cast<unsigned char>(s_[pos_ + i]))) return false;
          }
          pos_ += 4;
          out->push_back('?');  // the tests never look at escaped code points
          break;
        default: return false;
      }
    }
    return false;
  }
  bool Value(Json* v) {
    Blank();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v->kind = Json::kObject;
      if (Eat('}')) return true;
      do {
        std::string key;
        Json member;
        if (!String(&key) || !Eat(':') || !Value(&member)) return false;
        v->members.emplace_back(std::move(key), std::move(member));
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++pos_;
      v->kind = Json::kArray;
      if (Eat(']')) return true;
      do {
        Json item;
        if (!Value(&item)) return false;
        v->items.push_back(std::move(item));
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      v->kind = Json::kString;
      return String(&v->str);
    }
    if (Literal("true")) {
      v->kind = Json::kBool;
      v->b = true;
      return true;
    }
    if (Literal("false")) {
      v->kind = Json::kBool;
      return true;
    }
    if (Literal("null")) return true;
    const size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
            s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) return false;
    v->kind = Json::kNumber;
    v->number = std::strtod(std::string(s_.substr(start, pos_ - start)).c_str(), nullptr);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<Json> ParseJson(std::string_view text) {
  return JsonParser(text).ParseDocument();
}

TEST(CliTestJson, ParserAcceptsAndRejects) {
  auto ok = ParseJson(R"({"a":[1,-2.5e3,true,null],"b":{"c":"x\"y"}})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)["a"].items.size(), 4u);
  EXPECT_EQ((*ok)["a"][1].number, -2500.0);
  EXPECT_EQ((*ok)["b"]["c"].str, "x\"y");
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "\"unterminated"}) {
    EXPECT_FALSE(ParseJson(bad).has_value()) << bad;
  }
}

//===----------------------------------------------------------------------===//
// Running the CLI
//===----------------------------------------------------------------------===//

struct RunResult {
  int code = -1;  // the exit status; -1 when killed by a signal (a crash)
  std::string out;
  std::string err;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  const std::string s = ReadText(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string KernelsDir() {
  return std::string(HRT_SOURCE_DIR) + "/kernels";
}

// Every kernels/*.tile file, sorted.
std::vector<std::string> TileFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(KernelsDir())) {
    if (e.path().extension() == ".tile") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The ptxas bundle build would use (same search order), or "".
std::string FindPtxas() {
  if (const char* env = std::getenv("HRT_PTXAS"); env != nullptr && *env != '\0') {
    return ::access(env, X_OK) == 0 ? env : "";
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && ::access((dir + "/ptxas").c_str(), X_OK) == 0) return dir + "/ptxas";
    }
  }
  return ::access("/usr/local/cuda/bin/ptxas", X_OK) == 0 ? "/usr/local/cuda/bin/ptxas" : "";
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "hrt-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = new std::string(pattern);
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
    dir_ = nullptr;
    delete standard_bundle_;
    standard_bundle_ = nullptr;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // Runs the CLI with |args|. The environment is the test's, with the CUDA
  // driver hidden and |env| (NAME=value, or NAME= to remove) applied.
  static RunResult Run(const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
    static int counter = 0;
    const std::string out_path = Path("stdout." + std::to_string(counter));
    const std::string err_path = Path("stderr." + std::to_string(counter++));
    std::vector<std::string> envs;
    std::vector<std::string> overrides = {"HRT_CUDA_LIBRARY=/nonexistent"};
    overrides.insert(overrides.end(), env.begin(), env.end());
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const bool replaced = std::any_of(overrides.begin(), overrides.end(), [&](const auto& o) {
        const std::string name = o.substr(0, o.find('=') + 1);
        return entry.substr(0, name.size()) == name;
      });
      if (!replaced) envs.emplace_back(entry);
    }
    for (const std::string& o : overrides) {
      if (o.back() != '=') envs.push_back(o);
    }
    std::vector<std::string> argv = {HRT_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv, cenv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (std::string& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addchdir_np(&actions, dir_->c_str());
    pid_t pid = 0;
    RunResult r;
    const int err =
        posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
      ADD_FAILURE() << "cannot run " << argv[0] << ": " << err;
      return r;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        ADD_FAILURE() << "waitpid: " << errno;
        return r;
      }
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadText(out_path);
    r.err = ReadText(err_path);
    ::unlink(out_path.c_str());
    ::unlink(err_path.c_str());
    return r;
  }

  // A bundle of every standard kernel (PTX variants only), built once.
  static const std::string& StandardBundle() {
    if (standard_bundle_ == nullptr) {
      standard_bundle_ = new std::string(Path("standard.hrtb"));
      std::vector<std::string> args = {"bundle", "build", "-o", *standard_bundle_, "--json"};
      for (const std::string& f : TileFiles()) args.push_back(f);
      const RunResult r = Run(args);
      EXPECT_EQ(r.code, 0) << r.err;
      build_json_ = new std::string(r.out);
      build_err_ = new std::string(r.err);
    }
    return *standard_bundle_;
  }

  static std::string* dir_;
  static std::string* standard_bundle_;
  static std::string* build_json_;
  static std::string* build_err_;
};

std::string* CliTest::dir_ = nullptr;
std::string* CliTest::standard_bundle_ = nullptr;
std::string* CliTest::build_json_ = nullptr;
std::string* CliTest::build_err_ = nullptr;

// A failure: exit 1, one "helionrt: ..." line on stderr, no crash.
void ExpectFailure(const RunResult& r, std::string_view needle) {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("helionrt: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in " << r.err;
}

// A usage error: exit 2, the message and the usage text on stderr.
void ExpectUsage(const RunResult& r, std::string_view needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("usage: helionrt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

//===----------------------------------------------------------------------===//
// info
//===----------------------------------------------------------------------===//

TEST_F(CliTest, InfoListsReferenceDeviceAndWhyCudaIsUnavailable) {
  const RunResult text = Run({"info"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("backend cpu-reference: 1 device(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fingerprint backend=cpu-reference"), std::string::npos) << text.out;
  // The reason names the library it tried.
  EXPECT_NE(text.out.find("backend cuda: unavailable: no CUDA driver (tried /nonexistent"),
            std::string::npos)
      << text.out;

  const RunResult json = Run({"info", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const std::optional<Json> doc = ParseJson(json.out);
  ASSERT_TRUE(doc.has_value()) << json.out;
  const Json& backends = (*doc)["backends"];
  ASSERT_EQ(backends.kind, Json::kArray);
  std::map<std::string, const Json*> by_name;
  for (const Json& b : backends.items) by_name[b["name"].str] = &b;
  ASSERT_TRUE(by_name.contains("cuda") && by_name.contains("cpu-reference")) << json.out;
  const Json& cuda = *by_name["cuda"];
  EXPECT_FALSE(cuda["available"].b);
  EXPECT_NE(cuda["reason"].str.find("/nonexistent"), std::string::npos);
  EXPECT_TRUE(cuda["devices"].items.empty());
  const Json& ref = *by_name["cpu-reference"];
  EXPECT_TRUE(ref["available"].b);
  EXPECT_EQ(ref["reason"].kind, Json::kNull);
  ASSERT_EQ(ref["devices"].items.size(), 1u);
  const Json& dev = ref["devices"][0];
  EXPECT_EQ(dev["fingerprint"].str.rfind("backend=cpu-reference", 0), 0u);
  EXPECT_FALSE(dev["name"].str.empty());
  // The reference device is listed last (after lavapipe, when Vulkan has it).
  size_t devices = 0;
  for (const Json& b : backends.items) devices += b["devices"].items.size();
  EXPECT_EQ(dev["index"].number, static_cast<double>(devices - 1));
}

//===----------------------------------------------------------------------===//
// bundle build / inspect
//===----------------------------------------------------------------------===//

TEST_F(CliTest, BundleBuildMakesOneVariantPerDtypeOfEveryKernel) {
  const std::string& bundle = StandardBundle();
  const std::optional<Json> build = ParseJson(*build_json_);
  ASSERT_TRUE(build.has_value()) << *build_json_;

  // What the build should cover, from the IR itself: every kernel, one
  // config per dtype candidate (the default config otherwise).
  std::map<std::string, size_t> combos;
  for (const std::string& f : TileFiles()) {
    auto m = hrt::ir::ParseModule(ReadText(f), f);
    ASSERT_TRUE(m.ok()) << m.status().message();
    for (const auto& k : m->kernels) {
      size_t n = 1;
      for (const auto& d : k.dtype_params) n *= d.candidates.size();
      combos[k.name] = n;
    }
  }
  ASSERT_GE(combos.size(), 6u);
  EXPECT_EQ((*build)["kernel_count"].number, static_cast<double>(combos.size()));
  std::map<std::string, size_t> skipped;
  for (const Json& s : (*build)["skipped"].items) {
    ++skipped[s["kernel"].str];
    EXPECT_EQ(s["target"].str, "sm_80");
    EXPECT_FALSE(s["reason"].str.empty());
    // Each skip is also a warning on stderr.
    EXPECT_NE(build_err_->find("warning: kernel '" + s["kernel"].str + "' [" + s["config"].str +
                               "] not built for sm_80"),
              std::string::npos)
        << *build_err_;
  }

  const RunResult inspect = Run({"bundle", "inspect", bundle, "--json"});
  ASSERT_EQ(inspect.code, 0) << inspect.err;
  const std::optional<Json> doc = ParseJson(inspect.out);
  ASSERT_TRUE(doc.has_value()) << inspect.out;
  EXPECT_FALSE((*doc)["verified"].b);
  ASSERT_EQ((*doc)["kernels"].items.size(), combos.size());
  size_t total = 0;
  for (const Json& k : (*doc)["kernels"].items) {
    const std::string& name = k["name"].str;
    ASSERT_TRUE(combos.contains(name)) << name;
    const size_t variants = k["variants"].items.size();
    EXPECT_EQ(variants + skipped[name], combos[name]) << name;
    EXPECT_GE(variants, 1u) << name;
    total += variants;
    for (const Json& b : (*build)["kernels"].items) {
      if (b["name"].str == name) {
        EXPECT_EQ(b["variants"].number, static_cast<double>(variants));
      }
    }
    std::vector<double> dtypes;
    for (const Json& v : k["variants"].items) {
      EXPECT_EQ(v["payload_kind"].str, "ptx");
      EXPECT_EQ(v["arch"].str, "compute_80");
      EXPECT_EQ(v["min_ptx_isa"].str, "8.0");
      EXPECT_GT(v["resources"]["threads_per_block"].number, 0);
      // Every tunable and the dtype parameter are recorded.
      EXPECT_EQ(v["config"].members.size(), k["tunables"].items.size() + 1) << name;
      ASSERT_TRUE(v["config"].Has("T")) << name;
      dtypes.push_back(v["config"]["T"].number);
    }
    std::sort(dtypes.begin(), dtypes.end());
    EXPECT_EQ(std::unique(dtypes.begin(), dtypes.end()), dtypes.end()) << name;
  }
  EXPECT_EQ((*build)["variant_count"].number, static_cast<double>(total));

  const RunResult text = Run({"bundle", "inspect", bundle, "--verify"});
  ASSERT_EQ(text.code, 0) << text.err;
  for (const auto& [name, n] : combos) {
    EXPECT_NE(text.out.find("'" + name + "': IR "), std::string::npos) << name;
  }
  EXPECT_NE(text.out.find(std::to_string(combos.size()) + " kernels, " + std::to_string(total) +
                          " variants"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("verified:"), std::string::npos);
}

TEST_F(CliTest, BundleBuildHonoursConfigsAndPayloads) {
  // A PTX file to import, made by compile for an arch-specific target.
  const RunResult ptx = Run({"compile", KernelsDir() + "/softmax.tile", "--target", "sm_90a",
                             "--entry", "imported_softmax", "-o", "imported.ptx"});
  ASSERT_EQ(ptx.code, 0) << ptx.err;
  const RunResult r = Run(
      {"bundle", "build", "-o", "configs.hrtb", "--ptx-target", "sm_86", "--config",
       "vector_add:BLOCK=256,WARPS=2", "--config", "vector_add:BLOCK=512,T=bf16", "--payload",
       "imported_softmax:ptx:sm_90a:imported.ptx", KernelsDir() + "/vector_add.tile", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const RunResult inspect = Run({"bundle", "inspect", "configs.hrtb", "--json", "--verify"});
  ASSERT_EQ(inspect.code, 0) << inspect.err;
  const std::optional<Json> doc = ParseJson(inspect.out);
  ASSERT_TRUE(doc.has_value()) << inspect.out;
  EXPECT_TRUE((*doc)["verified"].b);
  ASSERT_EQ((*doc)["kernels"].items.size(), 2u);
  const Json& va = (*doc)["kernels"][0];
  EXPECT_EQ(va["name"].str, "vector_add");
  // First config: three dtypes; second: bf16 only.
  ASSERT_EQ(va["variants"].items.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Json& v = va["variants"][i];
    EXPECT_EQ(v["arch"].str, "compute_86");
    EXPECT_EQ(v["config"]["BLOCK"].number, i < 3 ? 256 : 512);
    EXPECT_EQ(v["config"]["WARPS"].number, i < 3 ? 2 : 4);  // 4: the default
    EXPECT_EQ(v["resources"]["threads_per_block"].number, i < 3 ? 64 : 128);
  }
  const Json& imported = (*doc)["kernels"][1];
  EXPECT_EQ(imported["name"].str, "imported_softmax");
  EXPECT_EQ(imported["ir"].kind, Json::kNull);
  ASSERT_EQ(imported["variants"].items.size(), 1u);
  EXPECT_EQ(imported["variants"][0]["arch"].str, "compute_90a");
  EXPECT_EQ(imported["variants"][0]["min_ptx_isa"].str, "8.0");

  // Configs that exceed a target's limits are skipped for it, with a
  // warning, exactly where compile refuses them for that target.
  const RunResult sm86 = Run({"bundle", "build", "-o", "sm86.hrtb", "--ptx-target", "sm_86",
                              KernelsDir() + "/gemm.tile", "--json"});
  ASSERT_EQ(sm86.code, 0) << sm86.err;
  const std::optional<Json> b86 = ParseJson(sm86.out);
  ASSERT_TRUE(b86.has_value()) << sm86.out;
  size_t refused = 0;
  for (const char* t : {"f16", "bf16", "f32"}) {
    const RunResult c = Run({"compile", KernelsDir() + "/gemm.tile", "--target", "sm_86",
                             "--config", std::string("T=") + t, "-o", "gemm86.ptx"});
    if (c.code == 0) continue;
    ++refused;
    EXPECT_NE(c.err.find("shared memory"), std::string::npos) << c.err;
    bool listed = false;
    for (const Json& sk : (*b86)["skipped"].items) {
      listed |= sk["config"].str.find(std::string("T=") + t) != std::string::npos;
    }
    EXPECT_TRUE(listed) << t << ": " << sm86.out;
  }
  EXPECT_GE(refused, 1u) << "gemm's default tiles should not fit sm_86's 99 KiB for every dtype";
  EXPECT_EQ((*b86)["skipped"].items.size(), refused);
  EXPECT_EQ((*b86)["variant_count"].number, static_cast<double>(3 - refused));
  EXPECT_NE(sm86.err.find("helionrt: warning: kernel 'gemm'"), std::string::npos) << sm86.err;

  // A payload whose arch disagrees with the PTX's .target, and a "cubin"
  // that is not an ELF file, are refused.
  ExpectFailure(Run({"bundle", "build", "-o", "bad.hrtb", "--payload", "k:ptx:sm_80:imported.ptx"}),
                "the PTX's .target is sm_90a");
  ExpectFailure(
      Run({"bundle", "build", "-o", "bad.hrtb", "--payload", "k:cubin:sm_90a:imported.ptx"}),
      "not a cubin");
  // A config for a kernel no input defines, and one outside the candidates.
  ExpectFailure(Run({"bundle", "build", "-o", "bad.hrtb", "--config", "nope:BLOCK=256",
                     KernelsDir() + "/vector_add.tile"}),
                "'nope'");
  ExpectFailure(Run({"bundle", "build", "-o", "bad.hrtb", "--config", "vector_add:BLOCK=100",
                     KernelsDir() + "/vector_add.tile"}),
                "vector_add");
  EXPECT_FALSE(fs::exists(Path("bad.hrtb")));
  // The same kernel from two files.
  ExpectFailure(Run({"bundle", "build", "-o", "bad.hrtb", KernelsDir() + "/vector_add.tile",
                     KernelsDir() + "/vector_add.tile"}),
                "defined in both");
}

TEST_F(CliTest, BundleBuildCompilesCubinsWithPtxas) {
  // A wrong $HRT_PTXAS is reported, not skipped, whether ptxas exists or not.
  ExpectFailure(Run({"bundle", "build", "-o", "x.hrtb", "--arch", "sm_90a",
                     KernelsDir() + "/vector_add.tile"},
                    {"HRT_PTXAS=/nonexistent/ptxas"}),
                "/nonexistent/ptxas");
  // A ptxas that fails is an error naming it, not a bundle without cubins.
  if (::access("/bin/false", X_OK) == 0) {
    ExpectFailure(Run({"bundle", "build", "-o", "x.hrtb", "--arch", "sm_90a",
                       KernelsDir() + "/vector_add.tile"},
                      {"HRT_PTXAS=/bin/false"}),
                  "ptxas (/bin/false) failed for sm_90a");
  }
  // With no ptxas anywhere, --arch is refused (only checkable where the
  // CUDA toolkit's default location is empty).
  if (::access("/usr/local/cuda/bin/ptxas", X_OK) != 0) {
    ExpectFailure(Run({"bundle", "build", "-o", "x.hrtb", "--arch", "sm_90a",
                       KernelsDir() + "/vector_add.tile"},
                      {"HRT_PTXAS=", "PATH=/nonexistent"}),
                  "none was found");
  }
  EXPECT_FALSE(fs::exists(Path("x.hrtb")));
  const std::string ptxas = FindPtxas();
  if (ptxas.empty()) GTEST_SKIP() << "ptxas not found ($HRT_PTXAS, PATH, /usr/local/cuda/bin)";
  const RunResult r = Run({"bundle", "build", "-o", "cubin.hrtb", "--arch", "sm_90a", "--config",
                           "vector_add:T=f32", KernelsDir() + "/vector_add.tile"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2 variants (1 ptx, 1 cubin"), std::string::npos) << r.out;
  const RunResult inspect = Run({"bundle", "inspect", "cubin.hrtb", "--json", "--verify"});
  ASSERT_EQ(inspect.code, 0) << inspect.err;
  const std::optional<Json> doc = ParseJson(inspect.out);
  ASSERT_TRUE(doc.has_value());
  const Json& variants = (*doc)["kernels"][0]["variants"];
  ASSERT_EQ(variants.items.size(), 2u);
  const Json& cubin = variants[1];
  EXPECT_EQ(cubin["payload_kind"].str, "cubin");
  EXPECT_EQ(cubin["arch"].str, "sm_90a");
  EXPECT_GT(cubin["resources"]["regs_per_thread"].number, 0);
  EXPECT_LE(cubin["resources"]["regs_per_thread"].number, 255);
  EXPECT_EQ(cubin["resources"]["threads_per_block"].number,
            variants[0]["resources"]["threads_per_block"].number);
  // An exact cubin beats the PTX on the device it was built for.
  const RunResult explain = Run({"explain", "cubin.hrtb", "vector_add", "--fingerprint",
                                 "backend=cuda;sm=90a;driver=13000", "--json"});
  ASSERT_EQ(explain.code, 0) << explain.err;
  const std::optional<Json> e = ParseJson(explain.out);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)["decision"]["kind"].str, "variant");
  EXPECT_EQ((*e)["decision"]["variant"].number, 1);
  EXPECT_EQ((*e)["candidates"][1]["tier"].str, "exact-arch binary");
}

//===----------------------------------------------------------------------===//
// explain
//===----------------------------------------------------------------------===//

TEST_F(CliTest, ExplainChoosesThePtxOnSm90a) {
  const std::string& bundle = StandardBundle();
  const RunResult json = Run({"explain", bundle, "vector_add", "--fingerprint",
                              "backend=cuda;sm=90a;driver=13000", "--shape", "N=4096", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const std::optional<Json> doc = ParseJson(json.out);
  ASSERT_TRUE(doc.has_value()) << json.out;
  EXPECT_EQ((*doc)["kernel"].str, "vector_add");
  EXPECT_EQ((*doc)["device"]["fingerprint"].str.rfind("backend=cuda", 0), 0u);
  EXPECT_EQ((*doc)["shapes"]["N"].number, 4096);
  ASSERT_EQ((*doc)["candidates"].items.size(), 3u);
  for (const Json& c : (*doc)["candidates"].items) {
    EXPECT_TRUE(c["accepted"].b) << c["reason"].str;
    EXPECT_EQ(c["tier"].str, "portable code");
  }
  EXPECT_EQ((*doc)["decision"]["kind"].str, "variant");
  EXPECT_TRUE((*doc)["candidates"][0]["chosen"].b);

  const RunResult text =
      Run({"explain", bundle, "vector_add", "--fingerprint", "backend=cuda;sm=90a;driver=13000"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("[chosen]   variant"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("decision: variant"), std::string::npos) << text.out;

  // Pinning the dtype leaves the one variant compiled for it.
  const RunResult pinned =
      Run({"explain", bundle, "vector_add", "--fingerprint", "backend=cuda;sm=90a;driver=13000",
           "--config", "T=bf16", "--json"});
  ASSERT_EQ(pinned.code, 0) << pinned.err;
  const std::optional<Json> p = ParseJson(pinned.out);
  ASSERT_TRUE(p.has_value()) << pinned.out;
  size_t accepted = 0;
  for (const Json& c : (*p)["candidates"].items) {
    if (c["accepted"].b) {
      ++accepted;
      EXPECT_TRUE(c["chosen"].b);
    } else {
      EXPECT_EQ(c["verdict"].str, "config-mismatch");
    }
  }
  EXPECT_EQ(accepted, 1u) << pinned.out;
}

TEST_F(CliTest, ExplainListsRejectionsOnSm75) {
  const std::string& bundle = StandardBundle();
  const RunResult json = Run(
      {"explain", bundle, "softmax", "--fingerprint", "backend=cuda;sm=75;driver=13000", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const std::optional<Json> doc = ParseJson(json.out);
  ASSERT_TRUE(doc.has_value()) << json.out;
  ASSERT_FALSE((*doc)["candidates"].items.empty());
  for (const Json& c : (*doc)["candidates"].items) {
    EXPECT_FALSE(c["accepted"].b);
    EXPECT_EQ(c["verdict"].str, "arch-mismatch");
  }
  // The PTX emitter needs sm_80, so code generation cannot help either.
  EXPECT_EQ((*doc)["decision"]["kind"].str, "none");
  EXPECT_NE((*doc)["decision"]["summary"].str.find("sm_80"), std::string::npos);

  const RunResult text =
      Run({"explain", bundle, "softmax", "--fingerprint", "backend=cuda;sm=75;driver=13000"});
  ASSERT_EQ(text.code, 0) << text.err;
  const size_t rejected = [&] {
    size_t n = 0;
    for (size_t at = 0; (at = text.out.find("[rejected]", at)) != std::string::npos; ++at) ++n;
    return n;
  }();
  EXPECT_EQ(rejected, (*doc)["candidates"].items.size()) << text.out;
  EXPECT_NE(text.out.find("decision: none"), std::string::npos) << text.out;
}

TEST_F(CliTest, ExplainWithoutDeviceOrKernelFailsClearly) {
  const std::string& bundle = StandardBundle();
  ExpectFailure(Run({"explain", bundle, "vector_add"}), "no CUDA device is present");
  ExpectFailure(Run({"explain", bundle, "vector_add"}), "--fingerprint");
  ExpectFailure(Run({"explain", bundle, "no_such_kernel", "--fingerprint", "backend=cuda;sm=90"}),
                "has no kernel 'no_such_kernel'");
  ExpectFailure(Run({"explain", bundle, "vector_add", "--fingerprint", "backend=cuda;sm=90;x=1"}),
                "--fingerprint");
  ExpectFailure(Run({"explain", bundle, "vector_add", "--fingerprint", "backend=cuda;sm=90",
                     "--shape", "N=lots"}),
                "'lots'");
}

//===----------------------------------------------------------------------===//
// compile
//===----------------------------------------------------------------------===//

// The first line that is neither blank nor a // comment.
std::string FirstStatement(const std::string& ptx) {
  std::stringstream lines(ptx);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.rfind("//", 0) != 0) return line;
  }
  return "";
}

TEST_F(CliTest, CompileWritesPtx) {
  const RunResult r =
      Run({"compile", KernelsDir() + "/gemm.tile", "--kernel", "gemm", "--target", "sm_90a",
           "--ptx-isa", "8.5", "--config", "T=f16,BLOCK_M=64", "-o", "gemm.ptx"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string ptx = ReadText(Path("gemm.ptx"));
  EXPECT_EQ(FirstStatement(ptx), ".version 8.5") << ptx.substr(0, 300);
  EXPECT_NE(ptx.find(".target sm_90a"), std::string::npos);
  EXPECT_NE(ptx.find(".entry gemm("), std::string::npos);
  EXPECT_NE(r.out.find("gemm.ptx: kernel 'gemm'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("BLOCK_M=64"), std::string::npos) << r.out;

  // -o - writes the PTX to stdout and nothing else; from a bundle's IR the
  // same kernel and config give the same PTX as from the .tile file.
  const RunResult from_tile = Run({"compile", KernelsDir() + "/vector_add.tile", "--target",
                                   "sm_80", "--config", "T=bf16", "-o", "-"});
  ASSERT_EQ(from_tile.code, 0) << from_tile.err;
  EXPECT_EQ(FirstStatement(from_tile.out), ".version 8.0");
  EXPECT_NE(from_tile.out.find(".entry vector_add("), std::string::npos);
  const RunResult from_bundle = Run({"compile", StandardBundle(), "--kernel", "vector_add",
                                     "--target", "sm_80", "--config", "T=bf16", "-o", "-"});
  ASSERT_EQ(from_bundle.code, 0) << from_bundle.err;
  EXPECT_EQ(from_bundle.out, from_tile.out);

  const RunResult json = Run({"compile", KernelsDir() + "/vector_add.tile", "--config",
                              "BLOCK=2048,WARPS=8", "-o", "va.ptx", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const std::optional<Json> doc = ParseJson(json.out);
  ASSERT_TRUE(doc.has_value()) << json.out;
  EXPECT_EQ((*doc)["threads_per_block"].number, 256);
  EXPECT_EQ((*doc)["target"].str, "sm_80");
  EXPECT_EQ((*doc)["bytes"].number, static_cast<double>(ReadText(Path("va.ptx")).size()));
}

TEST_F(CliTest, CompileAssumeWritesSpecializedPtx) {
  const std::string rms = KernelsDir() + "/rms_norm.tile";
  const RunResult plain =
      Run({"compile", rms, "--target", "sm_90a", "--config", "T=bf16", "-o", "-"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const RunResult all = Run(
      {"compile", rms, "--target", "sm_90a", "--config", "T=bf16", "--assume", "all", "-o", "-"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_NE(all.out.find("// Assumes aligned tensors / multiples of 16: "
                         "x,w,y,M,N,M<=BLOCK,N<=BLOCK\n"),
            std::string::npos)
      << all.out.substr(0, 400);
  // No scalar fallback and no loop: much shorter than the generic code.
  EXPECT_EQ(all.out.find("ld.global.b16"), std::string::npos);
  EXPECT_NE(plain.out.find("ld.global.b16"), std::string::npos);
  EXPECT_LT(all.out.size(), plain.out.size() / 2);
  const RunResult some = Run(
      {"compile", rms, "--target", "sm_90a", "--config", "T=bf16", "--assume", "x, N", "-o", "-"});
  ASSERT_EQ(some.code, 0) << some.err;
  EXPECT_NE(some.out.find("multiples of 16: x,N\n"), std::string::npos);
  ExpectFailure(Run({"compile", rms, "--assume", "x,eps", "-o", "x.ptx"}), "'eps'");
  ExpectFailure(Run({"compile", rms, "--assume", "K<=BLOCK", "-o", "x.ptx"}), "'K'");
  ExpectUsage(Run({"compile", rms, "--target", "vulkan", "--assume", "all", "-o", "x.spv"}),
              "--assume is for CUDA targets");
}

TEST_F(CliTest, BundleBuildAddsSpirvVariantsForVulkan) {
  const RunResult r =
      Run({"bundle", "build", "-o", "vk.hrtb", "--ptx-target", "none", "--vulkan", "--json",
           KernelsDir() + "/vector_add.tile", KernelsDir() + "/gemm.tile"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::optional<Json> build = ParseJson(r.out);
  ASSERT_TRUE(build.has_value()) << r.out;
  // vector_add: one per dtype; gemm's default tiles need more than Vulkan's
  // minimum 16 KiB of workgroup memory: skipped with a warning.
  EXPECT_EQ((*build)["spirv_variants"].number, 3);
  EXPECT_EQ((*build)["ptx_variants"].number, 0);
  EXPECT_NE(r.err.find("vulkan"), std::string::npos) << r.err;
  const RunResult inspect = Run({"bundle", "inspect", "vk.hrtb", "--json", "--verify"});
  ASSERT_EQ(inspect.code, 0) << inspect.err;
  const std::optional<Json> doc = ParseJson(inspect.out);
  ASSERT_TRUE(doc.has_value()) << inspect.out;
  EXPECT_TRUE((*doc)["verified"].b);
  const Json& va = (*doc)["kernels"][0];
  ASSERT_EQ(va["variants"].items.size(), 3u);
  EXPECT_EQ(va["variants"][0]["backend"].str, "vulkan");
  EXPECT_EQ(va["variants"][0]["payload_kind"].str, "spirv");
}

TEST_F(CliTest, CompileWritesSpirvForVulkan) {
  const RunResult r = Run({"compile", KernelsDir() + "/rms_norm.tile", "--target", "vulkan",
                           "--config", "T=bf16,WARPS=2", "-o", "rms.spv", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::optional<Json> doc = ParseJson(r.out);
  ASSERT_TRUE(doc.has_value()) << r.out;
  EXPECT_EQ((*doc)["target"].str, "vulkan");
  EXPECT_EQ((*doc)["workgroup_size"].number, 64);
  const std::vector<uint8_t> spv = ReadBytes(Path("rms.spv"));
  ASSERT_GE(spv.size(), 20u);
  EXPECT_EQ(spv.size(), static_cast<size_t>((*doc)["bytes"].number));
  uint32_t magic = 0;
  std::memcpy(&magic, spv.data(), sizeof magic);
  EXPECT_EQ(magic, 0x07230203u);
  // spirv-val (spirv-tools) accepts it when it is installed.
  if (std::system("command -v spirv-val > /dev/null 2>&1") == 0) {
    const std::string cmd = "spirv-val --target-env vulkan1.2 " + Path("rms.spv");
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}

TEST_F(CliTest, CompileRejectsBadConfigsAndTargets) {
  const std::string va = KernelsDir() + "/vector_add.tile";
  // Not a candidate of BLOCK.
  ExpectFailure(Run({"compile", va, "--config", "BLOCK=100", "-o", "x.ptx"}), "BLOCK");
  // Candidates that break a constraint (WARPS * 32 <= BLOCK).
  ExpectFailure(Run({"compile", va, "--config", "BLOCK=64,WARPS=16", "-o", "x.ptx"}), "BLOCK=64");
  // A name the kernel does not have.
  ExpectFailure(Run({"compile", va, "--config", "TILE=4", "-o", "x.ptx"}), "TILE");
  // More shared memory than allowed: gemm's default config needs far more.
  ExpectFailure(Run({"compile", KernelsDir() + "/gemm.tile", "--max-smem", "1024", "-o", "x.ptx"}),
                "shared");
  ExpectFailure(Run({"compile", va, "--max-threads", "32", "-o", "x.ptx"}), "thread");
  EXPECT_FALSE(fs::exists(Path("x.ptx")));
  // Targets.
  ExpectFailure(Run({"compile", va, "--target", "rocm", "-o", "x.ptx"}),
                "unsupported target 'rocm'");
  ExpectFailure(Run({"compile", va, "--target", "vulkan", "-o", "-"}), "binary");
  ExpectFailure(Run({"compile", va, "--target", "vulkan", "--max-threads", "64", "-o", "x.spv"}),
                "invocations");
  ExpectFailure(Run({"compile", va, "--target", "sm_75", "-o", "x.ptx"}), "sm_80");
  ExpectFailure(Run({"compile", va, "--target", "sm_9z", "-o", "x.ptx"}), "sm_9z");
  ExpectFailure(Run({"compile", va, "--target", "sm_90a", "--ptx-isa", "7.8", "-o", "x.ptx"}),
                "PTX ISA 7.8");
  // Kernel choice.
  ExpectFailure(Run({"compile", va, "--kernel", "gemm", "-o", "x.ptx"}), "no kernel 'gemm'");
  WriteBytes(Path("two.tile"), ReadText(va) + "\n" + ReadText(KernelsDir() + "/softmax.tile"));
  ExpectFailure(Run({"compile", "two.tile", "-o", "x.ptx"}), "--kernel");
  // An IR file with a syntax error names the file.
  WriteBytes(Path("broken.tile"), "kernel broken(\n");
  ExpectFailure(Run({"compile", "broken.tile", "-o", "x.ptx"}), "broken.tile");
}

//===----------------------------------------------------------------------===//
// Usage errors and hostile files
//===----------------------------------------------------------------------===//

TEST_F(CliTest, UsageErrorsExitTwo) {
  ExpectUsage(Run({"info", "extra"}), "unexpected argument");
  ExpectUsage(Run({"info", "--nope"}), "unknown option '--nope'");
  ExpectUsage(Run({"bundle"}), "subcommand");
  ExpectUsage(Run({"bundle", "frobnicate"}), "unknown bundle subcommand");
  ExpectUsage(Run({"bundle", "build", KernelsDir() + "/vector_add.tile"}), "-o");
  ExpectUsage(Run({"bundle", "build", "-o", "x.hrtb"}), "at least one");
  ExpectUsage(Run({"bundle", "build", "-o"}), "needs a value");
  ExpectUsage(Run({"bundle", "inspect"}), "exactly one");
  ExpectUsage(Run({"bundle", "inspect", "--json=1", "a"}), "takes no value");
  ExpectUsage(Run({"explain", "only-a-bundle"}), "BUNDLE and a KERNEL");
  ExpectUsage(Run({"explain", "b", "k", "--device", "0", "--fingerprint", "backend=cuda"}),
              "not both");
  ExpectUsage(Run({"compile"}), "one FILE");
  ExpectUsage(Run({"compile", "f.tile"}), "-o");
  ExpectUsage(Run({"compile", "f.tile", "-o", "-", "--json"}), "--json");
  ExpectUsage(Run({"compile", "f.tile", "-o", "a", "-o", "b"}), "more than once");
  const RunResult unknown = Run({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command"), std::string::npos);
  // --help is not an error.
  const RunResult help = Run({"compile", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("usage: helionrt compile"), std::string::npos);
}

TEST_F(CliTest, CorruptBundlesFailCleanly) {
  const std::vector<uint8_t> good = ReadBytes(StandardBundle());
  ASSERT_GT(good.size(), 256u);
  const auto write = [&](const std::string& name, std::vector<uint8_t> bytes) {
    WriteBytes(Path(name),
               std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  };
  std::vector<uint8_t> flipped = good;
  flipped[100] ^= 0x40;  // inside the section table or metadata: Open() notices
  write("flipped.hrtb", flipped);
  write("truncated.hrtb", std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2));
  write("empty.hrtb", {});
  write("garbage.hrtb", std::vector<uint8_t>(good.begin() + 8, good.end()));
  for (const char* name : {"flipped.hrtb", "truncated.hrtb", "empty.hrtb", "garbage.hrtb"}) {
    SCOPED_TRACE(name);
    ExpectFailure(Run({"bundle", "inspect", name}), "is not a valid bundle");
    ExpectFailure(Run({"bundle", "inspect", name, "--json"}), "is not a valid bundle");
    ExpectFailure(Run({"explain", name, "vector_add", "--fingerprint", "backend=cuda;sm=90"}),
                  "is not a valid bundle");
  }
  // compile sees a bundle by its magic; a bundle that fails to open is
  // reported as such rather than parsed as IR text.
  ExpectFailure(Run({"compile", "flipped.hrtb", "--kernel", "vector_add", "-o", "x.ptx"}),
                "is not a valid bundle");

  // A flipped payload byte: Open() does not read blobs, --verify does.
  const RunResult sections = Run({"bundle", "inspect", StandardBundle(), "--json"});
  const std::optional<Json> doc = ParseJson(sections.out);
  ASSERT_TRUE(doc.has_value());
  std::optional<size_t> blob_mid;
  for (const Json& s : (*doc)["sections"].items) {
    if (s["name"].str == "blob-data") {
      blob_mid = static_cast<size_t>(s["offset"].number + s["size"].number / 2);
    }
  }
  ASSERT_TRUE(blob_mid.has_value()) << sections.out;
  std::vector<uint8_t> payload_flip = good;
  payload_flip[*blob_mid] ^= 0x01;
  write("payload.hrtb", payload_flip);
  EXPECT_EQ(Run({"bundle", "inspect", "payload.hrtb"}).code, 0);
  ExpectFailure(Run({"bundle", "inspect", "payload.hrtb", "--verify"}), "failed verification");

  // Not a file at all.
  ExpectFailure(Run({"bundle", "inspect", "missing.hrtb"}), "missing.hrtb");
  ExpectFailure(Run({"bundle", "inspect", *dir_}), "not a regular file");
}

}  // namespace
