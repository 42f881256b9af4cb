// Loading a standard kernel (kernels/<name>.tile) bound to a dtype and a
// config, for tests that run the standard kernels on some device.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/text.h"

namespace hrt::testing {

// The kernels directory: $HRT_KERNELS_DIR, else the source tree's (the
// including target defines HRT_SOURCE_DIR), else ./kernels (a test run from a
// copy of the repository root, as on a device machine).
inline std::string KernelsDir() {
  if (const char* env = std::getenv("HRT_KERNELS_DIR")) return env;
  const std::string built_in = std::string(HRT_SOURCE_DIR) + "/kernels";
  if (std::ifstream(built_in + "/vector_add.tile")) return built_in;
  return "kernels";
}

// <dir>/<name>.tile, parsed; |dir| defaults to KernelsDir() (a benchmark
// variant's folder holds modified copies of standard kernels).
inline Result<ir::Module> LoadKernelModule(const std::string& name,
                                           const std::string& dir = KernelsDir()) {
  const std::string path = dir + "/" + name + ".tile";
  std::ifstream file(path, std::ios::binary);
  if (!file) return IoError("cannot open " + path);
  std::stringstream text;
  text << file.rdbuf();
  return ir::ParseModule(text.str(), path);
}

// Parses <dir>/<name>.tile (kernels/ by default) and binds its default config with |overrides|
// ("BLOCK_N=64,WARPS=1", or "" for none) and T = |dtype| applied on top.
inline Result<ir::BoundKernel> LoadAndBind(const std::string& name, ir::DType dtype,
                                           const std::string& overrides,
                                           const std::string& dir = KernelsDir()) {
  HRT_ASSIGN_OR_RETURN(ir::Module module, LoadKernelModule(name, dir));
  const ir::Kernel* kernel = module.Find(name);
  if (kernel == nullptr) return NotFound("no kernel '" + name + "' in its file");
  ir::Config config = ir::DefaultConfig(*kernel);
  const std::string extra =
      (overrides.empty() ? "" : overrides + ",") + "T=" + ir::DTypeName(dtype);
  HRT_ASSIGN_OR_RETURN(ir::Config parsed, ir::ParseConfig(extra));
  for (const auto& [key, value] : parsed.entries) config.Set(key, value);
  return ir::Bind(*kernel, config);
}

}  // namespace hrt::testing
