#include "runtime/bundle/inspect.h"

#include "base/bits.h"
#include "runtime/bundle/json_writer.h"
#include "runtime/select/fingerprint.h"

namespace hrt::bundle {
namespace {

std::string Hex(uint64_t v) {
  return HexString(v, 16);
}

const char* CodecName(uint32_t codec) {
  return codec == format::kCodecZstd ? "zstd" : "raw";
}

std::string CodeName(const VariantView& v) {
  return v.payload_kind == PayloadKind::kPtx ? select::ComputeName(v.target.arch)
                                             : select::SmName(v.target.arch);
}

std::string BlobText(const BlobInfo& b) {
  std::string s = std::to_string(b.raw_size) + " bytes";
  if (b.codec != format::kCodecRaw) {
    s += " (" + std::string(CodecName(b.codec)) + ", " + std::to_string(b.stored_size) + " stored)";
  }
  return s;
}

void BlobJson(JsonWriter& j, const BlobInfo& b, uint32_t index) {
  j.BeginObject();
  j.Field("blob", index);
  j.Field("raw_size", b.raw_size);
  j.Field("stored_size", b.stored_size);
  j.Field("codec", CodecName(b.codec));
  j.Field("checksum", Hex(b.checksum));
  j.EndObject();
}

}  // namespace

std::string InspectText(const BundleView& bundle) {
  std::string s = "bundle format " + std::to_string(bundle.major_version()) + "." +
                  std::to_string(bundle.minor_version()) + ", " +
                  std::to_string(bundle.bytes().size()) + " bytes, " +
                  std::to_string(bundle.kernel_count()) + " kernels, " +
                  std::to_string(bundle.variant_count()) + " variants, " +
                  std::to_string(bundle.blob_count()) + " blobs\n";
  s += "sections:\n";
  for (const SectionInfo& sec : bundle.sections()) {
    s += "  " + std::to_string(sec.id) + " " + SectionName(sec.id) + ": offset " +
         std::to_string(sec.offset) + ", " + std::to_string(sec.size) + " bytes, xxh3 " +
         Hex(sec.checksum) + ((sec.flags & format::kSectionRequired) ? ", required" : "") + "\n";
  }
  for (uint32_t k = 0; k < bundle.kernel_count(); ++k) {
    const KernelView& kv = bundle.kernel(k);
    s += "kernel " + std::to_string(k) + " '" + std::string(kv.name) + "': ";
    s += kv.has_ir() ? "IR " + BlobText(bundle.blob(kv.ir_blob)) : std::string("no IR");
    if (kv.triton_abi) {
      s += ", Triton ABI (" + std::to_string(kv.scratch_params) + " scratch params)";
    }
    s += ", " + std::to_string(kv.tunable_count) + " tunables, " +
         std::to_string(kv.variant_count) + " variants\n";
    for (const TunableView& t : bundle.tunables_of(kv)) {
      s += "  tunable " + std::string(t.name) + " in {";
      bool first = true;
      for (int64_t c : bundle.candidates_of(t)) {
        s += (first ? "" : ", ") + std::to_string(c);
        first = false;
      }
      s += "} = " + std::to_string(t.default_value) + "\n";
    }
    for (uint32_t i = 0; i < kv.variant_count; ++i) {
      const uint32_t index = kv.first_variant + i;
      const VariantView& v = bundle.variant(index);
      s += "  variant " + std::to_string(index) + ": " + PayloadKindName(v.payload_kind) + " " +
           CodeName(v) + " for " + select::BackendName(v.target.backend);
      if (v.target.min_ptx_isa.known()) {
        s += ", PTX ISA " + select::PtxIsaString(v.target.min_ptx_isa);
      }
      if (v.target.min_driver_version != 0) {
        s += ", driver >= " + select::DriverVersionString(v.target.min_driver_version) + " (" +
             std::to_string(v.target.min_driver_version) + ")";
      }
      if (v.target.required_features != 0) {
        s += ", features " + select::FeaturesString(v.target.required_features);
      }
      s += "\n    config:";
      if (v.config_count == 0) s += " (none)";
      for (const ConfigView& c : bundle.config_of(v)) {
        s += " " + std::string(c.name) + "=" + std::to_string(c.value);
      }
      const Resources& r = v.resources;
      s += "\n    resources: " + std::to_string(r.regs_per_thread) + " registers/thread, " +
           std::to_string(r.static_smem_bytes) + " + " + std::to_string(r.dynamic_smem_bytes) +
           " bytes shared memory (static + dynamic), " + std::to_string(r.threads_per_block) +
           " threads/block\n";
      if (v.rule_count != 0) {
        s += "    shape rules:";
        for (const RuleView& rule : bundle.rules_of(v)) {
          s += " " + std::to_string(rule.min) + " <= " + std::string(rule.symbol) +
               " <= " + std::to_string(rule.max) + ";";
        }
        s.pop_back();
        s += "\n";
      }
      s += "    payload: " + BlobText(bundle.blob(v.payload_blob)) + "\n";
    }
  }
  return s;
}

std::string InspectJson(const BundleView& bundle) {
  JsonWriter j;
  j.BeginObject();
  j.Field("format",
          std::to_string(bundle.major_version()) + "." + std::to_string(bundle.minor_version()));
  j.Field("size", static_cast<uint64_t>(bundle.bytes().size()));
  j.Key("sections");
  j.BeginArray();
  for (const SectionInfo& sec : bundle.sections()) {
    j.BeginObject();
    j.Field("id", sec.id);
    j.Field("name", SectionName(sec.id));
    j.Field("offset", sec.offset);
    j.Field("size", sec.size);
    j.Field("checksum", Hex(sec.checksum));
    j.Field("required", (sec.flags & format::kSectionRequired) != 0);
    j.EndObject();
  }
  j.EndArray();
  j.Key("kernels");
  j.BeginArray();
  for (uint32_t k = 0; k < bundle.kernel_count(); ++k) {
    const KernelView& kv = bundle.kernel(k);
    j.BeginObject();
    j.Field("index", k);
    j.Field("name", kv.name);
    j.Key("ir");
    if (kv.has_ir()) {
      BlobJson(j, bundle.blob(kv.ir_blob), kv.ir_blob);
    } else {
      j.Null();
    }
    j.Field("triton_abi", kv.triton_abi);
    j.Field("scratch_params", kv.scratch_params);
    j.Key("tunables");
    j.BeginArray();
    for (const TunableView& t : bundle.tunables_of(kv)) {
      j.BeginObject();
      j.Field("name", t.name);
      j.Key("candidates");
      j.BeginArray();
      for (int64_t c : bundle.candidates_of(t)) j.Int(c);
      j.EndArray();
      j.Field("default", t.default_value);
      j.EndObject();
    }
    j.EndArray();
    j.Key("variants");
    j.BeginArray();
    for (uint32_t i = 0; i < kv.variant_count; ++i) {
      const uint32_t index = kv.first_variant + i;
      const VariantView& v = bundle.variant(index);
      j.BeginObject();
      j.Field("index", index);
      j.Field("payload_kind", PayloadKindName(v.payload_kind));
      j.Field("backend", select::BackendName(v.target.backend));
      j.Field("arch", CodeName(v));
      j.Key("min_ptx_isa");
      if (v.target.min_ptx_isa.known()) {
        j.String(select::PtxIsaString(v.target.min_ptx_isa));
      } else {
        j.Null();
      }
      j.Field("min_driver_version", int64_t{v.target.min_driver_version});
      j.Field("required_features", select::FeaturesString(v.target.required_features));
      j.Key("config");
      j.BeginObject();
      for (const ConfigView& c : bundle.config_of(v)) j.Field(c.name, c.value);
      j.EndObject();
      j.Key("resources");
      j.BeginObject();
      j.Field("regs_per_thread", v.resources.regs_per_thread);
      j.Field("static_smem_bytes", v.resources.static_smem_bytes);
      j.Field("dynamic_smem_bytes", v.resources.dynamic_smem_bytes);
      j.Field("threads_per_block", v.resources.threads_per_block);
      j.EndObject();
      j.Key("shape_rules");
      j.BeginArray();
      for (const RuleView& rule : bundle.rules_of(v)) {
        j.BeginObject();
        j.Field("symbol", rule.symbol);
        j.Field("min", rule.min);
        j.Field("max", rule.max);
        j.EndObject();
      }
      j.EndArray();
      j.Key("payload");
      BlobJson(j, bundle.blob(v.payload_blob), v.payload_blob);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  return j.str() + "\n";
}

}  // namespace hrt::bundle
