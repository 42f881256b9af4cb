// helionrt ir check|print|assemble: the tile-IR file tools.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/text.h"
#include "tools/commands.h"

namespace hrt::cli {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: helionrt ir check FILE           parse (text or binary) and verify\n"
               "       helionrt ir print FILE           print the text form\n"
               "       helionrt ir assemble FILE -o OUT write the binary form\n");
  return 2;
}

Result<ir::Module> LoadModule(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open '" + path + "'");
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (ir::LooksLikeBinaryModule(data)) return ir::ReadModuleBinary(data);
  return ir::ParseModule(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
                         path);
}

}  // namespace

int CmdIr(Args args) {
  if (args.size() < 2) return Usage();
  const std::string verb(args[0]);
  const std::string path(args[1]);
  Result<ir::Module> m = LoadModule(path);
  if (!m.ok()) {
    std::fprintf(stderr, "helionrt: %s: %s\n", CodeName(m.status().code()),
                 m.status().message().c_str());
    return 1;
  }
  if (verb == "check" && args.size() == 2) {
    std::printf("%s: %zu kernel(s), verified\n", path.c_str(), m->kernels.size());
    return 0;
  }
  if (verb == "print" && args.size() == 2) {
    std::fputs(ir::PrintModule(*m).c_str(), stdout);
    return 0;
  }
  if (verb == "assemble" && args.size() == 4 && args[2] == "-o") {
    const std::vector<uint8_t> bytes = ir::WriteModuleBinary(*m);
    const std::string out(args[3]);
    std::ofstream o(out, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!o.flush()) {
      std::fprintf(stderr, "helionrt: cannot write '%s'\n", out.c_str());
      return 1;
    }
    std::printf("%s: %zu bytes\n", out.c_str(), bytes.size());
    return 0;
  }
  return Usage();
}

}  // namespace hrt::cli
