/**
 * The range of every numeric setting of a run, for the flags and for config.json alike, and the
 * size checks made before anything is allocated: each setting on its own, then the model and its
 * BPTT tape together (a run of settings each in range can still ask for more memory than a
 * machine has).
 */

/** A numeric setting's range; `int` settings take integers only. */
export interface Range {
  min: number;
  max: number;
  /** min itself is outside the range. */
  minExclusive?: boolean;
  int: boolean;
}

const int = (min: number, max: number): Range => ({ min, max, int: true });

/** Ranges by TrainConfig field. evalEvery's -1 (config.json: "steps/10") is allowed where it is read. */
export const RANGES = {
  steps: int(1, 1e9),
  epochs: { min: 0, max: 1e6, minExclusive: true, int: false },
  batchSize: int(1, 4096),
  units: int(1, 4096),
  seqLen: int(1, 10000),
  embeddingDim: int(1, 4096),
  layers: int(1, 16),
  lr: { min: 0, max: 1e6, minExclusive: true, int: false },
  clipNorm: { min: 0, max: 1e6, int: false },
  seed: int(0, Number.MAX_SAFE_INTEGER),
  checkpointEvery: int(1, 1e9),
  logEvery: int(1, 1e9),
  evalEvery: int(0, 1e9),
  sampleEvery: int(0, 1e9),
} satisfies Record<string, Range>;

export type RangedField = keyof typeof RANGES;

/** The range as a person reads it: `an integer in [1, 4096]`, `a number in (0, 1000000]`. */
export function describeRange(r: Range): string {
  return `${r.int ? 'an integer' : 'a number'} in ${interval(r)}`;
}

/** `[1, 4096]`, `(0, 1000000]`. */
export function interval(r: Range): string {
  return `${r.minExclusive === true ? '(' : '['}${r.min}, ${r.max}]`;
}

export function inRange(r: Range, v: number): boolean {
  return Number.isFinite(v) && (!r.int || Number.isSafeInteger(v)) && v <= r.max && (r.minExclusive === true ? v > r.min : v >= r.min);
}

/** The chars task's vocabulary (distinct characters): an Embedding and a softmax of that width. */
export const MAX_VOCABULARY = 65536;
/** A --text file: read whole, then one int32 per character. */
export const MAX_TEXT_BYTES = 16 * 2 ** 20;
/** Weights, float32: 512 MiB (Adam keeps two more of each). */
export const MAX_PARAMETERS = 2 ** 27;
/** Values the BPTT tape keeps for one batch (states and gates at every step, every layer): 2 GiB of float32. */
export const MAX_TAPE_VALUES = 2 ** 29;

export interface ModelSize {
  /** Gates of the cell (SimpleRNN 1, GRU 3, LSTM 4). */
  gates: number;
  inputDim: number;
  units: number;
  layers: number;
  directions: number;
  outputDim: number;
  /** Embedding rows (token tasks), else 0. */
  vocabulary: number;
  embeddingDim: number;
  batchSize: number;
  seqLen: number;
}

/** Why a model of this size is refused (the limit and what it would take), or null. */
export function sizeProblem(s: ModelSize): string | null {
  const H = s.units;
  const G = s.gates;
  const width = s.directions * H; // what a layer above reads
  let parameters = s.vocabulary * s.embeddingDim + width * s.outputDim + s.outputDim;
  for (let l = 0; l < s.layers; l++) {
    const D = l === 0 ? s.inputDim : width;
    parameters += s.directions * (D * G * H + H * G * H + 2 * G * H);
  }
  if (parameters > MAX_PARAMETERS) {
    return `expected a model of at most ${MAX_PARAMETERS} parameters, got ${parameters} (units ${H}, layers ${s.layers}, ${s.directions} direction(s), input width ${s.inputDim}, vocabulary ${s.vocabulary})`;
  }
  // States, cell states and gate values at every step: (G + 2)·H per sequence, step, layer, direction.
  const tape = s.batchSize * s.seqLen * s.layers * s.directions * (G + 2) * H;
  if (tape > MAX_TAPE_VALUES) {
    return `expected batch-size × seq-len × layers × directions × (gates + 2) × units of at most ${MAX_TAPE_VALUES} values (the BPTT tape), got ${s.batchSize} × ${s.seqLen} × ${s.layers} × ${s.directions} × ${G + 2} × ${H} = ${tape}`;
  }
  return null;
}
