#!/usr/bin/env bash
# Runs a command on a simulated machine that lacks the Vulkan (and optionally the GL) libraries,
# without uninstalling anything: inside a private mount namespace, each library directory gets an
# overlay whose whiteouts make the files absent (ENOENT, exactly as on a machine without the
# packages), the Vulkan driver manifests are hidden the same way, and the dynamic linker cache is
# rebuilt so `ldconfig -p` no longer lists them. Nothing outside the namespace changes.
#
#   .ci/without_gpu_libs.sh MACHINE COMMAND...
#     MACHINE  no-vulkan     the loader, every Vulkan driver and manifest hidden; GL/EGL left (the
#                            Debian 12 machine that has Mesa's GL libraries but no Vulkan)
#              no-gpu-libs   Vulkan and Mesa's GL/EGL/GLES/DRI libraries hidden (a bare machine
#                            with only Node)
#
# Needs root or sudo (unshare --mount, mount). Under sudo the command runs as the calling user.
set -euo pipefail

machine="${1:-}"
shift || true
case "$machine" in
  no-vulkan | no-gpu-libs) ;;
  *)
    echo "usage: $0 no-vulkan|no-gpu-libs COMMAND..." >&2
    exit 2
    ;;
esac
if [ "$#" -eq 0 ]; then
  echo "$0: expected a command to run, got none" >&2
  exit 2
fi

if [ -z "${TFJS_RNN_IN_NAMESPACE:-}" ]; then
  # Re-enter this script inside a private mount namespace (as root), remembering who called it.
  runner=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "$0: expected root or sudo (a mount namespace needs CAP_SYS_ADMIN), got neither" >&2
      exit 2
    fi
    runner=(sudo --preserve-env)
  fi
  # PATH and HOME explicitly: sudo's secure_path would lose node and npm, and npm needs its cache.
  exec "${runner[@]}" env "PATH=$PATH" "HOME=$HOME" TFJS_RNN_IN_NAMESPACE=1 TFJS_RNN_CALLER="$(id -u):$(id -g)" \
    unshare --mount --propagation private bash "$0" "$machine" "$@"
fi

# Sonames (as `ldconfig -p` lists them) to hide, as extended regular expressions.
hidden='^(libvulkan\.so|libvulkan_)'
if [ "$machine" = no-gpu-libs ]; then
  hidden="$hidden|^(libEGL|libGLES|libGL\.|libGLX|libGLdispatch|libOpenGL|libgallium|libglapi|libgbm)"
fi

scratch="$(mktemp -d)"
mount -t tmpfs tmpfs "$scratch"

# Every library file matching $hidden, grouped by the real directory it lives in.
declare -A files_in=()
while read -r soname target; do
  [[ "$soname" =~ $hidden ]] || continue
  for f in "$target" "$(readlink -f "$target")"; do
    dir="$(dirname "$(readlink -f "$f")")"
    files_in["$dir"]+="$(basename "$f") "
  done
done < <(ldconfig -p | awk '$(NF-1) == "=>" {print $1, $NF}')

# Puts an overlay on directory $1 whose upper layer holds a whiteout (a 0/0 character device)
# for each name in $2: those names are absent from $1, everything else is as before.
layers=0
whiteout_dir() {
  local dir="$1" names="$2" n layer
  layers=$((layers + 1)); layer="$scratch/layer$layers"
  mkdir -p "$layer/up" "$layer/work"
  for n in $names; do [ -e "$layer/up/$n" ] || mknod "$layer/up/$n" c 0 0; done
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/up,workdir=$layer/work" "$dir"
}

for dir in "${!files_in[@]}"; do
  names="${files_in[$dir]}"
  # The real files behind the versioned links (libvulkan.so.1.3.239) go too.
  for n in $names; do
    for extra in "$dir/$n".*; do [ -e "$extra" ] && names+=" $(basename "$extra")"; done
  done
  if [ "$machine" = no-gpu-libs ] && [ -d "$dir/dri" ]; then names+=" dri"; fi
  whiteout_dir "$dir" "$names"
done

# Driver manifests: Vulkan ICDs always; the EGL vendor list (glvnd) on the bare machine.
manifest_dirs=(/usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d)
if [ "$machine" = no-gpu-libs ]; then manifest_dirs+=(/usr/share/glvnd/egl_vendor.d /etc/glvnd/egl_vendor.d); fi
for d in "${manifest_dirs[@]}"; do
  if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
done

ldconfig -C "$scratch/ld.so.cache" 2>/dev/null
mount --bind "$scratch/ld.so.cache" /etc/ld.so.cache

left="$(ldconfig -p | awk '{print $1}' | grep -E "$hidden" || true)"
if [ -n "$left" ]; then
  echo "$0: expected every hidden library gone from ldconfig -p, still there: $left" >&2
  exit 1
fi
echo "without_gpu_libs: $machine: hidden $(printf '%s' "${files_in[*]:-}" | wc -w) library names in ${#files_in[@]} directories" >&2

caller="${TFJS_RNN_CALLER:-0:0}"
unset TFJS_RNN_IN_NAMESPACE TFJS_RNN_CALLER
if [ "$caller" = "0:0" ]; then
  exec "$@"
fi
exec setpriv --reuid="${caller%%:*}" --regid="${caller##*:}" --init-groups "$@"
