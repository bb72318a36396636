/**
 * `npm run doctor`'s logic on injected facts: the GPU cases CI cannot see (CUDA works, CUDA
 * libraries missing, no driver, addon never downloaded), the WebGPU cases, and the exit code.
 */
import { diagnose } from '../src/platform/doctor/diagnose';
import { collectFacts } from '../src/platform/doctor/facts';
import { formatReport } from '../src/platform/doctor/format';
import { parseNvidiaSmi, parseTfLog } from '../src/platform/doctor/parse';
import type { BackendCheckFact, ChildLoadResult, DoctorProbes, DoctorReport, Finding } from '../src/platform/doctor/types';
import { findLibrary } from '../src/platform/system';
import type { WebGPUProbe } from '../src/platform/webgpu/types';

const LDCONFIG_CUDA11 = [
  '9 libs found in cache `/etc/ld.so.cache\'',
  ...['libcudart.so.11.0', 'libcudnn.so.8', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10',
    'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.11'].map(
    (l) => `\t${l} (libc6,x86-64) => /usr/local/cuda-11.2/lib64/${l}`),
  '\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6',
].join('\n');

const LDCONFIG_CUDA13 = [
  '\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13',
  '\tlibcudart.so (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so',
  '\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6',
].join('\n');

const H100_SMI = 'NVIDIA H100 80GB HBM3, 550.54.15, 9.0, 81559 MiB\n';

const TF_LOG_GPU = [
  'I tensorflow/stream_executor/platform/default/dso_loader.cc:53] Successfully opened dynamic library libcudart.so.11.0',
  'W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] TensorFlow was not built with CUDA kernel binaries compatible with compute capability 9.0. CUDA kernels will be jitted from PTX, which could take 30 minutes or longer.',
  'I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 78911 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0',
].join('\n');

const TF_LOG_NO_CUDART = [
  "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file: No such file or directory",
  "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory",
  'W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above are installed properly if you would like to use GPU. Skipping registering GPU devices...',
].join('\n');

const TF_LOG_NO_DRIVER = [
  "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory",
  'W tensorflow/stream_executor/cuda/cuda_driver.cc:269] failed call to cuInit: UNKNOWN ERROR (303)',
].join('\n');

const ADDON_MISSING =
  'Error: The Node.js native addon module (tfjs_binding.node) can not be found at path: ' +
  '/app/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node. \nPlease run command ...';

const NO_ADAPTER: WebGPUProbe = { available: false, reason: 'Dawn returned no WebGPU adapter', vulkanLoader: false, vulkanDrivers: [] };

interface Scenario {
  gpuPackage?: 'absent' | 'no-addon' | 'loads';
  child?: Partial<ChildLoadResult>;
  ldconfig?: string;
  smi?: { found: boolean; stdout?: string; error?: string };
  webgpu?: WebGPUProbe;
  gpuDeviceNodes?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Probes describing a machine; cpu and wasm always work. */
function fakeProbes(s: Scenario): DoctorProbes {
  const versions: Record<string, string> = {
    '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0',
    '@tensorflow/tfjs-backend-wasm': '4.22.0', '@tensorflow/tfjs-backend-webgpu': '4.22.0', webgpu: '0.6.2',
  };
  if ((s.gpuPackage ?? 'absent') !== 'absent') versions['@tensorflow/tfjs-node-gpu'] = '4.22.0';
  return {
    packageInfo: (name) => (versions[name] ? { version: versions[name], dir: `/app/node_modules/${name}` } : undefined),
    nodeBinaries: () => (s.gpuPackage === 'loads'
      ? { bindingPath: '/app/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node', libtensorflowPath: '/app/x/libtensorflow.so.2' }
      : {}),
    loadNodePackage: async () => ({
      loaded: s.gpuPackage === 'loads',
      error: s.gpuPackage === 'no-addon' ? ADDON_MISSING : undefined,
      opValues: s.gpuPackage === 'loads' ? [19, 22, 43, 50] : undefined,
      opMs: 12,
      stderr: '',
      ...s.child,
    }),
    ldconfig: () => s.ldconfig ?? LDCONFIG_CUDA13,
    listDir: () => [],
    nvidiaSmi: () => s.smi ?? { found: false },
    probeWebGPU: async () => s.webgpu ?? NO_ADAPTER,
    gpuDeviceNodes: () => s.gpuDeviceNodes ?? [],
    checkBackend: async (name): Promise<BackendCheckFact> => ({ backend: name, ok: true, summary: `backend ${name}` }),
    env: s.env ?? {},
  };
}

async function doctor(s: Scenario, opts: Parameters<typeof diagnose>[1] = {}): Promise<DoctorReport> {
  return diagnose(await collectFacts(fakeProbes(s)), opts);
}

function section(r: DoctorReport, startsWith: string): Finding[] {
  const found = r.sections.find((x) => x.title.startsWith(startsWith));
  if (!found) throw new Error(`expected a section '${startsWith}', got ${r.sections.map((x) => x.title).join(', ')}`);
  return found.findings;
}

function finding(findings: Finding[], titlePart: string): Finding {
  const f = findings.find((x) => x.title.includes(titlePart));
  if (!f) throw new Error(`expected a finding containing '${titlePart}', got:\n${findings.map((x) => x.title).join('\n')}`);
  return f;
}

describe('doctor: CUDA through tfjs-node-gpu', () => {
  const working: Scenario = {
    gpuPackage: 'loads',
    child: { isUsingGpuDevice: true, stderr: TF_LOG_GPU },
    ldconfig: LDCONFIG_CUDA11,
    smi: { found: true, stdout: H100_SMI },
  };

  it('everything in place: tensorflow with CUDA is the auto choice; Hopper gets the JIT cache advice', async () => {
    const r = await doctor(working, { requireGpu: true });
    expect(r.auto.choice).toBe('tensorflow-gpu');
    expect(r.exitCode).toBe(0);
    const cuda = section(r, 'GPU: CUDA');
    expect(cuda.filter((f) => f.level === 'fail')).toEqual([]);
    expect(finding(cuda, 'libcudart.so.11.0 found').detail).toBe('/usr/local/cuda-11.2/lib64/libcudart.so.11.0');
    expect(finding(cuda, 'nvidia-smi: NVIDIA H100').level).toBe('ok');
    expect(finding(cuda, 'TensorFlow registered the GPU: NVIDIA H100 80GB HBM3 (compute capability 9.0)').level).toBe('ok');
    const hopper = finding(cuda, 'first run JIT-compiles PTX');
    expect(hopper.level).toBe('warn');
    expect(hopper.fix).toContain('CUDA_CACHE_MAXSIZE=4294967296');
  });

  it('a raised CUDA_CACHE_MAXSIZE turns the Hopper warning into a note', async () => {
    const r = await doctor({ ...working, env: { CUDA_CACHE_MAXSIZE: '4294967296' } });
    expect(finding(section(r, 'GPU: CUDA'), 'first run JIT-compiles PTX').level).toBe('info');
  });

  it('CUDA 11.2 / cuDNN 8.1 missing: says TensorFlow silently runs on the CPU, which libraries, and the fix', async () => {
    const r = await doctor({
      gpuPackage: 'loads',
      child: { isUsingGpuDevice: false, stderr: TF_LOG_NO_CUDART },
      ldconfig: LDCONFIG_CUDA13,
      smi: { found: true, stdout: H100_SMI },
    }, { requireGpu: true });
    const cuda = section(r, 'GPU: CUDA');
    const cudart = finding(cuda, 'libcudart.so.11.0 not found');
    expect(cudart.level).toBe('fail');
    expect(cudart.title).toContain('found other versions: libcudart.so.13');
    expect(cudart.fix).toContain('CUDA 11.2');
    expect(cudart.fix).toContain('cuDNN 8.1');
    expect(finding(cuda, 'libcudnn.so.8 not found').level).toBe('fail');
    const tfGpu = finding(cuda, 'TensorFlow registered no GPU');
    expect(tfGpu.level).toBe('fail');
    expect(tfGpu.detail).toContain('could not load libcudart.so.11.0, libcudnn.so.8');
    expect(r.auto.choice).toBe('tensorflow-cpu');
    expect(r.auto.verdicts[0]).toEqual({ candidate: 'tensorflow-gpu', ok: false, reason: 'TensorFlow registered no CUDA device' });
    expect(r.exitCode).toBe(1); // --gpu: no GPU backend works
  });

  it('no NVIDIA driver: nvidia-smi missing is a failure with the driver fix', async () => {
    const r = await doctor({
      gpuPackage: 'loads',
      child: { isUsingGpuDevice: false, stderr: TF_LOG_NO_DRIVER },
      ldconfig: LDCONFIG_CUDA11,
      smi: { found: false },
    });
    const cuda = section(r, 'GPU: CUDA');
    const smi = finding(cuda, 'nvidia-smi not found');
    expect(smi.level).toBe('fail');
    expect(smi.fix).toContain('NVIDIA driver');
    const tfGpu = finding(cuda, 'TensorFlow registered no GPU');
    expect(tfGpu.detail).toContain('cuInit failed: UNKNOWN');
    expect(tfGpu.detail).toContain('no GPU visible to the driver');
    expect(r.exitCode).toBe(0); // nothing was required: auto still has a working backend
  });

  it('installed but the addon was never downloaded: names the mirror variables', async () => {
    const r = await doctor({ gpuPackage: 'no-addon', smi: { found: true, stdout: H100_SMI } }, { requested: 'tensorflow' });
    const pkg = finding(section(r, 'GPU: CUDA'), 'native addon is missing');
    expect(pkg.level).toBe('fail');
    expect(pkg.fix).toContain('TFJS_NODE_CDN_STORAGE');
    expect(pkg.fix).toContain('npm_config_tfjs_binding_binary_host_mirror');
    expect(pkg.fix).toContain('custom-binary.json');
    expect(r.auto.verdicts[0].reason).toContain('tfjs-node-gpu does not load: Error: The Node.js native addon module');
    expect(r.requestedOk).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('not installed (this machine): informational, exit 0, and --backend tensorflow exits 1', async () => {
    const r = await doctor({});
    expect(r.auto.choice).toBe('wasm');
    expect(r.exitCode).toBe(0);
    expect(finding(section(r, 'GPU: CUDA'), 'tfjs-node-gpu is not installed').level).toBe('info');
    expect((await doctor({}, { requested: 'tensorflow' })).exitCode).toBe(1);
    expect((await doctor({}, { requested: 'wasm' })).exitCode).toBe(0);
  });
});

describe('doctor: WebGPU', () => {
  const lavapipe: WebGPUProbe = {
    available: true,
    vulkanLoader: true,
    vulkanLoaderPath: '/lib/x86_64-linux-gnu/libvulkan.so.1',
    vulkanDrivers: ['/usr/share/vulkan/icd.d/lvp_icd.json'],
    adapter: {
      vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe (LLVM 15.0.6)',
      isSoftware: true, isFallbackAdapter: false, featureLevel: 'core', dawnBackend: 'vulkan',
    },
    mesaVersion: '25.0.7',
  };

  it('a software adapter works by name but is not auto-selected; Mesa version shown', async () => {
    const r = await doctor({ webgpu: lavapipe }, { requested: 'webgpu' });
    expect(r.exitCode).toBe(0);
    expect(r.auto.choice).toBe('wasm');
    const adapter = finding(section(r, 'GPU: WebGPU'), 'adapter: llvmpipe');
    expect(adapter.title).toContain('software (Mesa 25.0.7)');
    expect(adapter.detail).toContain('only with --backend webgpu');
  });

  it('a hardware adapter is the auto choice when CUDA is absent', async () => {
    const hw: WebGPUProbe = { ...lavapipe, mesaVersion: undefined, adapter: { ...lavapipe.adapter!, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', isSoftware: false } };
    const r = await doctor({ webgpu: hw }, { requireGpu: true });
    expect(r.auto.choice).toBe('webgpu');
    expect(r.exitCode).toBe(0);
  });

  it('says which GPU device nodes exist, or that without one auto-selection never loads Dawn', async () => {
    const none = section(await doctor({}), 'GPU: WebGPU');
    if (process.platform === 'linux') {
      expect(finding(none, 'no GPU device node').detail).toBe('so auto-selection skips webgpu without loading Dawn');
    }
    const nodes = section(await doctor({ gpuDeviceNodes: ['/dev/dri/renderD128', '/dev/nvidia0'] }), 'GPU: WebGPU');
    expect(finding(nodes, 'GPU device nodes: /dev/dri/renderD128, /dev/nvidia0').level).toBe('info');
  });

  it('no adapter: the backports fix, and --backend webgpu exits 1', async () => {
    const r = await doctor({}, { requested: 'webgpu' });
    const none = finding(section(r, 'GPU: WebGPU'), 'no WebGPU adapter');
    expect(none.fix).toContain('apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1');
    expect(finding(section(r, 'GPU: WebGPU'), 'Vulkan loader (libvulkan.so.1) not found').fix).toContain('libvulkan1');
    expect(r.exitCode).toBe(1);
  });
});

describe('doctor: parsers and output', () => {
  it('finds a library through LD_LIBRARY_PATH too', () => {
    const lib = findLibrary('libcudnn.so.8', '', '/opt/cudnn/lib:/nowhere', (d) => (d === '/opt/cudnn/lib' ? ['libcudnn.so.8', 'libcudnn.so.9'] : []));
    expect(lib.paths).toEqual(['/opt/cudnn/lib/libcudnn.so.8']);
    expect(lib.otherVersions).toEqual(['libcudnn.so.9']);
  });

  it('reads nvidia-smi CSV and TensorFlow\'s log', () => {
    expect(parseNvidiaSmi(H100_SMI)).toEqual([{ name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', computeCap: '9.0', memory: '81559 MiB' }]);
    const log = parseTfLog(TF_LOG_GPU);
    expect(log.gpuDevices).toEqual([{ name: 'NVIDIA H100 80GB HBM3', computeCap: '9.0', memoryMB: 78911 }]);
    expect(log.ptxJitComputeCap).toBe('9.0');
    expect(parseTfLog(TF_LOG_NO_CUDART).skippedGpuRegistration).toBe(true);
  });

  it('prints every fix under its finding and the exit code last', async () => {
    const text = formatReport(await doctor({ gpuPackage: 'no-addon' }, { requested: 'tensorflow' }));
    expect(text).toMatch(/FAIL {2}@tensorflow\/tfjs-node-gpu 4\.22\.0 is installed but its native addon is missing[^\n]*\n(\s{8}.*\n)*\s{8}fix: /);
    expect(text.trim().split('\n').pop()).toBe('exit code 1');
  });
});
