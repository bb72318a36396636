/**
 * Helpers of the drop-in layer tests (test/layers_*.test.ts): each cell's layer of ours and the
 * stock tf.layers layer with the same args, seeded weights copied from one to the other, and the
 * largest relative error over two models' weights.
 */
import * as tf from '@tensorflow/tfjs';
import { GRULayerArgs, LSTMLayerArgs, SimpleRNNLayerArgs } from '../src/layers/layer_args';
import { gru } from '../src/layers/gru_layer';
import { lstm } from '../src/layers/lstm_layer';
import { simpleRNN } from '../src/layers/simple_rnn_layer';
import { relErr, seededTensor, useBackend } from './helpers';

export type CellKind = 'simpleRNN' | 'lstm' | 'gru';
export const CELL_KINDS: readonly CellKind[] = ['simpleRNN', 'lstm', 'gru'];

type AnyArgs = SimpleRNNLayerArgs & LSTMLayerArgs & GRULayerArgs;
type StockArgs = Parameters<typeof tf.layers.lstm>[0];

/** Our layer of `kind`. */
export function ourLayer(kind: CellKind, args: AnyArgs): tf.layers.Layer {
  if (kind === 'simpleRNN') {
    const { recurrentActivation: _r, resetAfter: _a, unitForgetBias: _u, ...rest } = args;
    return simpleRNN(rest);
  }
  if (kind === 'lstm') {
    const { resetAfter: _a, ...rest } = args;
    return lstm(rest);
  }
  const { unitForgetBias: _u, ...rest } = args;
  return gru(rest);
}

/** The stock tf.layers layer of `kind` with the same args. */
export function stockLayer(kind: CellKind, args: AnyArgs): tf.layers.Layer {
  if (kind === 'simpleRNN') {
    const { recurrentActivation: _r, resetAfter: _a, unitForgetBias: _u, ...rest } = args;
    return tf.layers.simpleRNN(rest as StockArgs);
  }
  if (kind === 'lstm') {
    const { resetAfter: _a, ...rest } = args;
    return tf.layers.lstm(rest as StockArgs);
  }
  const { unitForgetBias: _u, ...rest } = args;
  return tf.layers.gru(rest as StockArgs);
}

/** Replaces every weight of `model` by seeded uniform values in [−scale, scale] (seed, seed + 1, …). */
export function seedWeights(model: tf.LayersModel, seed: number, scale = 0.5): void {
  // tf.layers' getWeights() returns the variables themselves: read, never dispose.
  const values = model.getWeights().map((w, i) => seededTensor(w.shape, seed + i, -scale, scale));
  model.setWeights(values);
  tf.dispose(values);
}

/** Copies every weight of `from` into `to` (same architecture). */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  to.setWeights(from.getWeights());
}

/** The largest relErr over the weights of two models of the same architecture. */
export async function weightsRelErr(a: tf.LayersModel, b: tf.LayersModel): Promise<number> {
  const wa = a.getWeights();
  const wb = b.getWeights();
  expect(wa.map((w) => w.shape)).toEqual(wb.map((w) => w.shape));
  let worst = 0;
  for (let i = 0; i < wa.length; i++) worst = Math.max(worst, relErr(await wa[i].data(), await wb[i].data()));
  return worst;
}

/** relErr of two outputs (tensors or lists of tensors) of the same shapes. */
export async function outputsRelErr(a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[]): Promise<number> {
  const la = Array.isArray(a) ? a : [a];
  const lb = Array.isArray(b) ? b : [b];
  expect(la.map((t) => t.shape)).toEqual(lb.map((t) => t.shape));
  let worst = 0;
  for (let i = 0; i < la.length; i++) worst = Math.max(worst, relErr(await la[i].data(), await lb[i].data()));
  return worst;
}

/**
 * Runs fn with the stock layers' backend for a comparison on `backend`: cpu when that is webgpu,
 * where tf.layers' own masked loop cannot run (its rnn() transposes the bool mask, a program
 * tfjs-webgpu fails to compile); else `backend` itself.
 */
export async function onStockBackend<R>(backend: string, masked: boolean, fn: () => Promise<R>): Promise<R> {
  if (!(masked && backend === 'webgpu')) return fn();
  await useBackend('cpu');
  try {
    return await fn();
  } finally {
    await useBackend(backend);
  }
}

/** A model's weights read back, to be set on a model made on another backend. */
export async function weightValues(model: tf.LayersModel): Promise<Array<{ shape: number[]; values: Float32Array }>> {
  return Promise.all(model.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })));
}

export function setWeightValues(model: tf.LayersModel, weights: Array<{ shape: number[]; values: Float32Array }>): void {
  const ts = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(ts);
  tf.dispose(ts);
}
