/** A kernel a backend lacks, as an error that names the kernel and the backend. */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../text';

/** "Kernel 'X' not registered for backend 'Y'", with the kernel and backend as fields. */
export class MissingKernelError extends Error {
  readonly kernel: string;
  readonly backend: string;
  constructor(kernel: string, backend: string, cause?: unknown) {
    super(
      `Kernel '${kernel}' not registered for backend '${backend}': tfjs ${tf.version.tfjs} has no ` +
        `'${backend}' implementation of ${kernel}. Expected every op of this path to exist on ` +
        `'${backend}'; run it with --backend cpu (every kernel exists there), or avoid the op.`,
    );
    this.name = 'MissingKernelError';
    this.kernel = kernel;
    this.backend = backend;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

const KERNEL_NOT_REGISTERED = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/** The MissingKernelError an error stands for, or null when it is about something else. */
export function asMissingKernelError(e: unknown): MissingKernelError | null {
  if (e instanceof MissingKernelError) return e;
  const m = KERNEL_NOT_REGISTERED.exec(errorMessage(e));
  return m ? new MissingKernelError(m[1], m[2], e) : null;
}

/** Runs fn; a missing-kernel error comes out as a MissingKernelError, anything else unchanged. */
export async function withKernelCheck<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asMissingKernelError(e) ?? e;
  }
}

/** The kernels of `kernelNames` that `backend` (default: the active one) does not register. */
export function missingKernels(kernelNames: readonly string[], backend: string = tf.getBackend()): string[] {
  return kernelNames.filter((k) => tf.getKernel(k, backend) === undefined);
}
