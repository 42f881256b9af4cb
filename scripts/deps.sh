# Sourced by the README's commands: installs the Debian packages the build
# needs when any is missing (fresh Debian 12, as root or with sudo).
# Vulkan: headers only at build time (the library dlopens libvulkan.so.1);
# Mesa's lavapipe is the CPU Vulkan device the demo and CI fall back to;
# spirv-tools (spirv-val) and the Khronos validation layer check what we emit.
HRT_APT_PACKAGES=(build-essential cmake pkg-config libzstd-dev libxxhash-dev
                  libgtest-dev libgmock-dev libbenchmark-dev
                  libvulkan-dev libvulkan1 mesa-vulkan-drivers spirv-tools vulkan-validationlayers)

hrt_ensure_deps() {
  local missing=()
  for p in "${HRT_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "helionrt: installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
