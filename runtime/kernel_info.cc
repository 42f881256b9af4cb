// hrt_kernel_* introspection: name, parameters, tunables, dtype parameters.
#include <string>

#include "runtime/api_status.h"
#include "runtime/module.h"
#include "runtime/versioned_struct.h"

namespace hrt::runtime {
namespace {

Status CheckIndex(uint32_t index, size_t count, const char* what, const hrt_kernel_t& kernel) {
  if (index >= count) {
    return OutOfRange(std::string(what) + " index " + std::to_string(index) + " is out of range (" +
                      KernelLabel(kernel) + " has " + std::to_string(count) + ")");
  }
  return Status::Ok();
}

template <typename T>
Status Count(const hrt_kernel_t* kernel, uint32_t* out_count, const T& items) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  HRT_RETURN_IF_ERROR(CheckOut(out_count, "out_count"));
  // The loaders bound these counts far below 2^32.
  *out_count = static_cast<uint32_t>(items(*kernel).size());
  return Status::Ok();
}

Status GetParam(const hrt_kernel_t* kernel, uint32_t index, hrt_kernel_param_info_t* out_info) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  HRT_RETURN_IF_ERROR(CheckOutStruct(out_info, "out_info"));
  const ir::Kernel& k = *kernel->ir;
  HRT_RETURN_IF_ERROR(CheckIndex(index, k.params.size(), "parameter", *kernel));
  const ir::Param& p = k.params[index];
  hrt_kernel_param_info_t info{};
  info.name = p.name.c_str();
  const bool tensor = p.kind == ir::ParamKind::kTensor;
  info.kind = tensor ? HRT_PARAM_KIND_TENSOR : HRT_PARAM_KIND_SCALAR;
  info.rank = tensor ? p.rank : 0;
  info.dtype = p.elem.is_param() ? -1 : static_cast<int32_t>(p.elem.code);
  info.dtype_param = p.elem.is_param() ? static_cast<int32_t>(p.elem.param_index()) : -1;
  for (uint32_t d = 0; d < info.rank && d < ir::kMaxRank; ++d) {
    const uint32_t sym = p.dims[d];
    info.dims[d] = sym < k.shape_syms.size() ? k.shape_syms[sym].c_str() : nullptr;
  }
  WriteVersionedStruct(out_info, info);
  return Status::Ok();
}

Status GetTunable(const hrt_kernel_t* kernel, uint32_t index, hrt_kernel_tunable_info_t* out_info) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  HRT_RETURN_IF_ERROR(CheckOutStruct(out_info, "out_info"));
  const ir::Kernel& k = *kernel->ir;
  HRT_RETURN_IF_ERROR(CheckIndex(index, k.tunables.size(), "tunable", *kernel));
  const ir::Tunable& t = k.tunables[index];
  hrt_kernel_tunable_info_t info{};
  info.name = t.name.c_str();
  info.candidates = t.candidates.data();
  info.candidate_count = t.candidates.size();
  info.default_value = t.default_value;
  WriteVersionedStruct(out_info, info);
  return Status::Ok();
}

Status GetDTypeParam(const hrt_kernel_t* kernel, uint32_t index,
                     hrt_kernel_dtype_param_info_t* out_info) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  HRT_RETURN_IF_ERROR(CheckOutStruct(out_info, "out_info"));
  const ir::Kernel& k = *kernel->ir;
  HRT_RETURN_IF_ERROR(CheckIndex(index, k.dtype_params.size(), "dtype parameter", *kernel));
  hrt_kernel_dtype_param_info_t info{};
  info.name = k.dtype_params[index].name.c_str();
  info.candidates = kernel->dtype_candidates[index].data();
  info.candidate_count = kernel->dtype_candidates[index].size();
  WriteVersionedStruct(out_info, info);
  return Status::Ok();
}

}  // namespace
}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_kernel_name(const hrt_kernel_t* kernel, const char** out_name) {
  return hrt::runtime::Boundary("hrt_kernel_name", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckKernel(kernel));
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(out_name, "out_name"));
    *out_name = kernel->ir->name.c_str();
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_kernel_param_count(const hrt_kernel_t* kernel, uint32_t* out_count) {
  return hrt::runtime::Boundary("hrt_kernel_param_count", [&] {
    return hrt::runtime::Count(
        kernel, out_count, [](const hrt_kernel_t& k) -> const auto& { return k.ir->params; });
  });
}

HRT_API hrt_status_t hrt_kernel_get_param(const hrt_kernel_t* kernel, uint32_t index,
                                          hrt_kernel_param_info_t* out_info) {
  return hrt::runtime::Boundary("hrt_kernel_get_param",
                                [&] { return hrt::runtime::GetParam(kernel, index, out_info); });
}

HRT_API hrt_status_t hrt_kernel_tunable_count(const hrt_kernel_t* kernel, uint32_t* out_count) {
  return hrt::runtime::Boundary("hrt_kernel_tunable_count", [&] {
    return hrt::runtime::Count(
        kernel, out_count, [](const hrt_kernel_t& k) -> const auto& { return k.ir->tunables; });
  });
}

HRT_API hrt_status_t hrt_kernel_get_tunable(const hrt_kernel_t* kernel, uint32_t index,
                                            hrt_kernel_tunable_info_t* out_info) {
  return hrt::runtime::Boundary("hrt_kernel_get_tunable",
                                [&] { return hrt::runtime::GetTunable(kernel, index, out_info); });
}

HRT_API hrt_status_t hrt_kernel_dtype_param_count(const hrt_kernel_t* kernel, uint32_t* out_count) {
  return hrt::runtime::Boundary("hrt_kernel_dtype_param_count", [&] {
    return hrt::runtime::Count(
        kernel, out_count, [](const hrt_kernel_t& k) -> const auto& { return k.ir->dtype_params; });
  });
}

HRT_API hrt_status_t hrt_kernel_get_dtype_param(const hrt_kernel_t* kernel, uint32_t index,
                                                hrt_kernel_dtype_param_info_t* out_info) {
  return hrt::runtime::Boundary("hrt_kernel_get_dtype_param", [&] {
    return hrt::runtime::GetDTypeParam(kernel, index, out_info);
  });
}

HRT_API hrt_status_t hrt_kernel_cached_config_count(const hrt_kernel_t* kernel, size_t* out_count) {
  return hrt::runtime::Boundary("hrt_kernel_cached_config_count", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckKernel(kernel));
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(out_count, "out_count"));
    *out_count = kernel->bound.size();
    return hrt::Status::Ok();
  });
}

}  // extern "C"
