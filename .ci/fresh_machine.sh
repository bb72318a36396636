#!/usr/bin/env bash
# The tests that only a fresh machine can prove, on the machines a new user is likely to have,
# simulated on this one by hiding libraries (.ci/without_gpu_libs.sh), and run as a user runs them
# (not as CI, so an absent WebGPU adapter skips the GPU tests, saying why, instead of failing them):
#   no-gpu-libs  a bare machine with only Node: no Vulkan, no Mesa GL;
#   no-vulkan    Debian 12 with Mesa's GL libraries but no Vulkan: Dawn finds an OpenGL ES adapter
#                there, so the WebGPU tests run on it.
# The rest of the suite (the proofs on cpu, wasm and webgpu) uses no GPU library and ran once in
# `npm test` before this; here, on each machine, only the files whose outcome depends on it:
#   test/webgpu_*         the gate: GPU tests skip with the reason (no-gpu-libs) or run (no-vulkan);
#                         explainNoAdapter's reasons, the adapter, the kernels, the fused step, limits
#   test/backend_*        backend choice and its fallbacks (auto picks wasm/cpu when WebGPU is
#                         absent, --backend webgpu fails naming why), quiet stderr while choosing
#   test/doctor           the doctor's report and exit code on that machine
#   test/missing_kernel   a kernel the backend lacks: the error names it
#   test/runtime_dir      Mesa's XDG_RUNTIME_DIR warning kept out of successful runs
#   test/readme_example   the README's example runs as written on whatever backend is there
# and the closing backends line must say what happened to WebGPU (skipped, with the reason, on
# no-gpu-libs; ran, on no-vulkan). Then `npm run train` must keep stderr free of Dawn's and tfjs's
# start-up noise.
#
#   .ci/fresh_machine.sh         the files above on both machines
#   .ci/fresh_machine.sh --full  the whole suite on both
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
if [ "${1:-}" = "--full" ]; then full=1; fi
as_user=(env -u CI -u TFJS_RNN_TEST_WEBGPU -u TFJS_RNN_TEST_BACKENDS -u TFJS_RNN_BACKEND)
fresh_tests=(test/webgpu_ test/backend_ test/doctor test/missing_kernel test/runtime_dir test/readme_example)
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

# The tests on one machine; then the backends line (test/reporters/backends_reporter.js) must say
# what that machine is expected to do with WebGPU.
fresh_tests_on() {
  local machine="$1" log line expected
  log="$(mktemp -d)/jest.log"
  if [ "$full" = 1 ]; then
    .ci/without_gpu_libs.sh "$machine" "${as_user[@]}" npm test 2>&1 | tee "$log"
  else
    .ci/without_gpu_libs.sh "$machine" "${as_user[@]}" npm test -- "${fresh_tests[@]}" 2>&1 | tee "$log"
  fi
  line="$(grep -m1 '^backends: ' "$log" || true)"
  if [ "$machine" = no-gpu-libs ]; then expected='webgpu did not run: no adapter here: '; else expected=' webgpu \([0-9]+ files?\)'; fi
  if ! grep -Eq -- "$expected" <<<"$line"; then
    echo "fresh_machine: $machine: expected the backends line to match '$expected', got: ${line:-no backends line}" >&2
    exit 1
  fi
}

for machine in no-gpu-libs no-vulkan; do
  echo "== fresh_machine: $machine"
  fresh_tests_on "$machine"
  quiet_train "$machine"
done
