#!/usr/bin/env bash
# Installs the Vulkan loader (libvulkan1) and Mesa's software Vulkan driver (lavapipe) for the
# WebGPU tests. Dawn rejects Debian 12's own Mesa 22.3.6 lavapipe (requestAdapter returns null:
# "shaderUniform*ArrayDynamicIndexing required"), so on bookworm Mesa comes from bookworm-backports
# (Mesa >= 25). Idempotent and non-interactive: when a good enough Mesa and the loader are already
# installed it touches nothing. Always ends by printing the Mesa/lavapipe version it leaves.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

MIN_MESA_MAJOR="${MIN_MESA_MAJOR:-25}"  # Dawn rejects older lavapipe
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

mesa_version() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true; }
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]; }
mesa_ok() {
  local v; v="$(mesa_version)"
  installed mesa-vulkan-drivers && installed libvulkan1 && [ -n "$v" ] && [ "${v%%.*}" -ge "$MIN_MESA_MAJOR" ] 2>/dev/null
}

if mesa_ok; then
  echo "install_vulkan: already installed, nothing to do"
else
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  target=()
  if [ "$codename" = "bookworm" ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      # Use the Debian mirror this machine is already configured with for bookworm.
      mirror="$(awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)/{print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
      if [ -z "$mirror" ]; then
        mirror="$(awk '$1=="deb" && $3=="bookworm"{print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)"
      fi
      if [ -z "$mirror" ]; then
        echo "install_vulkan: ERROR: no apt source for bookworm found to derive the backports mirror from" >&2
        exit 1
      fi
      echo "install_vulkan: enabling bookworm-backports from $mirror"
      echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
    target=(-t bookworm-backports)
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${target[@]}" mesa-vulkan-drivers libvulkan1
  if ! mesa_ok; then
    echo "install_vulkan: ERROR: expected mesa-vulkan-drivers >= $MIN_MESA_MAJOR, got '$(mesa_version)'" >&2
    exit 1
  fi
fi

icd="$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1 || true)"
echo "install_vulkan: mesa-vulkan-drivers $(mesa_version), libvulkan1 $(dpkg-query -W -f='${Version}' libvulkan1), lavapipe ICD ${icd:-MISSING}"
