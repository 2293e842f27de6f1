"""rustgpt_flow — MinLLM's flow API in Python, run by rustgpt's C engine.

    from rustgpt_flow import Node, Flow

    class Ask(Node):
        def prep(self, shared):            return shared["question"]
        def exec(self, question):          return question.upper()
        def post(self, shared, prep_res, exec_res):
            shared["answer"] = exec_res
            return "done" if exec_res else None    # None means "default"

    ask >> check                # the successor for "default"
    check - "retry" >> ask      # the successor for action "retry"
    shared = {"question": "why?"}
    Flow(start=ask).run(shared)  # shared now holds the answer

The nodes are Python classes, as in MinLLM/PocketFlow; the walk from node to
node, the retries (max_retries, wait, exec_fallback), nested flows, batches
and the thread pool of parallel batches are the C engine's
(include/rustgpt/flow.h). A run builds a C graph of the Python nodes
reachable from the flow, with a ctypes callback for each method a class
overrides, and runs it; the graph is kept with the flow and reused while
the nodes, their edges and settings stay the same.

The shared store is the engine's thread-safe JSON store; callbacks see it
as a dict-like Store. When run() is given a plain dict, its items are copied
in before and the result copied back after, so MinLLM code keeps working.
Values that JSON cannot hold (an open file, a model object) cross as
handles into a table on the Python side, so any object can flow between
prep, exec and post; in the store they live as long as the process.
"""
import ctypes
import threading

from . import _lib
from ._lib import lib  # noqa: F401  (re-exported for the curious)
from ._store import FlowError, Store, _check, _dumps, _from_cjson, _to_cjson

__all__ = ["Node", "BatchNode", "ParallelBatchNode", "Flow", "Store", "FlowError", "run_file",
           "transitions"]


# ---- nodes -------------------------------------------------------------------

class _Transition:
    def __init__(self, src, action):
        self.src, self.action = src, action

    def __rshift__(self, other):
        return self.src.next(other, self.action)


class BaseNode:
    """What every node shares: params, successors by action, >> and -."""
    _kind = _lib.NODE

    def __init__(self):
        self.params = {}
        self.successors = {}

    def set_params(self, params):
        self.params = params

    def next(self, node, action="default"):
        self.successors[action] = node
        return node

    def __rshift__(self, other):
        return self.next(other)

    def __sub__(self, action):
        if not isinstance(action, str):
            raise TypeError("an action is a string")
        return _Transition(self, action)

    def prep(self, shared):
        pass

    def exec(self, prep_res):
        pass

    def post(self, shared, prep_res, exec_res):
        pass

    def run(self, shared):
        """Run this node (a flow: its whole graph) against shared; returns the
        action it ended with."""
        return _run(self, shared)


class Node(BaseNode):
    """A node with retries: exec is tried max_retries times, wait seconds
    apart; after the last failure exec_fallback(prep_res, exc) runs, which by
    default raises exc again."""

    def __init__(self, max_retries=1, wait=0):
        super().__init__()
        self.max_retries, self.wait = max_retries, wait
        self.cur_retry = 0

    def exec_fallback(self, prep_res, exc):
        raise exc


class BatchNode(Node):
    """prep returns a list; exec runs once per item; post gets the list of results."""
    _kind = _lib.BATCH


class ParallelBatchNode(BatchNode):
    """A BatchNode whose items run on the engine's threads (threads=0: one per
    core), results in input order. Python code holds the GIL, so the gain is
    for exec that waits or calls into C (a model, I/O)."""
    _kind = _lib.PARALLEL_BATCH

    def __init__(self, max_retries=1, wait=0, threads=0):
        super().__init__(max_retries, wait)
        self.threads = threads


class Flow(BaseNode):
    """A flow: runs from start, following the action each node returns,
    until an action has no successor. A flow is a node, so flows nest; its
    own post (when overridden) chooses the action it returns, else it
    returns the last action of its walk."""
    _kind = _lib.FLOW

    def __init__(self, start=None, max_steps=0):
        super().__init__()
        self.start_node = start
        self.max_steps = max_steps

    def start(self, start):
        self.start_node = start
        return start

    def post(self, shared, prep_res, exec_res):
        return exec_res


# ---- callbacks: the engine calling back into Python --------------------------

_runs = {}                 # id(user) -> node, for the callbacks
_errors = {}               # thread id -> the last exception a callback raised
_store_views = {}          # store pointer -> Store (not owned)


def _view(store_ptr):
    view = _store_views.get(store_ptr)
    if view is None:
        view = _store_views[store_ptr] = Store(store_ptr)
    return view


def _fail(exc):
    _errors[threading.get_ident()] = exc
    return _lib.rg_flow_set_error(_lib.ERR_INVALID, ("%s: %s" % (type(exc).__name__, exc)).encode("utf-8"))


def _set_params(node, ctx):
    if _params_in_use[0] and ctx.params:
        node.params = _from_cjson(ctx.params) or {}


_params_in_use = [False]


@_lib.PREP_FN
def _prep_cb(ctx_p, out_p):
    ctx = ctx_p.contents
    node = _runs[ctx.user]
    try:
        _set_params(node, ctx)
        out_p[0] = _to_cjson(node.prep(_view(ctx.store)))
        return _lib.OK
    except BaseException as exc:  # noqa: B902 — everything goes back as an error
        return _fail(exc)


@_lib.EXEC_FN
def _exec_cb(ctx_p, input_ptr, out_p):
    ctx = ctx_p.contents
    node = _runs[ctx.user]
    try:
        node.cur_retry = ctx.attempt
        out_p[0] = _to_cjson(node.exec(_from_cjson(input_ptr)))
        return _lib.OK
    except BaseException as exc:  # noqa: B902
        return _fail(exc)


@_lib.FALLBACK_FN
def _fallback_cb(ctx_p, input_ptr, message, out_p):
    ctx = ctx_p.contents
    node = _runs[ctx.user]
    exc = _errors.get(threading.get_ident()) or FlowError(message.decode("utf-8", "replace"))
    try:
        out_p[0] = _to_cjson(node.exec_fallback(_from_cjson(input_ptr), exc))
        return _lib.OK
    except BaseException as raised:  # noqa: B902
        return _fail(raised)


@_lib.POST_FN
def _post_cb(ctx_p, prep_ptr, exec_ptr, action_buf):
    ctx = ctx_p.contents
    node = _runs[ctx.user]
    try:
        action = node.post(_view(ctx.store), _from_cjson(prep_ptr), _from_cjson(exec_ptr))
        if action is not None:
            data = str(action).encode("utf-8")[:_lib.ACTION_MAX - 1] + b"\0"
            ctypes.memmove(action_buf, data, len(data))
        return _lib.OK
    except BaseException as exc:  # noqa: B902
        return _fail(exc)


def _overrides(node, name, base):
    return getattr(type(node), name) is not getattr(base, name)


def _ops_for(node):
    """Callbacks for the methods node's class overrides; NULL for the rest,
    so an empty prep costs nothing."""
    ops = _lib.Ops()
    if _overrides(node, "prep", BaseNode):
        ops.prep = _prep_cb
    if isinstance(node, Flow):
        if _overrides(node, "post", Flow):
            ops.post = _post_cb
        return ops
    if _overrides(node, "exec", BaseNode):
        ops.exec = _exec_cb
    if isinstance(node, Node) and _overrides(node, "exec_fallback", Node):
        ops.exec_fallback = _fallback_cb
    if _overrides(node, "post", BaseNode):
        ops.post = _post_cb
    return ops


def _reachable(top):
    """Every node reachable from top: successors and nested flows' starts."""
    seen, order, todo = set(), [], [top]
    while todo:
        node = todo.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        if isinstance(node, Flow) and node.start_node is not None:
            todo.append(node.start_node)
        todo.extend(node.successors.values())
    return order


def _build(top):
    """A C graph for top; returns (graph, {id(node): c_node})."""
    graph = ctypes.c_void_p()
    _check(_lib.rg_flow_graph_new(ctypes.byref(graph)))
    nodes = _reachable(top)
    c_nodes = {}
    try:
        for i, node in enumerate(nodes):
            name = ("%s_%d" % (getattr(node, "name", None) or type(node).__name__, i)).encode("utf-8")
            ops = _ops_for(node)
            out = ctypes.c_void_p()
            user = ctypes.c_void_p(id(node))
            if isinstance(node, Flow):
                _check(_lib.rg_flow_new(graph, name, None, ctypes.byref(ops), user, ctypes.byref(out)))
                _lib.rg_flow_set_max_steps(out, int(node.max_steps))
            else:
                _check(_lib.rg_flow_node_new(graph, name, node._kind, ctypes.byref(ops), user, ctypes.byref(out)))
                _lib.rg_flow_set_retries(out, int(getattr(node, "max_retries", 1)), float(getattr(node, "wait", 0)))
                _lib.rg_flow_set_threads(out, int(getattr(node, "threads", 0)))
            if node.params:
                _params_in_use[0] = True
                tree = _to_cjson(node.params)
                _lib.rg_flow_set_params(out, tree)
                _lib.cJSON_Delete(tree)
            c_nodes[id(node)] = out.value
            _runs[id(node)] = node
        for node in nodes:
            if isinstance(node, Flow):
                if node.start_node is None:
                    raise FlowError("a Flow has no start node")
                _check(_lib.rg_flow_set_start(c_nodes[id(node)], c_nodes[id(node.start_node)]))
            for action, nxt in node.successors.items():
                _check(_lib.rg_flow_connect(c_nodes[id(node)], action.encode("utf-8"), c_nodes[id(nxt)]))
    except BaseException:
        _lib.rg_flow_graph_free(graph)
        raise
    return graph, c_nodes


_run_lock = threading.RLock()


def _signature(top):
    """Everything of the reachable nodes that the C graph was built from, so
    that a flow run again unchanged reuses its graph."""
    sig = []
    for node in _reachable(top):
        sig.append((id(node), type(node), tuple((a, id(n)) for a, n in node.successors.items()),
                    id(getattr(node, "start_node", None)), getattr(node, "max_retries", 1),
                    getattr(node, "wait", 0), getattr(node, "threads", 0), getattr(node, "max_steps", 0),
                    _dumps(node.params) if node.params else ""))
    return tuple(sig)


class _Graph:
    """A built C graph, freed with its owner."""

    def __init__(self, top):
        self.signature = _signature(top)
        self.handle, self.c_nodes = _build(top)

    def __del__(self):
        if self.handle:
            _lib.rg_flow_graph_free(self.handle)
            self.handle = None


def _cached_graph(top):
    cached = getattr(top, "_c_graph", None)
    if cached is None or cached.signature != _signature(top):
        cached = top._c_graph = _Graph(top)
    return cached.handle, cached.c_nodes


def _run(top, shared, params=None):
    store = shared if isinstance(shared, Store) else Store()
    if not isinstance(shared, Store):
        for k, v in shared.items():
            store[k] = v
    with _run_lock:
        graph, c_nodes = _cached_graph(top)
    action = ctypes.create_string_buffer(_lib.ACTION_MAX)
    tree = _to_cjson(params) if params else None
    try:
        _errors.clear()
        status = _lib.rg_flow_run(c_nodes[id(top)], store._handle, tree, action, _lib.ACTION_MAX)
    finally:
        _lib.cJSON_Delete(tree)
        _store_views.pop(store._handle, None)
    if status != _lib.OK:
        message = _lib.last_error()
        original = next((e for e in _errors.values() if "%s: %s" % (type(e).__name__, e) in message), None)
        _errors.clear()
        if original is not None:
            raise original
        raise FlowError(message)
    if not isinstance(shared, Store):
        result = store.to_dict()
        for k in [k for k in shared if k not in result]:
            del shared[k]
        shared.update(result)
    return action.value.decode("utf-8")


# ---- flow files and counters -------------------------------------------------

def run_file(path, shared=None, dir=None, model=None):
    """Run a JSON flow file (as `rustgpt flow run`) against shared (a dict,
    updated in place, or a Store); returns the final store as a dict."""
    opt = _lib.FileOptions(dir.encode("utf-8") if dir else None, model.encode("utf-8") if model else None)
    handle = ctypes.c_void_p()
    _check(_lib.rg_flow_file_load(path.encode("utf-8"), ctypes.byref(opt), ctypes.byref(handle)))
    try:
        store = shared if isinstance(shared, Store) else Store()
        for k, v in (shared or {}).items() if not isinstance(shared, Store) else ():
            store[k] = v
        _check(_lib.rg_flow_file_init_store(handle, store._handle))
        _check(_lib.rg_flow_run(_lib.rg_flow_file_flow(handle), store._handle, None, None, 0))
        result = store.to_dict()
        if isinstance(shared, dict):
            shared.update(result)
        return result
    finally:
        _lib.rg_flow_file_free(handle)


def transitions():
    """Node runs so far in this process (all flows): the engine's counter."""
    return _lib.rg_flow_transitions()


def render(flow, fmt="mermaid"):
    """The graph of a Python flow as Mermaid or dot text."""
    graph, c_nodes = _cached_graph(flow)
    out = ctypes.c_void_p()
    _check(_lib.rg_flow_render(c_nodes[id(flow)], 1 if fmt == "dot" else 0, ctypes.byref(out)))
    return _lib.take_string(out.value)

