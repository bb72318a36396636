/**
 * When Dawn gives no adapter, the reason names each cause it can see and the fix for it
 * (explainNoAdapter is pure: these are the machines we cannot reproduce here, as fakes).
 */
import { explainNoAdapter, NoAdapterFacts } from '../src/platform/webgpu/environment';

const healthy: NoAdapterFacts = {
  tried: ['vulkan: no adapter', 'opengles: no adapter'],
  vulkanLoaderPath: '/lib/x86_64-linux-gnu/libvulkan.so.1',
  vulkanDrivers: ['/usr/share/vulkan/icd.d/lvp_icd.json'],
  mesaVersion: '25.0.7-2~bpo12+1',
  driverOverrides: {},
  nvidiaGpuPresent: false,
};

test('always says what was tried and how to check the driver', () => {
  const reason = explainNoAdapter(healthy);
  expect(reason).toMatch(/tried: vulkan: no adapter; opengles: no adapter/);
  expect(reason).toMatch(/vulkaninfo --summary/);
  expect(reason).not.toMatch(/libvulkan1|bookworm-backports|NVIDIA/);
});

test('no Vulkan loader: install libvulkan1', () => {
  expect(explainNoAdapter({ ...healthy, vulkanLoaderPath: undefined })).toMatch(/libvulkan\.so\.1 .*not found.*apt-get install libvulkan1/);
});

test('no driver manifest: install a Vulkan driver', () => {
  expect(explainNoAdapter({ ...healthy, vulkanDrivers: [] })).toMatch(/No Vulkan driver manifest.*mesa-vulkan-drivers/);
});

test('Debian 12’s own Mesa 22: lavapipe from bookworm-backports', () => {
  const reason = explainNoAdapter({ ...healthy, mesaVersion: '22.3.6-1+deb12u1' });
  expect(reason).toMatch(/Mesa 22\.3\.6-1\+deb12u1 is installed: Dawn rejects its lavapipe/);
  expect(reason).toMatch(/apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1/);
});

test('an NVIDIA GPU without its Vulkan driver: the container capability or the ICD package', () => {
  const reason = explainNoAdapter({ ...healthy, nvidiaGpuPresent: true });
  expect(reason).toMatch(/NVIDIA GPU is present but no NVIDIA Vulkan driver manifest/);
  expect(reason).toMatch(/NVIDIA_DRIVER_CAPABILITIES=all/);
  const withIcd = { ...healthy, nvidiaGpuPresent: true, vulkanDrivers: ['/usr/share/vulkan/icd.d/nvidia_icd.json'] };
  expect(explainNoAdapter(withIcd)).not.toMatch(/NVIDIA GPU is present/);
});

test('a driver override that hides the installed drivers is named', () => {
  expect(explainNoAdapter({ ...healthy, driverOverrides: { VK_ICD_FILENAMES: '/x.json' } })).toMatch(/VK_ICD_FILENAMES=\/x\.json restricts/);
});
