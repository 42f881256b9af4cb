// Probe: what max/min(.NaN).f32 return for +0/-0 pairs on this GPU.
#include <cstdio>
#include <cstring>
__global__ void k(const float* a, const float* b, unsigned* out, int n) {
  int i = threadIdx.x;
  if (i >= n) return;
  float x = a[i], y = b[i], r0, r1, r2, r3;
  asm("max.NaN.f32 %0, %1, %2;" : "=f"(r0) : "f"(x), "f"(y));
  asm("min.NaN.f32 %0, %1, %2;" : "=f"(r1) : "f"(x), "f"(y));
  asm("max.f32 %0, %1, %2;" : "=f"(r2) : "f"(x), "f"(y));
  asm("min.f32 %0, %1, %2;" : "=f"(r3) : "f"(x), "f"(y));
  out[4 * i] = __float_as_uint(r0);
  out[4 * i + 1] = __float_as_uint(r1);
  out[4 * i + 2] = __float_as_uint(r2);
  out[4 * i + 3] = __float_as_uint(r3);
}
int main() {
  float a[4] = {0.0f, -0.0f, 0.0f, -0.0f}, b[4] = {-0.0f, 0.0f, 0.0f, -0.0f};
  float *da, *db; unsigned* dout; unsigned out[16];
  cudaMalloc(&da, 16); cudaMalloc(&db, 16); cudaMalloc(&dout, 64);
  cudaMemcpy(da, a, 16, cudaMemcpyHostToDevice); cudaMemcpy(db, b, 16, cudaMemcpyHostToDevice);
  k<<<1, 32>>>(da, db, dout, 4);
  cudaMemcpy(out, dout, 64, cudaMemcpyDeviceToHost);
  for (int i = 0; i < 4; ++i)
    printf("a=%08x b=%08x  max.NaN=%08x min.NaN=%08x max=%08x min=%08x\n", *(unsigned*)&a[i],
           *(unsigned*)&b[i], out[4 * i], out[4 * i + 1], out[4 * i + 2], out[4 * i + 3]);
  return 0;
}
