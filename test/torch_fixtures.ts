/**
 * The PyTorch fixtures, test/fixtures/torch_lstm.json and torch_gru.json: float64 forward values
 * and gradients of nn.LSTM and nn.GRU, written by scripts/make_torch_fixtures.py (the command and
 * torch version are in each file). Their shape, and reading them.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A number or a nested array of numbers, as numpy's tolist() writes a tensor. */
export type Nested = number | Nested[];

export interface TorchCase {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  bias: boolean;
  /** By state_dict name: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0. */
  weights: Record<string, Nested>;
  input: Nested;
  h0: Nested | null;
  c0?: Nested | null;
  upstream: Record<string, Nested>;
  loss: number;
  forward: Record<string, Nested>;
  gradients: Record<string, Nested>;
}

export interface TorchFixture {
  command: string;
  torch: string;
  /** Every weight is a multiple of this, so that float32 holds it exactly. */
  weightGrid: number;
  cases: TorchCase[];
}

export function loadTorchFixture(name: string): TorchFixture {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as TorchFixture;
}

/** The entries of a nested array in row-major order (a number gives itself). */
export function flatten(v: Nested): number[] {
  return Array.isArray(v) ? (v.flat(Infinity as 1) as number[]) : [v];
}
