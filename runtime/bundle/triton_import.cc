#include "runtime/bundle/triton_import.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "codegen/ir/binary.h"
#include "codegen/ir/text.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/ptx_header.h"

namespace hrt::bundle {
namespace {

// The whole file, refusing more than |max_bytes|.
Result<std::vector<uint8_t>> ReadFile(const std::string& path, uint64_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("cannot open '" + path + "'");
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > max_bytes) {
    return InvalidArgument("'" + path + "' is unreadable or larger than " +
                           std::to_string(max_bytes) + " bytes");
  }
  file.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !file.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return IoError("cannot read '" + path + "'");
  }
  return bytes;
}

Result<json::Value> ReadJson(const std::string& path) {
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(path, 1u << 24));
  Result<json::Value> v =
      json::Parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!v.ok()) return v.take_status().Annotate(path);
  if (!v->is_object()) return InvalidArgument(path + ": not a JSON object");
  return v;
}

Result<int64_t> IntField(const json::Value& obj, std::string_view key, const std::string& where) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || !v->integer) {
    return InvalidArgument(where + ": '" + std::string(key) + "' is missing or not an integer");
  }
  return *v->integer;
}

Result<std::string> StringField(const json::Value& obj, std::string_view key,
                                const std::string& where) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || !v->is_string()) {
    return InvalidArgument(where + ": '" + std::string(key) + "' is missing or not a string");
  }
  return v->string;
}

// Triton element types as tile-IR dtypes ("fp32" -> "f32").
const char* IrDtype(std::string_view t) {
  struct Map {
    std::string_view triton;
    const char* ir;
  };
  static constexpr Map kTypes[] = {{"fp32", "f32"}, {"fp16", "f16"}, {"bf16", "bf16"},
                                   {"i32", "i32"},  {"i64", "i64"},  {"i16", "i16"},
                                   {"i8", "i8"},    {"u8", "u8"},    {"i1", "bool"}};
  for (const Map& m : kTypes) {
    if (m.triton == t) return m.ir;
  }
  return nullptr;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

Result<std::string> TritonSignatureIr(const std::string& kernel_name,
                                      const std::string& signature_json) {
  const std::string where = "signature.json";
  HRT_ASSIGN_OR_RETURN(const json::Value sig, json::Parse(signature_json));
  const json::Value* params = sig.Find("params");
  if (params == nullptr || !params->is_array()) {
    return InvalidArgument(where + ": 'params' is missing or not an array");
  }
  if (!IsIdentifier(kernel_name)) {
    return InvalidArgument("kernel name '" + kernel_name + "' is not an identifier");
  }
  std::string text = "# Signature of the Triton kernel " + kernel_name +
                     " (imported; the body is Triton's compiled code).\nkernel " + kernel_name +
                     "(";
  for (size_t i = 0; i < params->array.size(); ++i) {
    const json::Value& p = params->array[i];
    const std::string at = where + ": params[" + std::to_string(i) + "]";
    HRT_ASSIGN_OR_RETURN(const std::string name, StringField(p, "name", at));
    HRT_ASSIGN_OR_RETURN(const std::string type, StringField(p, "type", at));
    if (!IsIdentifier(name)) return InvalidArgument(at + ": '" + name + "' is not an identifier");
    if (i > 0) text += ", ";
    if (!type.empty() && type[0] == '*') {
      const char* dtype = IrDtype(std::string_view(type).substr(1));
      if (dtype == nullptr) return Unsupported(at + ": pointer type '" + type + "'");
      // Triton pointers carry no sizes: each gets its own (the caller's promise).
      text += name + ": tensor<" + dtype + ">[len_" + name + "]";
    } else if (type == "i32" || type == "i64" || type == "fp32") {
      text += name + ": " + IrDtype(type);
    } else {
      return Unsupported(at + ": scalar type '" + type + "' (i32, i64 and fp32 are supported)");
    }
  }
  // The grid is the launch's (hrt_launch_params_t.grid); this one is unused.
  text += ")\n  grid [1]\n{\n}\n";
  return text;
}

Result<KernelEntry> ImportTritonKernel(const std::string& dir) {
  const std::string meta_path = dir + "/triton_metadata.json";
  const std::string sig_path = dir + "/signature.json";
  HRT_ASSIGN_OR_RETURN(const json::Value meta, ReadJson(meta_path));
  HRT_ASSIGN_OR_RETURN(const std::vector<uint8_t> sig_bytes, ReadFile(sig_path, 1u << 24));
  const std::string sig_text(sig_bytes.begin(), sig_bytes.end());
  HRT_ASSIGN_OR_RETURN(const json::Value sig, json::Parse(sig_text));

  HRT_ASSIGN_OR_RETURN(const std::string name, StringField(meta, "name", meta_path));
  HRT_ASSIGN_OR_RETURN(const int64_t num_warps, IntField(meta, "num_warps", meta_path));
  HRT_ASSIGN_OR_RETURN(const int64_t shared, IntField(meta, "shared", meta_path));
  if (num_warps < 1 || num_warps > 32)
    return InvalidArgument(meta_path + ": num_warps out of range");
  if (shared < 0 || shared > (1 << 20)) return InvalidArgument(meta_path + ": shared out of range");
  for (const char* key : {"global_scratch_size", "profile_scratch_size"}) {
    const json::Value* v = meta.Find(key);
    if (v != nullptr && v->integer && *v->integer != 0) {
      return Unsupported(meta_path + ": " + key +
                         " is not 0 (kernels that need a scratch buffer are not importable yet)");
    }
  }
  if (const json::Value* n = meta.Find("num_ctas");
      n != nullptr && n->integer && *n->integer != 1) {
    return Unsupported(meta_path + ": num_ctas != 1 (thread block clusters)");
  }
  if (const json::Value* c = meta.Find("launch_cooperative_grid"); c != nullptr && c->boolean) {
    return Unsupported(meta_path + ": cooperative launch");
  }
  HRT_ASSIGN_OR_RETURN(const int64_t scratch, IntField(sig, "trailing_scratch_params", sig_path));
  if (scratch < 0 || scratch > 8) return InvalidArgument(sig_path + ": trailing_scratch_params");

  HRT_ASSIGN_OR_RETURN(const std::string ir_text, TritonSignatureIr(name, sig_text));
  Result<ir::Module> module = ir::ParseModule(ir_text, name + ".signature");
  if (!module.ok()) return module.take_status().Annotate("the generated signature IR");

  KernelEntry entry = KernelEntryFromIr(module->kernels[0]);
  entry.triton_abi = true;
  entry.scratch_params = static_cast<uint32_t>(scratch);

  // The PTX's header gives the target both variants are for.
  HRT_ASSIGN_OR_RETURN(const std::vector<uint8_t> ptx, ReadFile(dir + "/kernel.ptx", 1u << 26));
  const std::string_view ptx_text(reinterpret_cast<const char*>(ptx.data()), ptx.size());
  Result<PtxHeader> header = ScanPtxHeader(ptx_text);
  if (!header.ok()) return header.take_status().Annotate(dir + "/kernel.ptx");
  if (ptx_text.find(".entry " + name + "(") == std::string_view::npos) {
    return InvalidArgument(dir + "/kernel.ptx has no entry '" + name + "'");
  }
  VariantEntry ptx_variant;
  ptx_variant.target.backend = HRT_BACKEND_CUDA;
  ptx_variant.target.arch = header->target;
  ptx_variant.target.min_ptx_isa = header->version;
  ptx_variant.target.min_driver_version = select::MinDriverForPtxIsa(header->version);
  ptx_variant.resources.threads_per_block = static_cast<uint32_t>(num_warps * 32);
  ptx_variant.resources.dynamic_smem_bytes = static_cast<uint32_t>(shared);
  ptx_variant.payload_kind = PayloadKind::kPtx;
  ptx_variant.payload.assign(ptx.begin(), ptx.end());
  if (ptx_variant.payload.empty() || ptx_variant.payload.back() != '\0') {
    ptx_variant.payload.push_back('\0');
  }
  Result<std::vector<uint8_t>> cubin = ReadFile(dir + "/kernel.cubin", 1u << 26);
  if (cubin.ok()) {
    static constexpr uint8_t kElf[4] = {0x7f, 'E', 'L', 'F'};
    if (cubin->size() < 4 || !std::equal(kElf, kElf + 4, cubin->begin())) {
      return InvalidArgument(dir + "/kernel.cubin is not a cubin (no ELF header)");
    }
    entry.variants.push_back(CubinVariantFromPtx(ptx_variant, header->target, *cubin, 0, 0));
  }
  entry.variants.push_back(std::move(ptx_variant));
  return entry;
}

}  // namespace hrt::bundle
