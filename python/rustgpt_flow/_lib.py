"""ctypes bindings of include/rustgpt/flow.h: the C flow engine in
librustgpt.so, as the Python face (rustgpt_flow) uses it.

The library is found through $RUSTGPT_LIB, else build/librustgpt.so of the
source tree this package sits in, else the system's loader path. Values
cross the boundary as JSON text: cJSON_Parse / cJSON_PrintUnformatted are
called from the same library (librustgpt links cJSON), so a value made in
Python is a cJSON tree the engine owns, exactly as a C node would make it.
"""
import ctypes
import os

_here = os.path.dirname(os.path.abspath(__file__))


def _find_library():
    env = os.environ.get("RUSTGPT_LIB")
    if env:
        return env
    tree = os.path.join(_here, "..", "..", "build", "librustgpt.so")
    if os.path.exists(tree):
        return os.path.normpath(tree)
    return "librustgpt.so"


lib = ctypes.CDLL(_find_library())

c_void_p, c_char_p, c_int, c_double, c_size_t = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                                  ctypes.c_double, ctypes.c_size_t)

# Node kinds and statuses (rustgpt/flow.h, rustgpt.h).
NODE, BATCH, PARALLEL_BATCH, FLOW = 0, 1, 2, 3
OK, ERR_INVALID = 0, 3
ACTION_MAX = 64


class Ctx(ctypes.Structure):
    """rg_flow_ctx: what each callback is given."""
    _fields_ = [("node", c_void_p), ("name", c_char_p), ("params", c_void_p), ("store", c_void_p),
                ("user", c_void_p), ("attempt", c_int), ("item", c_int)]


PREP_FN = ctypes.CFUNCTYPE(c_int, ctypes.POINTER(Ctx), ctypes.POINTER(c_void_p))
EXEC_FN = ctypes.CFUNCTYPE(c_int, ctypes.POINTER(Ctx), c_void_p, ctypes.POINTER(c_void_p))
FALLBACK_FN = ctypes.CFUNCTYPE(c_int, ctypes.POINTER(Ctx), c_void_p, c_char_p, ctypes.POINTER(c_void_p))
POST_FN = ctypes.CFUNCTYPE(c_int, ctypes.POINTER(Ctx), c_void_p, c_void_p, c_void_p)
FREE_FN = ctypes.CFUNCTYPE(None, c_void_p)


class Ops(ctypes.Structure):
    """rg_flow_ops: a node's callbacks (NULL where Python does not override)."""
    _fields_ = [("prep", PREP_FN), ("exec", EXEC_FN), ("exec_fallback", FALLBACK_FN),
                ("post", POST_FN), ("free_user", FREE_FN)]


def _sig(name, res, *args):
    fn = getattr(lib, name)
    fn.restype = res
    fn.argtypes = list(args)
    return fn


P = ctypes.POINTER
rg_last_error = _sig("rg_last_error", c_char_p)
rg_flow_set_error = _sig("rg_flow_set_error", c_int, c_int, c_char_p)
rg_flow_store_new = _sig("rg_flow_store_new", c_int, P(c_void_p))
rg_flow_store_free = _sig("rg_flow_store_free", None, c_void_p)
rg_flow_store_set_json = _sig("rg_flow_store_set_json", c_int, c_void_p, c_char_p, c_char_p)
rg_flow_store_get_json = _sig("rg_flow_store_get_json", c_int, c_void_p, c_char_p, P(c_void_p))
rg_flow_store_has = _sig("rg_flow_store_has", c_int, c_void_p, c_char_p)
rg_flow_store_delete = _sig("rg_flow_store_delete", None, c_void_p, c_char_p)
rg_flow_store_dump = _sig("rg_flow_store_dump", c_int, c_void_p, c_int, P(c_void_p))
rg_flow_store_append = _sig("rg_flow_store_append", c_int, c_void_p, c_char_p, c_void_p)
rg_flow_store_add = _sig("rg_flow_store_add", c_int, c_void_p, c_char_p, c_double, P(c_double))
rg_flow_free_string = _sig("rg_flow_free_string", None, c_void_p)
rg_flow_graph_new = _sig("rg_flow_graph_new", c_int, P(c_void_p))
rg_flow_graph_free = _sig("rg_flow_graph_free", None, c_void_p)
rg_flow_node_new = _sig("rg_flow_node_new", c_int, c_void_p, c_char_p, c_int, P(Ops), c_void_p, P(c_void_p))
rg_flow_new = _sig("rg_flow_new", c_int, c_void_p, c_char_p, c_void_p, P(Ops), c_void_p, P(c_void_p))
rg_flow_set_start = _sig("rg_flow_set_start", c_int, c_void_p, c_void_p)
rg_flow_connect = _sig("rg_flow_connect", c_int, c_void_p, c_char_p, c_void_p)
rg_flow_set_params = _sig("rg_flow_set_params", c_int, c_void_p, c_void_p)
rg_flow_set_retries = _sig("rg_flow_set_retries", None, c_void_p, c_int, c_double)
rg_flow_set_threads = _sig("rg_flow_set_threads", None, c_void_p, c_int)
rg_flow_set_max_steps = _sig("rg_flow_set_max_steps", None, c_void_p, ctypes.c_long)
rg_flow_run = _sig("rg_flow_run", c_int, c_void_p, c_void_p, c_void_p, c_char_p, c_size_t)
rg_flow_validate = _sig("rg_flow_validate", c_int, c_void_p)
rg_flow_render = _sig("rg_flow_render", c_int, c_void_p, c_int, P(c_void_p))
rg_flow_transitions = _sig("rg_flow_transitions", ctypes.c_ulonglong)
rg_flow_file_free = _sig("rg_flow_file_free", None, c_void_p)
rg_flow_file_flow = _sig("rg_flow_file_flow", c_void_p, c_void_p)
rg_flow_file_init_store = _sig("rg_flow_file_init_store", c_int, c_void_p, c_void_p)
cJSON_Parse = _sig("cJSON_Parse", c_void_p, c_char_p)
cJSON_PrintUnformatted = _sig("cJSON_PrintUnformatted", c_void_p, c_void_p)
cJSON_Delete = _sig("cJSON_Delete", None, c_void_p)
cJSON_free = _sig("cJSON_free", None, c_void_p)


class FileOptions(ctypes.Structure):
    """rg_flow_file_options."""
    _fields_ = [("dir", c_char_p), ("model", c_char_p)]


rg_flow_file_load = _sig("rg_flow_file_load", c_int, c_char_p, P(FileOptions), P(c_void_p))


def take_string(ptr):
    """The text of a string the library returned, which is then freed."""
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        rg_flow_free_string(ptr)


def last_error():
    return (rg_last_error() or b"").decode("utf-8", "replace")
