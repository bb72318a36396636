/** The machine a run measured on, recorded in every report. */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { MachineInfo } from './types';

/** The 1, 5 and 15 minute load averages, two decimals. */
export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    loadAvgStart: loadAverage(),
  };
}
