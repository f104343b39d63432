/**
 * A small ONNX model writer: nodes, float32/int64 initializers, typed inputs and outputs →
 * serialised ModelProto bytes (ir_version 8, opset 17 by default) that onnxruntime can load from
 * memory. Serialisation goes through protobufjs with the subset of onnx.proto written out below;
 * the field numbers are those of onnx.proto (onnx 1.12), which is all the wire format depends on.
 * Tensors are stored as little-endian raw_data.
 *
 * @example
 *   const g = new OnnxGraphBuilder('tiny');
 *   g.input('x', 'float32', ['batch', 3]);
 *   const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
 *   g.output(g.node('Relu', [g.node('MatMul', ['x', w])]), 'float32', ['batch', 2]);
 *   const bytes = g.toBytes();   // → ort.InferenceSession.create(bytes)
 */
import protobuf from 'protobufjs';
import { endianness } from 'node:os';

export type OnnxDtype = 'float32' | 'int64';

/** TensorProto.DataType codes. */
const DATA_TYPE: Record<OnnxDtype, number> = { float32: 1, int64: 7 };

/** AttributeProto.AttributeType codes. */
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  name: string;
  dtype: OnnxDtype;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** One attribute value; the key says its ONNX type (an integer and a float are not the same attribute). */
export type OnnxAttribute =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: OnnxTensor };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A graph input or output: element type and shape, where a string names a symbolic dimension. */
export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDtype;
  shape: readonly (number | string)[];
}

export interface OnnxModelSpec {
  graphName: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  producerName?: string;
  /** Default 8 (ONNX 1.10+). */
  irVersion?: number;
  /** Version of the default ("ai.onnx") operator set. Default 17. */
  opset?: number;
}

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

/** The part of onnx.proto this writer emits, with onnx.proto's field numbers. */
const ONNX_SUBSET = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            type: { type: 'int32', id: 20 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            attribute: repeated('AttributeProto', 5),
            domain: { type: 'string', id: 7 },
          },
        },
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            producer_name: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opset_import: repeated('OperatorSetIdProto', 8),
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            data_type: { type: 'int32', id: 2 },
            float_data: repeated('float', 4),
            int64_data: repeated('int64', 7),
            name: { type: 'string', id: 8 },
            raw_data: { type: 'bytes', id: 9 },
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: { fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } } },
          },
        },
        TypeProto: {
          fields: { tensor_type: { type: 'Tensor', id: 1 } },
          nested: {
            Tensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SUBSET).lookupType('onnx.ModelProto');
  return modelType;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Little-endian bytes of the tensor data (a view, no copy, on little-endian machines). */
function rawBytes(t: OnnxTensor): Uint8Array {
  const d = t.data;
  if (LITTLE_ENDIAN) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const out = new Uint8Array(d.byteLength);
  const view = new DataView(out.buffer);
  if (d instanceof Float32Array) d.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else d.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

function checkTensor(t: OnnxTensor, where: string): void {
  if (!t.name) throw new Error(`${where}: tensor without a name`);
  const want = t.dtype === 'float32' ? Float32Array : BigInt64Array;
  if (!(t.data instanceof want)) throw new Error(`${where}: tensor "${t.name}" is ${t.dtype} but its data is a ${t.data.constructor.name}`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0) || n !== t.data.length) {
    throw new Error(`${where}: tensor "${t.name}" has dims [${t.dims}] (${n} values) but ${t.data.length} values`);
  }
}

function tensorMessage(t: OnnxTensor): Record<string, unknown> {
  return { name: t.name, dims: [...t.dims], data_type: DATA_TYPE[t.dtype], raw_data: rawBytes(t) };
}

function attributeMessage(name: string, a: OnnxAttribute): Record<string, unknown> {
  if ('i' in a) return { name, type: ATTR_TYPE.INT, i: a.i };
  if ('f' in a) return { name, type: ATTR_TYPE.FLOAT, f: a.f };
  if ('s' in a) return { name, type: ATTR_TYPE.STRING, s: Buffer.from(a.s, 'utf8') };
  if ('ints' in a) return { name, type: ATTR_TYPE.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: ATTR_TYPE.FLOATS, floats: [...a.floats] };
  checkTensor(a.t, `attribute "${name}"`);
  return { name, type: ATTR_TYPE.TENSOR, t: tensorMessage(a.t) };
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: DATA_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/**
 * Check that every value is defined once and before use (ONNX requires topological order), then
 * serialise. Errors name the node and the value.
 */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (!name) throw new Error(`${spec.graphName}: ${what} has an empty name`);
    if (defined.has(name)) throw new Error(`${spec.graphName}: value "${name}" (${what}) is defined twice`);
    defined.add(name);
  };
  for (const v of spec.inputs) define(v.name, 'graph input');
  for (const t of spec.initializers) {
    checkTensor(t, spec.graphName);
    define(t.name, 'initializer');
  }
  spec.nodes.forEach((n, k) => {
    const label = `node ${k} (${n.op}${n.name ? ` "${n.name}"` : ''})`;
    for (const i of n.inputs) {
      // An empty name is ONNX's way of skipping an optional input.
      if (i !== '' && !defined.has(i)) throw new Error(`${spec.graphName}: ${label} reads "${i}", which is not defined before it`);
    }
    for (const o of n.outputs) define(o, `output of ${label}`);
  });
  for (const v of spec.outputs) {
    if (!defined.has(v.name)) throw new Error(`${spec.graphName}: graph output "${v.name}" is not produced by any node`);
  }
  const message = {
    ir_version: spec.irVersion ?? 8,
    producer_name: spec.producerName ?? 'unictr-ts',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.graphName,
      node: spec.nodes.map((n, k) => ({
        input: [...n.inputs],
        output: [...n.outputs],
        name: n.name ?? `${n.op}_${k}`,
        op_type: n.op,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attributes ?? {}).map(([name, a]) => attributeMessage(name, a)),
      })),
      initializer: spec.initializers.map(tensorMessage),
      input: spec.inputs.map(valueInfoMessage),
      output: spec.outputs.map(valueInfoMessage),
    },
  };
  return modelProto().encode(message).finish();
}

/** Builds an OnnxModelSpec node by node, naming intermediate values automatically. */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  constructor(readonly graphName: string) {}

  input(name: string, dtype: OnnxDtype, shape: readonly (number | string)[]): string {
    this.inputs.push({ name, dtype, shape });
    return name;
  }

  output(name: string, dtype: OnnxDtype, shape: readonly (number | string)[]): string {
    this.outputs.push({ name, dtype, shape });
    return name;
  }

  initializer(name: string, dtype: OnnxDtype, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dtype, dims, data });
    return name;
  }

  /** A small constant initializer, shared between nodes that use the same value. */
  constant(dtype: OnnxDtype, dims: readonly number[], values: readonly number[]): string {
    const key = `${dtype}[${dims}]:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = `const_${this.constants.size}`;
      const data = dtype === 'float32' ? Float32Array.from(values) : BigInt64Array.from(values, (v) => BigInt(v));
      this.initializer(name, dtype, dims, data);
      this.constants.set(key, name);
    }
    return name;
  }

  /** Add a node with one output and return that output's name (`out` or a generated one). */
  node(op: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>, out?: string): string {
    return this.nodeN(op, inputs, 1, attributes, out ? [out] : undefined)[0]!;
  }

  /** Add a node with `count` outputs. */
  nodeN(op: string, inputs: readonly string[], count: number, attributes?: Record<string, OnnxAttribute>, outs?: readonly string[]): string[] {
    const k = this.counter++;
    const outputs = outs ? [...outs] : Array.from({ length: count }, (_, j) => `${op.toLowerCase()}_${k}${count > 1 ? `_${j}` : ''}`);
    this.nodes.push({ op, inputs, outputs, name: `${op}_${k}`, ...(attributes ? { attributes } : {}) });
    return outputs;
  }

  spec(extra: Pick<OnnxModelSpec, 'producerName' | 'irVersion' | 'opset'> = {}): OnnxModelSpec {
    return { graphName: this.graphName, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs, ...extra };
  }

  toBytes(extra: Pick<OnnxModelSpec, 'producerName' | 'irVersion' | 'opset'> = {}): Uint8Array {
    return encodeOnnxModel(this.spec(extra));
  }
}
