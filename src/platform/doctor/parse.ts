/** Pure parsers for what the doctor's probes return: nvidia-smi, TensorFlow's log, versions. */
import type { GpuFact, TfLogFacts } from './types';

/** Parses `nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader`. */
export function parseNvidiaSmi(csv: string): GpuFact[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, driver, computeCap, memory] = l.split(',').map((s) => s.trim());
      return { name, driver, computeCap: computeCap && computeCap !== '[N/A]' ? computeCap : undefined, memory };
    });
}

/** Digests what TensorFlow logs while it loads (it logs to stderr, never to JavaScript). */
export function parseTfLog(stderr: string): TfLogFacts {
  const missing = new Set<string>();
  const opened = new Set<string>();
  for (const m of stderr.matchAll(/Could not load dynamic library '([^']+)'/g)) missing.add(m[1]);
  for (const m of stderr.matchAll(/Successfully opened dynamic library (\S+)/g)) opened.add(m[1]);
  const gpuDevices: TfLogFacts['gpuDevices'] = [];
  // TF >= 2.5: "... with 78911 MB memory:  -> device: 0, name: X, pci bus id: Y, compute capability: 9.0";
  // older: "... with N MB memory) -> physical GPU (device: 0, name: X, ...)".
  const created = /Created device \S*GPU:\d+ with (\d+) MB memory\)?:?\s*->\s*(?:physical GPU \()?device: \d+, name: ([^,]+), pci bus id: [^,]+, compute capability: ([\d.]+)/g;
  for (const m of stderr.matchAll(created)) {
    gpuDevices.push({ memoryMB: Number(m[1]), name: m[2].trim(), computeCap: m[3] });
  }
  const ptx = /not built with CUDA kernel binaries compatible with compute capability (\d+(?:\.\d+)?)/.exec(stderr);
  const cuInit = /failed call to cuInit: (\S+)/.exec(stderr);
  return {
    missingLibraries: [...missing],
    openedLibraries: [...opened],
    gpuDevices,
    ptxJitComputeCap: ptx?.[1],
    cuInitError: cuInit?.[1],
    skippedGpuRegistration: /Cannot dlopen some GPU libraries|Skipping registering GPU devices/.test(stderr),
  };
}

/** True for compute capability 9.x (Hopper: H100, H200, GH200), which libtensorflow 2.9.1 predates. */
export function isHopper(gpu: { name?: string; computeCap?: string }): boolean {
  if (gpu.computeCap) return Number(gpu.computeCap.split('.')[0]) >= 9;
  return /\b(H100|H200|H800|GH200)\b/.test(gpu.name ?? '');
}

/** True when dotted version `v` is at least `min` (a non-numeric part counts as newer). */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return true;
    if (x !== y) return x > y;
  }
  return true;
}
