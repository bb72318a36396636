/** The built-in cells, listed once: everything else iterates this list. */
import type { CellDescriptor, CellId } from './descriptor';
import { GRU_CELL } from './gru';
import { LSTM_CELL } from './lstm';
import { SIMPLE_RNN_CELL } from './simple_rnn';

export const CELLS: readonly CellDescriptor[] = [SIMPLE_RNN_CELL, LSTM_CELL, GRU_CELL];

export const CELL_IDS: readonly CellId[] = CELLS.map((c) => c.id);

/** The descriptor of a cell id; a clear error for anything else. */
export function cellById(id: string): CellDescriptor {
  const c = CELLS.find((d) => d.id === id);
  if (c === undefined) throw new Error(`expected a cell among ${CELL_IDS.join(', ')}, got '${id}'`);
  return c;
}

/** The descriptor of a Keras / tf.layers class name ('LSTM'), or undefined. */
export function cellByKerasClass(kerasClass: string): CellDescriptor | undefined {
  return CELLS.find((d) => d.kerasClass === kerasClass);
}
