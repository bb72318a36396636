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
        fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weightData));
        const modelJSON = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: 'tfjs-rnn',
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJSON));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  } finally {
    seq.dispose();
  }
}

/** Loads dir/model.json (+ its weight files) with tf.loadLayersModel. */
export async function loadExportedModel(dir: string): Promise<tf.LayersModel> {
  const handler: tf.io.IOHandler = {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(new Uint8Array(fs.readFileSync(path.join(dir, p))).buffer);
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
      };
    },
  };
  return tf.loadLayersModel(handler);
}
