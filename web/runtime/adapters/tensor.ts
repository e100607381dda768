// The generic adapter: any network, its inputs and outputs as JSON tensors `{dtype, dims, data}`.
// A model without a model.json of its own (a dropped .onnx) gets its info from the graph.
import type { Adapter } from './adapter.ts';
import type { ModelInfo, Port } from '../../contract/index.ts';
import type { Network, TensorMeta } from '../engines/engine.ts';
import { tensorFromJson, tensorToJson, type Tensor, type TensorJson } from '../engines/tensor.ts';
import { InputError } from '../errors.ts';

/** Runway-shaped info from a network's graph: one `tensor` port per graph input and output. */
export function infoFromGraph(network: Pick<Network, 'inputs' | 'outputs'>): ModelInfo {
  const port = (m: TensorMeta): Port => m.type
    ? { name: m.name, type: 'tensor', dtype: m.type, dims: (m.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
        description: `${m.type} [${(m.shape ?? []).join(', ')}]` }
    : { name: m.name, type: 'tensor', description: 'a non-tensor value' };
  return { inputs: network.inputs.map(port), outputs: network.outputs.map(port) };
}

export const tensor: Adapter = {
  async run(inputs, { network }) {
    const feeds: Record<string, Tensor> = {};
    for (const m of network.inputs) feeds[m.name] = tensorFromJson(m.name, inputs[m.name], m.type);
    let out: Record<string, Tensor>;
    try {
      out = await network.run(feeds);
    } catch (err) {
      // Shape and type mismatches surface here; they are the caller's to fix.
      throw new InputError((err as Error).message);
    }
    const outputs: Record<string, TensorJson> = {};
    for (const [name, t] of Object.entries(out)) outputs[name] = tensorToJson(t);
    return outputs;
  },
};
