"""Graph surgery on ONNX models, independent of any voice: find the integer op chains that ORT's
dynamic quantizer writes (x -> DynamicQuantizeLinear -> ConvInteger/MatMulInteger -> ... -> y) and
put other nodes in their place (fp32 ops from their own dequantized weights, or 4-bit MatMuls),
then sweep out what no longer feeds anything. The methods in onnx_methods.py decide what to replace.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INTEGER_OPS = {"ConvInteger": "Conv", "MatMulInteger": "MatMul"}  # integer op -> the float op it stands for


@dataclass
class IntegerOp:
    """A ConvInteger/MatMulInteger as ORT's dynamic quantizer writes it:
    x -> DynamicQuantizeLinear -> Int op (-> + int bias) -> Cast -> Mul(x_scale * w_scale) -> y.
    `weight` is the int8 weight dequantized, in the float op's layout; `bias` the float bias when
    it was added in the integer domain (Kokoro's convolutions). `source` names the tensors the
    weight comes from: nodes that share a weight (ALBERT's repeated layers in Kokoro) share its
    replacement too."""

    node: object
    x: str
    weight: np.ndarray
    bias: np.ndarray | None
    y: str
    chain: list
    source: tuple[str, ...]


def _index(graph):
    consumers: dict[str, list] = {}
    producer = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
        for o in n.output:
            producer[o] = n
    return consumers, producer


def constants(graph) -> dict[str, np.ndarray]:
    """Initializers and Constant nodes' values by tensor name."""
    from onnx import numpy_helper

    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return values


def integer_ops(graph) -> list[IntegerOp]:
    """Every integer op chain of the graph that can be turned back into a float op."""
    consumers, producer = _index(graph)
    values = constants(graph)
    outputs = {o.name for o in graph.output}

    def only_consumer(tensor):
        users = consumers.get(tensor, [])
        return users[0] if len(users) == 1 and tensor not in outputs else None

    found = []
    for node in graph.node:
        if node.op_type not in INTEGER_OPS or len(node.input) < 2:
            continue
        dql = producer.get(node.input[0])
        wq = values.get(node.input[1])
        if dql is None or dql.op_type != "DynamicQuantizeLinear" or wq is None:
            continue
        wzp = values.get(node.input[3], 0) if len(node.input) > 3 and node.input[3] else 0
        chain, bias, nxt = [node], None, only_consumer(node.output[0])
        if nxt is not None and nxt.op_type == "Add":  # bias added in int32: its float root is an initializer
            other = nxt.input[1] if nxt.input[0] == node.output[0] else nxt.input[0]
            bias = _float_root(other, producer, values, wq.shape[0])
            if bias is None:
                continue
            chain.append(nxt)
            nxt = only_consumer(nxt.output[0])
        if nxt is None or nxt.op_type != "Cast":
            continue
        chain.append(nxt)
        mul = only_consumer(nxt.output[0])
        if mul is None or mul.op_type != "Mul":
            continue
        scales = producer.get(mul.input[1] if mul.input[0] == nxt.output[0] else mul.input[0])
        if scales is None or scales.op_type != "Mul":
            continue
        w_scale_name = next((i for i in scales.input if i != dql.output[1] and i in values), None)
        if w_scale_name is None:
            continue
        chain.append(mul)
        wzp, w_scale = np.asarray(wzp, np.float32), np.asarray(values[w_scale_name], np.float32)
        if node.op_type == "ConvInteger":  # per-channel values run along the output channels (axis 0)
            wzp, w_scale = (v.reshape(-1, *[1] * (wq.ndim - 1)) if v.size > 1 else v for v in (wzp, w_scale))
        weight = ((wq.astype(np.float32) - wzp) * w_scale).astype(np.float32)
        source = (node.input[1], node.input[3] if len(node.input) > 3 else "", w_scale_name)
        found.append(IntegerOp(node, dql.input[0], weight, bias, mul.output[0], chain, source))
    return found


def _float_root(tensor, producer, values, size) -> np.ndarray | None:
    """The float initializer of `size` elements that an integer bias was computed from
    (Reshape <- Cast <- Floor <- Div(bias, scale))."""
    for _ in range(8):
        if tensor in values and values[tensor].dtype == np.float32 and values[tensor].size == size:
            return values[tensor].reshape(-1)
        node = producer.get(tensor)
        if node is None or not node.input:
            return None
        tensor = node.input[0]
    return None


def replace_chains(graph, replacements: list[tuple[IntegerOp, list, list]]) -> None:
    """Put new nodes (and initializers) in place of integer op chains, in the chain's position (the
    graph stays topologically sorted), then drop what no longer feeds anything."""
    by_first = {op.node.output[0]: (nodes, inits) for op, nodes, inits in replacements}  # outputs are unique
    gone = {n.output[0] for op, _, _ in replacements for n in op.chain}
    ordered = []
    for n in graph.node:
        key = (n.output or [""])[0]
        if key in by_first:
            nodes, inits = by_first[key]
            ordered += nodes
            graph.initializer.extend(inits)
        elif key not in gone:
            ordered.append(n)
    del graph.node[:]
    graph.node.extend(ordered)
    sweep(graph)


def sweep(graph) -> None:
    """Remove nodes whose outputs nothing reads, then unread initializers and stale value_info."""
    outputs = {o.name for o in graph.output}
    nodes = list(graph.node)
    while True:
        used = outputs | {i for n in nodes for i in n.input} | _subgraph_inputs(nodes)
        kept = [n for n in nodes if any(o in used for o in n.output if o)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    del graph.node[:]
    graph.node.extend(nodes)
    inits = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    produced = {o for n in nodes for o in n.output}
    infos = [v for v in graph.value_info if v.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(infos)


def _subgraph_inputs(nodes) -> set[str]:
    names = set()
    for n in nodes:
        for a in n.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                names |= {i for m in g.node for i in m.input} | _subgraph_inputs(g.node)
    return names


def float_nodes(ops: list[IntegerOp]) -> list[tuple[IntegerOp, list, list]]:
    """The fp32 Conv/MatMul each integer chain stands for, with its new initializers (one per
    distinct weight)."""
    from onnx import helper, numpy_helper

    made: dict[tuple, str] = {}
    out = []
    for op in ops:
        name, inits = op.node.name.removesuffix("_quant") or op.y, []
        if op.source not in made:
            made[op.source] = f"{op.source[0]}.fp32.{len(made)}"
            inits.append(numpy_helper.from_array(op.weight, made[op.source]))
        inputs = [op.x, made[op.source]]
        if op.bias is not None:
            inits.append(numpy_helper.from_array(op.bias.astype(np.float32), f"{name}.bias_fp32"))
            inputs.append(inits[-1].name)
        attrs = {a.name: helper.get_attribute_value(a) for a in op.node.attribute}
        out.append((op, [helper.make_node(INTEGER_OPS[op.node.op_type], inputs, [op.y], name, **attrs)], inits))
    return out
