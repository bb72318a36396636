#!/usr/bin/env bash
# tfjs-rnn on a GPU machine: bash run.sh OUT
#
# Needs only bash, tar and gzip, an x86-64 Linux (glibc >= 2.34) and a GPU driver with Vulkan: Node,
# the library, Dawn and the Vulkan loader come in payload.tar.gz next to this file. Unpacks it (here,
# else under /tmp), finds a Vulkan driver, then runs, each under its own time limit:
#   doctor   the platform report                          (OUT/parts/doctor.json)
#   proofs   every cell on webgpu: parity with tf.layers, manual BPTT vs autodiff, float64 reference
#   bench    every cell at S1-S4 on webgpu, ours vs tf.layers: ms, seq/s, launches per step
#   report   OUT/gpu-report.json and OUT/gpu-report.md, from whatever the stages finished
# Everything printed also goes to OUT/run-log.txt. Whole run: under 8 minutes (TOTAL_S below).
set -u
TOTAL_S=${TFJS_RNN_DEVICE_TOTAL_S:-450} # the whole run, unpacking included
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -ne 1 ]; then echo "usage: bash $0 OUT   (OUT: the folder for the report)" >&2; exit 2; fi
mkdir -p "$1/parts" || { echo "run.sh: cannot create the output folder '$1'" >&2; exit 2; }
OUT=$(cd "$1" && pwd)
exec > >(tee -a "$OUT/run-log.txt") 2>&1
START=$(date +%s)
say() { echo "[run.sh $(( $(date +%s) - START ))s] $*"; }
left() { echo $(( TOTAL_S - ($(date +%s) - START) )); }

# guard SECONDS CMD...: CMD's exit status, 124 when it ran out of time (coreutils timeout, or bash alone).
guard() {
  local secs=$1; shift
  if [ "$secs" -lt 1 ]; then return 124; fi
  if command -v timeout >/dev/null 2>&1; then timeout -k 5 "$secs" "$@"; return $?; fi
  "$@" & local pid=$!
  ( sleep "$secs"; kill -TERM "$pid" 2>/dev/null; sleep 5; kill -KILL "$pid" 2>/dev/null ) & local dog=$!
  wait "$pid"; local rc=$?
  if kill -0 "$dog" 2>/dev/null; then kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null; else rc=124; fi
  return $rc
}

# ---- unpack --------------------------------------------------------------------------------------
SUM=$(sed -n 's/.*"payloadSha256": *"\([0-9a-f]*\)".*/\1/p' "$HERE/MANIFEST.json")
ROOT="$HERE/unpacked"
if ! mkdir -p "$ROOT" 2>/dev/null || [ ! -w "$ROOT" ]; then ROOT="${TMPDIR:-/tmp}/tfjs-rnn-device-$(id -u)"; mkdir -p "$ROOT"; fi
if [ "$(cat "$ROOT/.payload" 2>/dev/null)" != "$SUM" ]; then
  say "unpacking payload.tar.gz into $ROOT"
  rm -rf "${ROOT:?}"/* && tar -xzf "$HERE/payload.tar.gz" -C "$ROOT" || { say "FAILED to unpack $HERE/payload.tar.gz (needs tar and gzip)"; exit 3; }
  echo "$SUM" > "$ROOT/.payload"
fi
cp "$HERE/MANIFEST.json" "$OUT/parts/bundle-manifest.json"
NODE="$ROOT/bin/node"
APP="$ROOT/app"
RUNNER="$APP/benchmarks/device/runner.js"
export LD_LIBRARY_PATH="$ROOT/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The C++ runtime: the system's when Node and Dawn load with it, else Debian 12's from the bundle.
DAWN="$APP/node_modules/webgpu/dist/linux-x64/dawn.node"
if ! "$NODE" -e 'process.dlopen({ exports: {} }, process.argv[1])' "$DAWN" >/dev/null 2>&1; then
  export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$ROOT/compat/usr/lib/x86_64-linux-gnu"
  say "the system's libstdc++ or libgcc_s is missing or too old for Node/Dawn: using the bundled ones"
fi
"$NODE" --version >/dev/null 2>&1 || { say "FAILED: the bundled Node does not start here: $("$NODE" --version 2>&1 | head -3)"; exit 3; }
# glvnd's dispatch libraries, which NVIDIA's Vulkan driver (libGLX_nvidia.so.0) needs: the system's
# when it has them, else Debian 12's from the bundle (a driver mounted into a bare container).
has_lib() {
  ldconfig -p 2>/dev/null | grep -q "$1 " && return 0
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /usr/local/nvidia/lib64; do [ -e "$d/$1" ] && return 0; done
  return 1
}
if ! has_lib libGLdispatch.so.0 || ! has_lib libEGL.so.1; then
  export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$ROOT/glvnd/usr/lib/x86_64-linux-gnu"
  say "no glvnd (libGLdispatch.so.0, libEGL.so.1) on this system: using the bundled ones"
fi
say "node $("$NODE" --version), bundle $(sed -n 's/.*"commit": *"\([0-9a-f]*\)".*/\1/p' "$HERE/MANIFEST.json" | cut -c1-12)"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi > "$OUT/parts/nvidia-smi.txt" 2>&1

# ---- the Vulkan driver -----------------------------------------------------------------------------
# probe: 0 when Dawn finds a hardware adapter with the current environment.
probe() {
  guard 45 "$NODE" -e "require(process.argv[1]).probeWebGPU().then((p) => { console.log(p.adapter ? 'adapter: ' + p.adapter.vendor + ' ' + p.adapter.device + ' ' + p.adapter.description + (p.adapter.isSoftware ? ' (software)' : '') + ', Dawn ' + p.adapter.dawnBackend : 'no adapter: ' + p.reason); process.exit(p.available && !p.adapter.isSoftware && p.adapter.dawnBackend === 'vulkan' ? 0 : 1); })" "$APP/src/platform/webgpu/probe.js" 2>&1 | grep -v 'artificially reduced' | tail -3
  return "${PIPESTATUS[0]}"
}
say "looking for a hardware Vulkan adapter"
if ! probe; then
  # An NVIDIA driver whose manifest is not where the loader looks, or that has no manifest at all
  # (containers given only compute,utility): the Vulkan ICD lives in libGLX_nvidia.so.0.
  CANDIDATES=(/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json)
  GLX=$( (ldconfig -p 2>/dev/null | sed -n 's/.*libGLX_nvidia\.so\.0 .*=> \(.*\)/\1/p'; guard 15 find /usr/local/nvidia /usr/lib /usr/lib64 /lib /lib64 /usr/local/lib -maxdepth 3 -name 'libGLX_nvidia.so.0' 2>/dev/null) | head -1)
  for lib in $GLX; do
    if [ -e "$lib" ]; then
      mkdir -p "$ROOT/icd"
      printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$lib" > "$ROOT/icd/nvidia_icd.json"
      CANDIDATES+=("$ROOT/icd/nvidia_icd.json"); break
    fi
  done
  FOUND=""
  for icd in "${CANDIDATES[@]}"; do
    [ -e "$icd" ] || continue
    say "trying VK_DRIVER_FILES=$icd"
    if VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd" probe; then FOUND=$icd; break; fi
  done
  if [ -n "$FOUND" ]; then export VK_DRIVER_FILES="$FOUND" VK_ICD_FILENAMES="$FOUND"; say "using $FOUND"
  else say "no hardware adapter found: the stages run on whatever adapter there is (the report names it)"; fi
fi

# ---- the stages ------------------------------------------------------------------------------------
stage() { # stage NAME SECONDS [ARGS...]
  local name=$1 secs=$2; shift 2
  say "== $name (limit ${secs} s)"
  guard "$secs" "$NODE" "$RUNNER" "$name" "$OUT" "$@"
  local rc=$?
  echo "$rc" > "$OUT/parts/$name.rc"
  case $rc in 0) say "$name: done";; 124|137) say "$name: STOPPED after ${secs} s (what it finished is kept)";; *) say "$name: exit $rc";; esac
}
min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }
# Limits, not plans: a stage that finishes early leaves its time to the benchmark.
stage doctor "$(min 60 $(( $(left) / 8 )))"
stage proofs "$(min 150 $(( $(left) / 3 )))"
BENCH_S=$(( $(left) - 40 ))
stage bench "$BENCH_S" "$(( BENCH_S > 60 ? BENCH_S - 30 : BENCH_S / 2 ))"
say "== report"
guard 30 "$NODE" "$RUNNER" report "$OUT"
RC=$?
say "wrote $OUT/gpu-report.json and $OUT/gpu-report.md (exit $RC: 0 = every proof passed)"
exit $RC
