/**
 * The cells' activations in WGSL, in tfjs-backend-webgpu's own forms (unary_op_util.ts), so that a
 * fused kernel computes what the unfused tfjs ops compute; and each one's derivative from its
 * OUTPUT y, as src/cells/activations.ts defines it (tanh 1 − y², sigmoid y(1 − y), relu [y > 0],
 * linear 1, hardSigmoid 0.2·[0 < y < 1]).
 */
/** The activations the fused kernels have in WGSL; the others run the unfused step. */
export type FusedActivation = 'tanh' | 'relu' | 'linear' | 'sigmoid' | 'hardSigmoid';

/** Whether a fused kernel can run this activation. */
export function hasFusedActivation(name: string): name is FusedActivation {
  return name in VALUE;
}

const VALUE: Record<FusedActivation, string> = {
  tanh: 'let e2x = exp(-2.0 * abs(a)); return sign(a) * (1.0 - e2x) / (1.0 + e2x);',
  relu: 'return select(a, 0.0, a < 0.0);',
  linear: 'return a;',
  sigmoid: 'return 1.0 / (1.0 + exp(-1.0 * a));',
  hardSigmoid: 'return clamp(a * 0.2 + 0.5, 0.0, 1.0);',
};

const FROM_OUTPUT: Record<FusedActivation, string> = {
  tanh: 'return 1.0 - y * y;',
  relu: 'return select(0.0, 1.0, y > 0.0);',
  linear: 'return 1.0;',
  sigmoid: 'return y * (1.0 - y);',
  hardSigmoid: 'return select(0.0, 0.2, y > 0.0 && y < 1.0);',
};

/** WGSL `fn <name>(a : f32) -> f32` and `fn <name>D(y : f32) -> f32` (the derivative from the output). */
export function activationWgsl(name: string, which: FusedActivation): string {
  return `fn ${name}(a : f32) -> f32 { ${VALUE[which]} }\nfn ${name}D(y : f32) -> f32 { ${FROM_OUTPUT[which]} }\n`;
}
