#!/usr/bin/env bash
# `npm test` on the machines a new user is likely to have, simulated on this one by hiding
# libraries (.ci/without_gpu_libs.sh), and run as a user runs it (not as CI, so an absent WebGPU
# adapter skips the GPU tests, saying why, instead of failing them):
#   no-gpu-libs  a bare machine with only Node: no Vulkan, no Mesa GL;
#   no-vulkan    Debian 12 with Mesa's GL libraries but no Vulkan: Dawn finds an OpenGL ES adapter
#                there, so the WebGPU tests run on it.
# On each, `npm run train` must keep stderr free of Dawn's and tfjs's start-up noise.
#
#   .ci/fresh_machine.sh         the whole suite on no-gpu-libs; on no-vulkan the test files that
#                                touch WebGPU or pick a backend (nothing else depends on GPU libraries)
#   .ci/fresh_machine.sh --full  the whole suite on both
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
if [ "${1:-}" = "--full" ]; then full=1; fi
as_user=(env -u CI -u TFJS_RNN_TEST_WEBGPU -u TFJS_RNN_TEST_BACKENDS -u TFJS_RNN_BACKEND)
gpu_tests=(test/webgpu_ test/backend_ test/doctor test/missing_kernel test/readme_example)
noise="Couldn't load Vulkan|artificially reduced|XDG_RUNTIME_DIR|install our node backend|already registered|Platform node has already been set"

quiet_train() {
  local machine="$1" out
  out="$(mktemp -d)"
  .ci/without_gpu_libs.sh "$machine" "${as_user[@]}" npm run --silent train -- --steps 3 --out "$out/run" >"$out/stdout" 2>"$out/stderr"
  if grep -E "$noise" "$out/stderr"; then
    echo "fresh_machine: $machine: expected no start-up noise on npm run train's stderr, got the lines above" >&2
    exit 1
  fi
  echo "fresh_machine: $machine: npm run train: $(grep -m1 '^backend:' "$out/stdout"), stderr free of start-up noise"
}

for machine in no-gpu-libs no-vulkan; do
  echo "== fresh_machine: $machine"
  if [ "$machine" = no-gpu-libs ] || [ "$full" = 1 ]; then
    .ci/without_gpu_libs.sh "$machine" "${as_user[@]}" npm test
  else
    .ci/without_gpu_libs.sh "$machine" "${as_user[@]}" npm test -- "${gpu_tests[@]}"
  fi
  quiet_train "$machine"
done
