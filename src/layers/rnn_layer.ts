/**
 * `layers.rnn({ cell, units, ... })`: tf.layers.rnn's config over a user-defined cell
 * (src/cells/user_cell.ts), run by our driver: masks, goBackwards, returnSequences/returnState,
 * stateful, stacking and tf.layers.bidirectional behave as for the built-in layers. A model saved
 * with it loads where the cell is registered by name (registerCell) before loading.
 */
import * as tf from '@tensorflow/tfjs';
import { describe } from '../cells/checks';
import { CellDefinition, userCellMath } from '../cells/user_cell';
import { DeclaredCell } from './declared_cell';
import { RecurrentLayerArgs, withDefaultName } from './layer_args';
import { RecurrentLayer } from './recurrent_layer';

export interface RNNLayerArgs extends Omit<RecurrentLayerArgs, 'activation' | 'useBias' | 'kernelInitializer' | 'recurrentInitializer' | 'biasInitializer' | 'implementation'> {
  /** The cell: a CellDefinition, or the name of one given to registerCell. */
  cell: CellDefinition | string;
}

/**
 * Cells by name. Keyed without case and underscores: tf.serialization writes a config's strings in
 * snake_case and reads them back in camelCase ('IndRNN' comes back 'indRnn').
 */
const registered = new Map<string, CellDefinition>();
const keyOf = (name: string): string => name.replace(/_/g, '').toLowerCase();

/**
 * Makes a cell known by its name, so that models saved with it load (tf.loadLayersModel, ours) in a
 * process that has not made a layer of it yet. A layer registers its cell itself when it is made.
 */
export function registerCell(cell: CellDefinition): void {
  checkDefinition(cell);
  const known = registered.get(keyOf(cell.name));
  if (known !== undefined && known !== cell) throw new Error(`expected one cell per name, got a second cell named '${cell.name}' (the first: '${known.name}')`);
  registered.set(keyOf(cell.name), cell);
}

function checkDefinition(cell: unknown): CellDefinition {
  const c = cell as CellDefinition;
  if (c == null || typeof c !== 'object' || typeof c.name !== 'string' || c.name === '' || typeof c.step !== 'function' || !Array.isArray(c.parameters)) {
    throw new Error(`expected a cell { name, parameters, step(p, states, params, constants), backward? }, got ${describe(cell)}`);
  }
  const names = new Set<string>();
  for (const p of c.parameters) {
    if (p == null || typeof p.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name) || typeof p.shape !== 'function') {
      throw new Error(`expected each parameter of ${c.name} to be { name (an identifier), shape(D, H), initializer?, finish? }, got ${describe(p)}`);
    }
    if (names.has(p.name)) throw new Error(`expected the parameters of ${c.name} to have distinct names, got '${p.name}' twice`);
    names.add(p.name);
  }
  return c;
}

function definitionOf(cell: unknown): CellDefinition {
  if (typeof cell === 'string') {
    const d = registered.get(keyOf(cell));
    if (d === undefined) throw new Error(`expected a cell registered with registerCell, got '${cell}' (registered: ${[...registered.values()].map((d) => d.name).join(', ') || 'none'})`);
    return d;
  }
  if (cell != null && typeof cell === 'object' && 'config' in cell && !('step' in cell)) return definitionOf((cell as { config: { cell?: unknown } }).config.cell); // serialized
  return checkDefinition(cell);
}

export class RNNLayer extends RecurrentLayer {
  /** @nocollapse */
  static override className = 'TfjsRnnRNN';

  constructor(args: RNNLayerArgs) {
    if (args == null || typeof args !== 'object') throw new Error(`expected rnn layer args { cell, units, ... }, got ${describe(args)}`);
    const definition = definitionOf(args.cell);
    registerCell(definition); // tf.layers.bidirectional and clones rebuild the layer from its config
    const units = args.units;
    if (!Number.isInteger(units) || units <= 0) throw new Error(`expected units to be a positive integer, got ${describe(units)}`);
    const named = withDefaultName(args, 'rnn', RNNLayer.className);
    super({ ...named, cell: new DeclaredCell({ cell: definition, units, name: `${named.name}_cell` }) }, userCellMath(definition));
  }
}
tf.serialization.registerClass(RNNLayer);

/** An RNN layer over a user-defined cell (tf.layers.rnn's config, plus units), our driver running it. */
export function rnn(args: RNNLayerArgs): RNNLayer {
  return new RNNLayer(args);
}
