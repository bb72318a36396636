/**
 * `file://` in plain Node (src/io/file_router.ts, model_files.ts) and saving under stock class
 * names (src/layers/stock_names.ts): importing the package is all it takes for model.save('file://dir')
 * and tf.loadLayersModel('file://dir/model.json') to round-trip a model of our layers; a model saved
 * for stock loads as stock layers that predict the same; a crafted folder is refused by the checked
 * reader; another `file://` router, registered after ours, takes over without a clash.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { layers, saveForStock } from '../src';
import { stockLoadable, stockUnloadable, toStockArtifacts } from '../src/layers/stock_names';
import { RecurrentLayer } from '../src/layers/recurrent_layer';
import { expectNoLeak, relErr, seededTensor, useBackend } from './helpers';
import { seedWeights, weightsRelErr } from './layers_helpers';

const [B, T, D, H] = [3, 5, 4, 6];
let tmp: string;

beforeAll(async () => {
  await useBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-file-io-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** SimpleRNN → Bidirectional(LSTM) → GRU (resetAfter as given) → Dense, seeded, compiled. */
function model(resetAfter: boolean): tf.Sequential {
  const m = tf.sequential({
    layers: [
      layers.simpleRNN({ units: H, inputShape: [T, D], returnSequences: true }),
      tf.layers.bidirectional({ layer: layers.lstm({ units: H, returnSequences: true }) as unknown as tf.RNN }),
      layers.gru({ units: H, resetAfter, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  seedWeights(m, 7);
  return m;
}

async function predictionsRelErr(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const [pa, pb] = [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
  const err = relErr(await pa.data(), await pb.data());
  tf.dispose([pa, pb]);
  return err;
}

const recurrentClasses = (m: tf.LayersModel): string[] =>
  m.layers.flatMap((l) => (l instanceof tf.layers.Layer && l.getClassName() === 'Bidirectional' ? [(l as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer] : [l])).map((l) => l.getClassName());

test("model.save('file://dir') and tf.loadLayersModel('file://dir/model.json') round-trip our layers", async () => {
  const x = seededTensor([B, T, D], 1);
  await expectNoLeak(async () => {
    const ours = model(true);
    const dir = path.join(tmp, 'ours');
    const result = await ours.save(`file://${dir}`);
    expect(result.modelArtifactsInfo.weightDataBytes).toBeGreaterThan(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']); // no temporary file left
    for (const from of [`file://${dir}/model.json`, `file://${dir}`]) {
      const back = await tf.loadLayersModel(from);
      expect(recurrentClasses(back)).toEqual(['TfjsRnnSimpleRNN', 'TfjsRnnLSTM', 'TfjsRnnGRU', 'Dense']);
      expect(await weightsRelErr(ours, back)).toBe(0);
      expect(await predictionsRelErr(ours, back, x)).toBe(0);
      back.dispose();
    }
    ours.dispose();
  });
  x.dispose();
});

test('saving over a saved model replaces it whole; a file in the way is refused', async () => {
  const dir = path.join(tmp, 'twice');
  const [first, second] = [model(false), model(false)];
  seedWeights(second, 99);
  await first.save(`file://${dir}`);
  await second.save(`file://${dir}`);
  const back = await tf.loadLayersModel(`file://${dir}/model.json`);
  expect(await weightsRelErr(second, back)).toBe(0);
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, 'x');
  await expect(first.save(`file://${file}`)).rejects.toThrow(`expected ${file} to be a directory to save into, got a file`);
  await expect(tf.loadLayersModel(`file://${tmp}/missing/model.json`)).rejects.toThrow(`expected a path to model.json or to its directory, got file://${tmp}/missing/model.json, which does not exist`);
  for (const m of [first, second, back]) m.dispose();
});

test('saveForStock writes stock class names: stock tf.layers load it and predict the same', async () => {
  const x = seededTensor([B, T, D], 2);
  const ours = model(false);
  const dir = path.join(tmp, 'stock');
  await saveForStock(ours, `file://${dir}`);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: unknown };
  expect(JSON.stringify(json.modelTopology)).not.toMatch(/"class_name":"TfjsRnn/);
  expect(stockUnloadable(json.modelTopology)).toEqual([]);
  const stock = await tf.loadLayersModel(`file://${dir}/model.json`);
  expect(recurrentClasses(stock)).toEqual(['SimpleRNN', 'LSTM', 'GRU', 'Dense']);
  expect(stock.layers.some((l) => l instanceof RecurrentLayer)).toBe(false);
  expect(await weightsRelErr(ours, stock)).toBe(0);
  expect(await predictionsRelErr(stock, ours, x)).toBeLessThanOrEqual(1e-5);
  tf.dispose([x]);
  ours.dispose();
  stock.dispose();
});

test("a GRU with resetAfter: true is written in Keras's form, which only tfjs-rnn's loadLayersModel reads", async () => {
  const x = seededTensor([B, T, D], 3);
  const ours = model(true);
  const dir = path.join(tmp, 'keras-gru');
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveForStock(ours, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
  const topology = (artifacts as tf.io.ModelArtifacts).modelTopology;
  expect(stockLoadable(topology)).toBe(false);
  expect(stockUnloadable(topology)).toHaveLength(1);
  expect(stockUnloadable(topology)[0]).toMatch(/^gru\w*: a GRU with reset_after true$/);
  await saveForStock(ours, `file://${dir}`);
  await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(/GRUCell does not support reset_after parameter set to true/);
  const back = await layers.loadLayersModel(`file://${dir}/model.json`);
  expect(await predictionsRelErr(ours, back, x)).toBe(0);
  expect(() => toStockArtifacts({ modelTopology: new ArrayBuffer(4) })).toThrow("expected a layers model's artifacts (a modelTopology object), got a graph model");
  tf.dispose([x]);
  ours.dispose();
  back.dispose();
});

test('crafted folders are refused through file:// as through the checked reader', async () => {
  const ours = model(false);
  const dir = path.join(tmp, 'crafted');
  await ours.save(`file://${dir}`);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  const outside = path.join(tmp, 'outside.bin');
  fs.copyFileSync(path.join(dir, 'weights.bin'), outside);
  json.weightsManifest[0].paths = ['../outside.bin'];
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow("it leaves the directory through '..'");
  json.weightsManifest[0].paths = ['weights.bin'];
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.appendFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(4));
  await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(/expected weights\.bin to hold \d+ bytes \(as .*declares\), got \d+/);
  ours.dispose();
});

test("another file:// router (tfjs-node's, a user's) takes over from ours, without a clash", async () => {
  const saved: string[] = [];
  tf.io.registerSaveRouter(((url: string | string[]) =>
    typeof url === 'string' && url.startsWith('file://') ? tf.io.withSaveHandler(async (a) => (saved.push(url), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })) : null) as Parameters<typeof tf.io.registerSaveRouter>[0]);
  expect(tf.io.getSaveHandlers('file://anywhere')).toHaveLength(1);
  const ours = model(false);
  const dir = path.join(tmp, 'taken-over');
  await ours.save(`file://${dir}`);
  expect(saved).toEqual([`file://${dir}`]);
  expect(fs.existsSync(dir)).toBe(false);
  expect(tf.io.getLoadHandlers(`file://${dir}/model.json`)).toHaveLength(1); // loading is still ours
  ours.dispose();
});
