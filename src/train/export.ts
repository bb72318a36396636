/**
 * Export to the tfjs-layers format: a tf.sequential of tf.layers.embedding (token inputs),
 * tf.layers.simpleRNN and tf.layers.dense with our weights copied in, written as model.json +
 * weights.bin (what `model.save('file://…')` writes with tfjs-node; pure @tensorflow/tfjs has no
 * file IO, so the artifacts come through tf.io.withSaveHandler). `loadExportedModel` reads them
 * back through tf.loadLayersModel.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import writeFileAtomic from 'write-file-atomic';
import { readModelArtifacts } from '../io/tfjs_artifacts';
import type { RnnModel } from './model';

/** The tf.layers model with the same architecture and weights as ours. Caller disposes. */
export function toLayersModel(model: RnnModel): tf.Sequential {
  const spec = model.spec;
  // Our weights replace the initial ones, so skip tf.layers' orthogonal init (slow QR for large H).
  const init = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;
  const seq = tf.sequential();
  if (spec.input.kind === 'tokens') {
    seq.add(tf.layers.embedding({ inputDim: spec.input.vocabSize, outputDim: spec.embeddingDim, inputShape: [null], name: 'embedding' }));
    seq.add(tf.layers.simpleRNN({ units: spec.units, activation: spec.activation, returnSequences: spec.returnSequences, name: 'simple_rnn', ...init }));
  } else {
    seq.add(
      tf.layers.simpleRNN({ units: spec.units, activation: spec.activation, returnSequences: spec.returnSequences, inputShape: [null, spec.input.dim], name: 'simple_rnn', ...init }),
    );
  }
  const outputActivation = spec.objective === 'binary' ? 'sigmoid' : spec.objective === 'categorical' ? 'softmax' : 'linear';
  seq.add(tf.layers.dense({ units: spec.outputDim, activation: outputActivation, name: 'dense' }));
  if (model.embedding !== null) seq.getLayer('embedding').setWeights([model.embedding]);
  seq.getLayer('simple_rnn').setWeights(model.cell.trainableWeights);
  seq.getLayer('dense').setWeights([model.denseKernel, model.denseBias]);
  return seq;
}

/** Writes dir/model.json and dir/weights.bin. */
export async function exportLayersModel(model: RnnModel, dir: string): Promise<void> {
  const seq = toLayersModel(model);
  try {
    fs.mkdirSync(dir, { recursive: true });
    await seq.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
        // weights first, model.json last, each atomically: a model.json on disk has its weights.
        writeFileAtomic.sync(path.join(dir, 'weights.bin'), Buffer.from(weightData), { fsync: true });
        const modelJSON = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: 'tfjs-rnn',
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        writeFileAtomic.sync(path.join(dir, 'model.json'), JSON.stringify(modelJSON), { fsync: true });
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  } finally {
    seq.dispose();
  }
}

/**
 * Loads dir/model.json (+ its weight files) with tf.loadLayersModel, through the checked reader
 * (src/io/tfjs_artifacts.ts): weight paths stay inside dir, no links, sizes as declared.
 */
export async function loadExportedModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = readModelArtifacts(dir);
  return tf.loadLayersModel({ load: async () => artifacts });
}
