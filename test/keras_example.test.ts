/** examples/keras_files.ts runs: loads a real Keras 3 file, trains it in Node, writes a .keras that reads back the same. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../examples/keras_files';

test('examples/keras_files.ts: load, fit, saveKerasModel, load again gives the trained predictions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-example-'));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const { before, after, reloaded } = await main(undefined, path.join(dir, 'out.keras'));
    expect(after).not.toEqual(before); // fit changed the weights
    expect(reloaded).toEqual(after); // the written file holds exactly the trained model
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/loaded .*bilstm_model\.keras in \d+ ms: InputLayer → Bidirectional → Dropout → Dense → Dense/);
  } finally {
    log.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
