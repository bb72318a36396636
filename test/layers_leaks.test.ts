/**
 * Drop-in layers: no tensor leaks across 100 fit() batches, for each layer (GRU resetAfter: true,
 * a masked model and a stateful one included), nor across predict, save/load and truncated BPTT.
 */
import * as tf from '@tensorflow/tfjs';
import { gru } from '../src/layers/gru_layer';
import { loadLayersModel } from '../src/layers/load_layers_model';
import { fitTruncatedBPTT } from '../src/layers/truncated_bptt';
import { backendsUnderTest, expectNoLeak, seededTensor, useBackend } from './helpers';
import { CELL_KINDS, ourLayer } from './layers_helpers';

const [T, D, H, BATCH] = [4, 2, 3, 2];
const BATCHES = 100;

/** fit once (the optimizer makes its variables), then 100 batches must leave the count as it was. */
async function expectFitNoLeak(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<void> {
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const [x1, y1] = [tf.slice(x, 0, BATCH), tf.slice(y, 0, BATCH)];
  await model.fit(x1, y1, { epochs: 1, batchSize: BATCH, verbose: 0 });
  tf.dispose([x1, y1]);
  await expectNoLeak(async () => {
    const history = await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    expect(history.history.loss).toHaveLength(1);
  });
}

describe.each(backendsUnderTest())('drop-in layers: no leaks (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const x = () => seededTensor([BATCH * BATCHES, T, D], 51);
  const y = () => seededTensor([BATCH * BATCHES, 1], 52);

  it.each([...CELL_KINDS, 'gru resetAfter'])('%s: 100 fit batches', async (kind) => {
    const layer = kind === 'gru resetAfter' ? gru({ units: H, inputShape: [T, D], resetAfter: true }) : ourLayer(kind as (typeof CELL_KINDS)[number], { units: H, inputShape: [T, D] });
    const model = tf.sequential({ layers: [layer, tf.layers.dense({ units: 1 })] });
    const [xs, ys] = [x(), y()];
    await expectFitNoLeak(model, xs, ys);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('masked, stacked and bidirectional: 100 fit batches, predict, save and load', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [T, D] }),
        tf.layers.bidirectional({ layer: ourLayer('lstm', { units: H, returnSequences: true }) as tf.RNN }),
        ourLayer('gru', { units: H }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const [xs, ys] = [x(), y()];
    await expectFitNoLeak(model, xs, ys);
    await expectNoLeak(async () => {
      const p = model.predict(xs) as tf.Tensor;
      p.dispose();
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
    const before = tf.memory().numTensors;
    const loaded = await loadLayersModel({ load: async () => saved as tf.io.ModelArtifacts });
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('stateful: 100 chunks of truncated BPTT; dispose() frees the held states too', async () => {
    const start = tf.memory().numTensors;
    const model = tf.sequential({ layers: [ourLayer('lstm', { units: H, stateful: true, returnSequences: true, batchInputShape: [BATCH, T, D] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const xs = seededTensor([BATCH, T * BATCHES, D], 53);
    const ys = seededTensor([BATCH, T * BATCHES, 1], 54);
    const [x1, y1] = [tf.slice(xs, [0, 0, 0], [BATCH, T, D]), tf.slice(ys, [0, 0, 0], [BATCH, T, 1])];
    await fitTruncatedBPTT(model, x1, y1, { chunkLength: T }); // the optimizer makes its variables
    tf.dispose([x1, y1]);
    await expectNoLeak(async () => {
      const losses = await fitTruncatedBPTT(model, xs, ys, { chunkLength: T });
      expect(losses).toHaveLength(BATCHES);
    });
    tf.dispose([xs, ys]);
    model.optimizer.dispose(); // a model does not dispose an optimizer it was given
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
