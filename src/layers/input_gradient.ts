/**
 * Whether a layer's input needs its gradient, decided by tfjs's own rule: tfjs differentiates only
 * the ops on a path from the `xs` of the gradient being taken (tf.grad's x, variableGrads' and
 * fit's variables) to the loss (getFilteredNodesXToY). So ∂x is needed exactly when one of the
 * current xs is x or an ancestor of x in the ops recorded so far. A model's data, a nested model's
 * input fed by data, or anything computed from data alone needs none, and our BPTT then skips ∂x
 * (one [B·T, G·H]·[G·H, D] matMul); a tensor computed from weights (a Dense before us, in this
 * model or an outer one) needs it. Outside any gradient (predict) ∂x is moot.
 *
 * tfjs does not expose the xs of the gradient being recorded: the engine's gradients() is wrapped
 * once to keep them on a stack.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
}

type Gradients = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => unknown;

interface EngineInternals {
  isTapeOn(): boolean;
  state: { activeTape: TapeNode[] | null };
  gradients: Gradients;
  tfjsRnnXs?: tf.Tensor[][];
}

function engine(): EngineInternals {
  const e = tf.engine() as unknown as EngineInternals;
  if (e.tfjsRnnXs === undefined) {
    const stack: tf.Tensor[][] = [];
    e.tfjsRnnXs = stack;
    const gradients = e.gradients.bind(e);
    e.gradients = (f, xs, dy, allowNoGradients) => {
      stack.push(xs);
      try {
        return gradients(f, xs, dy, allowNoGradients);
      } finally {
        stack.pop();
      }
    };
  }
  return e;
}

/** Installs the watch on the engine (before any gradient that should be seen starts). */
export function watchGradients(): void {
  engine();
}

export function inputNeedsGradient(x: tf.Tensor): boolean {
  const e = engine();
  const tape = e.state.activeTape;
  const xs = e.tfjsRnnXs as tf.Tensor[][];
  if (!e.isTapeOn() || tape == null || xs.length === 0) return true; // nothing known: the safe answer
  const wanted = new Set(xs[xs.length - 1].map((t) => t.id));
  const producer = new Map<number, TapeNode>();
  for (const node of tape) for (const o of node.outputs) if (o != null) producer.set(o.id, node);
  const seen = new Set<number>();
  const stack: tf.Tensor[] = [x];
  while (stack.length > 0) {
    const t = stack.pop() as tf.Tensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (wanted.has(t.id)) return true;
    const node = producer.get(t.id);
    if (node !== undefined) stack.push(...Object.values(node.inputs).filter((i) => i != null));
  }
  return false;
}
