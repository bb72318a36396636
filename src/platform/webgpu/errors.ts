/**
 * WebGPU validation errors are errors, not noise. Dawn reports them through the device's
 * `uncapturederror` event; we collect them and throw at the next sync point (`await t.data()`,
 * the next GPU kernel, or `assertNoWebGPUErrors()`). `findDawnErrors` recognises what Dawn prints
 * (on stdout) for devices we did not create (a child process, a CI log).
 */
import { errorMessage } from '../text';
import { TIMEOUT_MS, withTimeout } from './dawn';
import type { GpuDeviceLike } from './types';

const pendingErrors: string[] = [];
let activeDevice: GpuDeviceLike | undefined;
let exitHookInstalled = false;

function recordError(message: string): void {
  pendingErrors.push(message);
}

/** Collects the device's errors from now on and makes it the one assertNoWebGPUErrors waits for. */
export function watchDevice(device: GpuDeviceLike): void {
  device.addEventListener('uncapturederror', (ev) => {
    // preventDefault stops Dawn printing it to stderr: it is ours to report now.
    ev.preventDefault?.();
    const kind = ev.error?.constructor?.name ?? 'GPUError';
    recordError(`${kind}: ${ev.error?.message ?? String(ev.error)}`);
  });
  device.lost.then(
    (info) => {
      if (info?.reason !== 'destroyed') recordError(`GPU device lost (${info?.reason ?? 'unknown'}): ${info?.message ?? ''}`);
    },
    () => undefined,
  );
  activeDevice = device;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Errors nobody collected must not vanish with the process.
    process.on('exit', () => {
      if (pendingErrors.length > 0) {
        process.stderr.write(`tfjs-rnn: ${pendingErrors.length} unreported WebGPU error(s):\n${pendingErrors.join('\n')}\n`);
      }
    });
  }
}

/** The device is going away: nothing more to wait for on it. */
export function releaseDevice(device: GpuDeviceLike): void {
  if (activeDevice === device) activeDevice = undefined;
}

export function throwIfErrors(where: string): void {
  if (pendingErrors.length === 0) return;
  const errors = pendingErrors.splice(0, pendingErrors.length);
  const first = errors[0].split('\n').slice(0, 4).join('\n');
  throw new Error(
    `WebGPU reported ${errors.length} error(s) (found at ${where}); expected none. ` +
      `Results computed since the previous check are not to be trusted.\nFirst: ${first}` +
      (errors.length > 1 ? `\n(+${errors.length - 1} more)` : ''),
  );
}

/**
 * Waits for the GPU queue to drain and the error events to be delivered, then throws if any
 * WebGPU error was reported since the last check. Call it at the end of a test or a script.
 */
export async function assertNoWebGPUErrors(): Promise<void> {
  if (activeDevice) {
    try {
      await withTimeout(activeDevice.queue.onSubmittedWorkDone(), TIMEOUT_MS, 'onSubmittedWorkDone');
    } catch (e) {
      recordError(errorMessage(e));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throwIfErrors('assertNoWebGPUErrors');
}

/** Errors collected so far (not cleared). For reports; tests should assert with assertNoWebGPUErrors. */
export function webgpuErrors(): string[] {
  return pendingErrors.slice();
}

/**
 * Creates a deliberately invalid GPU buffer on the active device (for tests of the error path:
 * a validation error must surface as an exception, not as noise).
 */
export function triggerValidationErrorForTest(): void {
  if (!activeDevice) throw new Error('expected an active webgpu device, got none (call registerWebGPUBackend first)');
  activeDevice.createBuffer({ size: 4, usage: 0xffffffff }); // no such usage bits: a validation error
}

/**
 * Dawn's validation messages as dawn.node prints them when no `uncapturederror` listener took
 * them: a "validation:" line then the message, written natively to STDOUT (its adapter warnings go
 * to stderr), so neither process.stdout nor console hooks see them. For scanning the output of a
 * child process or a CI log (pass stdout and stderr together). Returns the first line of each.
 */
export function findDawnErrors(output: string): string[] {
  const out: string[] = [];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^(validation|out of memory|internal|unknown):\s*$/i.test(line.trim())) {
      out.push(`${line.trim()} ${lines[i + 1]?.trim() ?? ''}`.trim());
    } else if (/Uncaptured (WebGPU )?error|GPUValidationError|Device was lost|device lost/i.test(line)) {
      out.push(line.trim());
    }
  }
  return out;
}
