/**
 * The one tape type: what a cell's forward() records for its backward(). It owns its tensors (the
 * input, the states, what the cell saved per step, and the weights as they were at forward time,
 * so that an optimizer step in between cannot corrupt the gradient): call dispose() when done.
 */
import { ScanTape, disposeTape } from '../scan/scan';

export class RNNTape {
  private scan: ScanTape | null;

  constructor(
    scan: ScanTape,
    /** The cell whose forward() made it (backward() refuses a tape from another cell). */
    readonly owner: object,
    /** Name of that cell, for messages. */
    readonly ownerName: string,
    /** True when the input was one sequence [T, D] rather than a batch [B, T, D]. */
    readonly unbatched: boolean,
    /** [B, T, D] of the forward input (B = 1 when unbatched). */
    readonly inputShape: readonly [number, number, number],
  ) {
    this.scan = scan;
  }

  get isDisposed(): boolean {
    return this.scan === null;
  }

  /** @internal The driver's view. */
  get scanTape(): ScanTape {
    if (this.scan === null) {
      throw new Error('expected a live tape, got a disposed one: run forward() again before backward()');
    }
    return this.scan;
  }

  dispose(): void {
    if (this.scan === null) return;
    disposeTape(this.scan);
    this.scan = null;
  }
}
