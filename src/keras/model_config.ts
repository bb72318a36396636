/**
 * A Keras model config (Sequential or Functional, Keras 2.0 → 3.x) → the Keras 2 form tf.layers
 * deserializes (`{class_name, config: {name, layers, input_layers, output_layers}}`), each layer
 * through layer_config.ts.
 *
 * Keras 3 Functional nodes (`{args: [keras tensors…], kwargs}`) become Keras 2's
 * `[[layer, node, tensor, {}], …]`. Keras 3 also writes op layers into graphs: a Masking layer's
 * mask, handed on explicitly, is `Any(NotEqual(x, v), axis=-1)` given as `kwargs.mask`. That mask
 * is the one tfjs propagates from the Masking layer itself, so the kwarg and the two op layers are
 * dropped once checked to be exactly that; any other op layer or mask is refused by name.
 */
import { isObject, Json, JsonObject, LayerContext, refuse, translateLayer } from './layer_config';

type Ref = [string, number, number];

function tensorRef(v: Json): Ref | null {
  if (!isObject(v) || v.class_name !== '__keras_tensor__' || !isObject(v.config)) return null;
  const h = v.config.keras_history;
  return Array.isArray(h) && typeof h[0] === 'string' ? [h[0], Number(h[1]), Number(h[2])] : null;
}

/** The keras tensors among a Keras 3 node's args (a tensor, or a list of them), in order. */
function argRefs(args: Json): Ref[] {
  if (!Array.isArray(args)) return [];
  const out: Ref[] = [];
  for (const a of args) {
    const r = tensorRef(a);
    if (r) out.push(r);
    else if (Array.isArray(a)) for (const b of a) { const rb = tensorRef(b); if (rb) out.push(rb); }
  }
  return out;
}

interface Node3 { args: Ref[]; constants: Json[]; kwargs: JsonObject }

function nodesOf(layer: JsonObject): Node3[] | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || !isObject(nodes[0])) return null; // Keras 2 form (or none)
  return nodes.map((n) => {
    const node = n as JsonObject;
    const args = Array.isArray(node.args) ? node.args : [];
    return { args: argRefs(args), constants: args.filter((a) => typeof a === 'number'), kwargs: isObject(node.kwargs) ? node.kwargs : {} };
  });
}

/** Checks that `mask` is Any(NotEqual(x, v), -1) for a Masking(v) on x from which `consumer`'s input descends. */
function checkMaskKwarg(ctx: LayerContext, byName: Map<string, JsonObject>, consumer: string, input: Ref, mask: Json): void {
  const fail = (why: string): never => refuse(ctx, consumer, `expected an explicit mask to be the mask of a Masking layer (Any(NotEqual(x, v), axis=-1)), got ${why}`);
  const anyRef = tensorRef(mask);
  const any = anyRef ? byName.get(anyRef[0]) : undefined;
  if (!any || any.class_name !== 'Any') return fail(`a mask from ${anyRef?.[0] ?? JSON.stringify(mask)}`);
  const anyConfig = any.config as JsonObject;
  if (anyConfig.axis !== -1 || anyConfig.keepdims === true) return fail(`Any with axis ${JSON.stringify(anyConfig.axis)}`);
  const neRef = nodesOf(any)?.[0]?.args[0];
  const ne = neRef ? byName.get(neRef[0]) : undefined;
  const neNode = ne ? nodesOf(ne)?.[0] : undefined;
  if (!ne || ne.class_name !== 'NotEqual' || !neNode || neNode.args.length !== 1 || neNode.constants.length !== 1) return fail('Any of something other than NotEqual(x, v)');
  const [x, v] = [neNode.args[0], neNode.constants[0]];
  const masking = [...byName.values()].find((l) => {
    const n = l.class_name === 'Masking' ? nodesOf(l)?.[0] : undefined;
    return n !== undefined && n.args.length === 1 && n.args[0][0] === x[0] && (l.config as JsonObject).mask_value === v;
  });
  if (!masking) return fail(`NotEqual(${x[0]}, ${String(v)}) with no Masking(${String(v)}) on ${x[0]}`);
  // The consumer's input must come from the Masking layer (through layers that pass the mask on).
  for (let at: string | undefined = input[0], hops = 0; at !== undefined && hops < byName.size; hops++) {
    if (at === masking.name) return;
    const from: JsonObject | undefined = byName.get(at);
    at = from ? nodesOf(from)?.[0]?.args[0]?.[0] : undefined;
  }
  fail(`a mask while ${consumer}'s input does not come from ${String(masking.name)}`);
}

function translateFunctional(ctx: LayerContext, cls: string, config: JsonObject): JsonObject {
  const layers = Array.isArray(config.layers) ? (config.layers as JsonObject[]) : [];
  const byName = new Map(layers.map((l) => [String(l.name), l]));
  const opLayers = new Set(layers.filter((l) => l.class_name === 'NotEqual' || l.class_name === 'Any').map((l) => String(l.name)));
  const out: JsonObject[] = [];
  for (const layer of layers) {
    const name = String(layer.name);
    if (opLayers.has(name)) continue; // checked where its mask is used; refused below if used otherwise
    const translated = translateLayer(ctx, layer);
    const nodes3 = nodesOf(layer);
    let inbound: Json = layer.inbound_nodes ?? [];
    if (nodes3 !== null) {
      inbound = nodes3.map((n) => {
        for (const [key, value] of Object.entries(n.kwargs)) {
          if (key === 'training' || value === null) continue;
          if (key === 'mask') checkMaskKwarg(ctx, byName, name, n.args[0], value);
          else refuse(ctx, name, `expected call arguments among mask, training, got ${key}`);
        }
        for (const r of n.args) if (opLayers.has(r[0])) refuse(ctx, name, `takes the output of op layer ${r[0]} (${String(byName.get(r[0])?.class_name)}), which tfjs has no equivalent of`);
        return n.args.map((r) => [r[0], r[1], r[2], {}]);
      });
    }
    out.push({ ...translated, name, inbound_nodes: inbound });
  }
  const refs = (v: Json | undefined): Json => (Array.isArray(v) && typeof v[0] === 'string' ? [v] : (v ?? []));
  return {
    class_name: cls === 'Functional' ? 'Model' : cls,
    config: { name: config.name ?? 'model', layers: out, input_layers: refs(config.input_layers), output_layers: refs(config.output_layers) },
  };
}

function translateSequential(ctx: LayerContext, config: Json): JsonObject {
  const list = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null;
  if (list === null) throw new Error(`${ctx.source}: expected a Sequential config with a layers list, got ${JSON.stringify(config)?.slice(0, 120)}`);
  const layers = list.map((l) => translateLayer(ctx, l));
  const first = layers[0]?.config as JsonObject | undefined;
  const built = isObject(config) ? config.build_input_shape : undefined;
  if (first && layers[0].class_name !== 'InputLayer' && first.batch_input_shape == null && Array.isArray(built)) first.batch_input_shape = built;
  return { class_name: 'Sequential', config: { name: (isObject(config) ? config.name : null) ?? 'sequential', layers } };
}

/** Whether any layer (nested ones too) produces a mask. */
function hasMaskSource(v: Json): boolean {
  if (Array.isArray(v)) return v.some(hasMaskSource);
  if (!isObject(v)) return false;
  if (v.class_name === 'Masking') return true;
  if (v.class_name === 'Embedding' && isObject(v.config) && v.config.mask_zero === true) return true;
  return Object.values(v).some(hasMaskSource);
}

/** The model config translated; `ctx.masked` is worked out here. */
export function translateModel(ctx: Omit<LayerContext, 'masked'>, model: Json): JsonObject {
  if (!isObject(model) || typeof model.class_name !== 'string') {
    throw new Error(`${ctx.source}: expected a model config {class_name, config}, got ${JSON.stringify(model)?.slice(0, 120)}`);
  }
  const full: LayerContext = { ...ctx, masked: hasMaskSource(model.config) };
  const cls = model.class_name;
  if (cls === 'Sequential') return translateSequential(full, model.config);
  if (cls === 'Functional' || cls === 'Model') return translateFunctional(full, cls, model.config as JsonObject);
  throw new Error(`${ctx.source}: expected a Sequential or Functional model, got class ${cls} (a subclassed model has no config to rebuild it from)`);
}
