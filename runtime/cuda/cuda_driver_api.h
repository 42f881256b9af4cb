// The slice of the CUDA driver API the CUDA backend uses, declared here so the
// library builds without a CUDA toolkit (cuda.h is never included and libcuda
// is never linked: the driver is dlopen'ed at run time, see cuda_driver.h).
//
// Every number below was checked against the public cuda.h of CUDA 13.0; these
// values are ABI and have not changed since they were introduced. Entry points
// are listed by their exported, versioned names (cuMemAlloc_v2...): the
// unversioned symbols are legacy ABIs kept for old binaries.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hrt::cuda {

// --- Opaque handles and plain types (cuda.h: typedef struct CUxxx_st*) ------
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUlinkState_st;
struct CUevent_st;
using CUcontext = CUctx_st*;
using CUmodule = CUmod_st*;
using CUfunction = CUfunc_st*;
using CUstream = CUstream_st*;
using CUlinkState = CUlinkState_st*;
using CUevent = CUevent_st*;
using CUdevice = int;                    // CUdevice_v1
using CUdeviceptr = unsigned long long;  // CUdeviceptr_v2 on 64-bit hosts
using cuuint64_t = uint64_t;
struct CUuuid {
  char bytes[16];
};

// --- CUresult (the values the backend names itself; any other value is still
// mapped through cuGetErrorName) ---------------------------------------------
using CUresult = int;
inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
inline constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
inline constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
inline constexpr CUresult CUDA_ERROR_INVALID_PTX = 218;
inline constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
// cuEventQuery / cuStreamQuery: the work is still queued (not an error).
inline constexpr CUresult CUDA_ERROR_NOT_READY = 600;

// --- CUdevice_attribute ------------------------------------------------------
using CUdevice_attribute = int;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH = 95;
inline constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

// --- CUfunction_attribute ----------------------------------------------------
using CUfunction_attribute = int;
inline constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;
inline constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1;
inline constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_NUM_REGS = 4;
inline constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

// --- CUjit_option / CUjitInputType -------------------------------------------
using CUjit_option = int;
inline constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER = 3;
inline constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
inline constexpr CUjit_option CU_JIT_TARGET_FROM_CUCONTEXT = 8;
inline constexpr CUjit_option CU_JIT_LOG_VERBOSE = 12;

using CUjitInputType = int;
inline constexpr CUjitInputType CU_JIT_INPUT_CUBIN = 0;
inline constexpr CUjitInputType CU_JIT_INPUT_PTX = 1;

// --- Misc flags --------------------------------------------------------------
inline constexpr unsigned int CU_STREAM_DEFAULT = 0x0;
inline constexpr unsigned int CU_STREAM_NON_BLOCKING = 0x1;
inline constexpr unsigned int CU_EVENT_DEFAULT = 0x0;  // with timing
// cuMemHostAlloc: pinned memory usable from every context, mapped into the
// device's address space.
inline constexpr unsigned int CU_MEMHOSTALLOC_PORTABLE = 0x01;
inline constexpr unsigned int CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
inline constexpr cuuint64_t CU_GET_PROC_ADDRESS_DEFAULT = 0;
using CUdriverProcAddressQueryResult = int;
inline constexpr CUdriverProcAddressQueryResult CU_GET_PROC_ADDRESS_SUCCESS = 0;

// 48 KiB: the dynamic shared memory every kernel may use without opting in
// through CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
inline constexpr uint32_t kDefaultDynamicSharedLimit = 48 * 1024;

// --- The symbol table --------------------------------------------------------
// HRT_CUDA_REQUIRED(member, exported symbol, return, params) and
// HRT_CUDA_OPTIONAL(...): a driver missing a required symbol is unusable (the
// reason names it); optional ones may be null. The error-string functions come
// first so every later failure can be described.
#define HRT_CUDA_SYMBOLS(REQUIRED, OPTIONAL)                                                      \
  REQUIRED(GetErrorName, "cuGetErrorName", CUresult, (CUresult, const char**))                    \
  REQUIRED(GetErrorString, "cuGetErrorString", CUresult, (CUresult, const char**))                \
  REQUIRED(Init, "cuInit", CUresult, (unsigned int))                                              \
  REQUIRED(DriverGetVersion, "cuDriverGetVersion", CUresult, (int*))                              \
  REQUIRED(DeviceGetCount, "cuDeviceGetCount", CUresult, (int*))                                  \
  REQUIRED(DeviceGet, "cuDeviceGet", CUresult, (CUdevice*, int))                                  \
  REQUIRED(DeviceGetName, "cuDeviceGetName", CUresult, (char*, int, CUdevice))                    \
  REQUIRED(DeviceGetAttribute, "cuDeviceGetAttribute", CUresult,                                  \
           (int*, CUdevice_attribute, CUdevice))                                                  \
  REQUIRED(DeviceTotalMem, "cuDeviceTotalMem_v2", CUresult, (size_t*, CUdevice))                  \
  OPTIONAL(DeviceGetUuid, "cuDeviceGetUuid_v2", CUresult, (CUuuid*, CUdevice))                    \
  REQUIRED(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult, (CUcontext*, CUdevice))  \
  REQUIRED(DevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUresult, (CUdevice))         \
  REQUIRED(CtxGetCurrent, "cuCtxGetCurrent", CUresult, (CUcontext*))                              \
  REQUIRED(CtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext))                               \
  REQUIRED(CtxPushCurrent, "cuCtxPushCurrent_v2", CUresult, (CUcontext))                          \
  REQUIRED(CtxPopCurrent, "cuCtxPopCurrent_v2", CUresult, (CUcontext*))                           \
  REQUIRED(CtxGetDevice, "cuCtxGetDevice", CUresult, (CUdevice*))                                 \
  REQUIRED(CtxSynchronize, "cuCtxSynchronize", CUresult, (void))                                  \
  REQUIRED(LinkCreate, "cuLinkCreate_v2", CUresult,                                               \
           (unsigned int, CUjit_option*, void**, CUlinkState*))                                   \
  REQUIRED(LinkAddData, "cuLinkAddData_v2", CUresult,                                             \
           (CUlinkState, CUjitInputType, void*, size_t, const char*, unsigned int, CUjit_option*, \
            void**))                                                                              \
  REQUIRED(LinkComplete, "cuLinkComplete", CUresult, (CUlinkState, void**, size_t*))              \
  REQUIRED(LinkDestroy, "cuLinkDestroy", CUresult, (CUlinkState))                                 \
  REQUIRED(ModuleLoadData, "cuModuleLoadData", CUresult, (CUmodule*, const void*))                \
  REQUIRED(ModuleUnload, "cuModuleUnload", CUresult, (CUmodule))                                  \
  REQUIRED(ModuleGetFunction, "cuModuleGetFunction", CUresult,                                    \
           (CUfunction*, CUmodule, const char*))                                                  \
  REQUIRED(FuncGetAttribute, "cuFuncGetAttribute", CUresult,                                      \
           (int*, CUfunction_attribute, CUfunction))                                              \
  REQUIRED(FuncSetAttribute, "cuFuncSetAttribute", CUresult,                                      \
           (CUfunction, CUfunction_attribute, int))                                               \
  REQUIRED(LaunchKernel, "cuLaunchKernel", CUresult,                                              \
           (CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,     \
            unsigned int, unsigned int, CUstream, void**, void**))                                \
  REQUIRED(MemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr*, size_t))                           \
  REQUIRED(MemFree, "cuMemFree_v2", CUresult, (CUdeviceptr))                                      \
  REQUIRED(MemcpyHtoD, "cuMemcpyHtoD_v2", CUresult, (CUdeviceptr, const void*, size_t))           \
  REQUIRED(MemcpyDtoH, "cuMemcpyDtoH_v2", CUresult, (void*, CUdeviceptr, size_t))                 \
  REQUIRED(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", CUresult,                                     \
           (CUdeviceptr, const void*, size_t, CUstream))                                          \
  REQUIRED(MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", CUresult,                                     \
           (void*, CUdeviceptr, size_t, CUstream))                                                \
  REQUIRED(MemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", CUresult,                                     \
           (CUdeviceptr, CUdeviceptr, size_t, CUstream))                                          \
  OPTIONAL(MemHostAlloc, "cuMemHostAlloc", CUresult, (void**, size_t, unsigned int))              \
  OPTIONAL(MemFreeHost, "cuMemFreeHost", CUresult, (void*))                                       \
  OPTIONAL(MemHostGetDevicePointer, "cuMemHostGetDevicePointer_v2", CUresult,                     \
           (CUdeviceptr*, void*, unsigned int))                                                   \
  OPTIONAL(StreamQuery, "cuStreamQuery", CUresult, (CUstream))                                    \
  REQUIRED(StreamCreate, "cuStreamCreate", CUresult, (CUstream*, unsigned int))                   \
  REQUIRED(StreamDestroy, "cuStreamDestroy_v2", CUresult, (CUstream))                             \
  REQUIRED(StreamSynchronize, "cuStreamSynchronize", CUresult, (CUstream))                        \
  REQUIRED(EventCreate, "cuEventCreate", CUresult, (CUevent*, unsigned int))                      \
  REQUIRED(EventRecord, "cuEventRecord", CUresult, (CUevent, CUstream))                           \
  REQUIRED(EventQuery, "cuEventQuery", CUresult, (CUevent))                                       \
  REQUIRED(EventSynchronize, "cuEventSynchronize", CUresult, (CUevent))                           \
  REQUIRED(EventElapsedTime, "cuEventElapsedTime", CUresult, (float*, CUevent, CUevent))          \
  REQUIRED(EventDestroy, "cuEventDestroy_v2", CUresult, (CUevent))                                \
  OPTIONAL(GetProcAddress, "cuGetProcAddress_v2", CUresult,                                       \
           (const char*, void**, int, cuuint64_t, CUdriverProcAddressQueryResult*))

}  // namespace hrt::cuda
