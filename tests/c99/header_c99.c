/* Proves that include/helionrt/helionrt.h is C99: this file is compiled with
 * -std=c99 -Wall -Wextra -Wpedantic -Werror, links against the shared
 * library, and calls a few functions. The header is included twice, the
 * second time with HRT_EXPERIMENTAL_API, to check both include guards. */
#include "helionrt/helionrt.h"
#define HRT_EXPERIMENTAL_API 1
#include <stdio.h>
#include <string.h>

#include "helionrt/helionrt.h"

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "FAILED: %s (last error: %s)\n", what, hrt_last_error_message());
    ++failures;
  }
}

static const char kText[] =
    "kernel copy(x: tensor<f32>[N], out: tensor<f32>[N])\n"
    "  grid [N]\n"
    "{\n"
    "  %i = program_id 0\n"
    "  %v = load x[%i]\n"
    "  store out[%i], %v\n"
    "}\n";

int main(void) {
  hrt_runtime_options_t options;
  hrt_runtime_t* runtime = NULL;
  hrt_module_t* module = NULL;
  hrt_kernel_t* kernel = NULL;
  hrt_device_properties_t props;
  hrt_launch_params_t params;
  hrt_arg_t args[2];
  float x[3] = {1.5f, -2.0f, 8.0f};
  float out[3] = {0.0f, 0.0f, 0.0f};
  size_t length = 0;
  size_t cached = 0;
  uint32_t count = 0;
  int i;

  check(hrt_version_number() == HRT_VERSION_NUMBER, "version number");
  check(strcmp(hrt_version_string(), HRT_VERSION_STRING) == 0, "version string");
  check(strcmp(hrt_status_string(HRT_ERROR_NOT_FOUND), "NOT_FOUND") == 0, "status string");
  check(hrt_runtime_create(NULL, NULL) == HRT_ERROR_INVALID_ARGUMENT, "NULL out_runtime");
  check(hrt_last_error_message()[0] != '\0', "last error set");

  check(hrt_runtime_options_init(&options) == HRT_OK, "options init");
  /* Host memory below: the reference device only (also compiles the macro). */
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_CPU_REFERENCE);
  check(hrt_runtime_create(&options, &runtime) == HRT_OK, "runtime create");
  check(hrt_device_count(runtime, &count) == HRT_OK && count >= 1, "device count");
  memset(&props, 0, sizeof(props));
  props.struct_size = sizeof(props);
  check(hrt_device_get_properties(runtime, 0, &props) == HRT_OK, "properties");
  check(props.backend == HRT_BACKEND_CPU_REFERENCE, "reference backend");
  check(hrt_device_get_fingerprint(runtime, 0, NULL, 0, &length) == HRT_OK && length > 0,
        "fingerprint length");

  check(hrt_module_load(runtime, kText, sizeof(kText) - 1, &module) == HRT_OK, "module load");
  check(hrt_module_get_kernel(module, "copy", &kernel) == HRT_OK, "get kernel");

  memset(args, 0, sizeof(args));
  for (i = 0; i < 2; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = 3;
    args[i].value.tensor.strides[0] = 1;
  }
  args[0].value.tensor.address = (uint64_t)(uintptr_t)x;
  args[1].value.tensor.address = (uint64_t)(uintptr_t)out;
  check(hrt_launch_params_init(&params) == HRT_OK, "params init");
  params.args = args;
  params.arg_count = 2;
  check(hrt_kernel_launch(kernel, &params) == HRT_OK, "launch");
  for (i = 0; i < 3; ++i) check(out[i] == x[i], "copied element");
  check(hrt_kernel_cached_config_count(kernel, &cached) == HRT_OK && cached == 1,
        "experimental API");

  check(hrt_module_destroy(module) == HRT_OK, "module destroy");
  check(hrt_runtime_destroy(runtime) == HRT_OK, "runtime destroy");
  if (failures == 0) printf("helionrt %s: C99 header test passed\n", hrt_version_string());
  return failures == 0 ? 0 : 1;
}
