/**
 * `file://` for plain Node: tf.io save and load routers, so that with @tensorflow/tfjs alone
 * `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` work, through
 * model_files.ts (atomic writes; the checked reader).
 *
 * Another `file://` router wins. tfjs-node registers its own, and a user may too; tf.io refuses a
 * URL that two routers answer ("Found more than one ... handlers"), whatever the import order.
 * So ours are registered once per tfjs-rnn module, and each, asked about a URL, first asks tf.io
 * whether any other router answers it (our routers return nothing during that question), and
 * answers only when none does. With tfjs-node imported, before or after tfjs-rnn, files go through
 * tfjs-node's handler exactly as without tfjs-rnn.
 */
import * as tf from '@tensorflow/tfjs';
import { fileSystem } from './model_files';

/** tf.io's router type, whose declared return leaves out the null every router returns for a URL it does not take. */
type IORouter = Parameters<typeof tf.io.registerSaveRouter>[0];

let asking = false;
let registered = false;

function router(others: (url: string) => tf.io.IOHandler[]): IORouter {
  const route = (url: string | string[]): tf.io.IOHandler | null => {
    if (asking || typeof url !== 'string' || !url.startsWith('file://')) return null;
    asking = true;
    let answered: number;
    try {
      answered = others(url).length;
    } finally {
      asking = false;
    }
    return answered > 0 ? null : fileSystem(url);
  };
  return route as IORouter;
}

/** Registers the `file://` save and load routers (once; importing the package calls it). */
export function registerFileRouters(): void {
  if (registered) return;
  registered = true;
  tf.io.registerSaveRouter(router((url) => tf.io.getSaveHandlers(url)));
  tf.io.registerLoadRouter(router((url) => tf.io.getLoadHandlers(url)));
}
