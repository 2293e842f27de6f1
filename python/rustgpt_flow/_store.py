"""The shared store as Python sees it, and values across the boundary.

A node's values cross into the C engine as JSON (cJSON trees made by the
library's own cJSON); values that JSON cannot hold (an open file, a model
object) cross as handles into a table kept here, so any object can flow
between prep, exec and post. Store is the dict-like face of the engine's
thread-safe JSON store.
"""
import ctypes
import itertools
import json

from . import _lib


class FlowError(RuntimeError):
    """A failure the engine reported (its message names the node and step)."""


# ---- values across the boundary ---------------------------------------------

_handle_ids = itertools.count(1)
_objects = {}              # handle -> object: values JSON cannot hold
_HANDLE = "$py"


def _handle(obj):
    n = next(_handle_ids)
    _objects[n] = obj
    return {_HANDLE: n}


def _jsonable(obj):
    """obj with every part JSON cannot hold replaced by a handle."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x) for x in obj]
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {k: _jsonable(v) for k, v in obj.items()}
    return _handle(obj)


def _dumps(obj):
    try:
        return json.dumps(obj)
    except (TypeError, ValueError):
        return json.dumps(_jsonable(obj))


def _unhandle(d):
    if len(d) == 1 and _HANDLE in d:
        return _objects.get(d[_HANDLE])
    return d


def _loads(text):
    return json.loads(text, object_hook=_unhandle)


def _to_cjson(obj):
    """A new cJSON tree for obj (NULL for None: the engine reads it as null)."""
    if obj is None:
        return None
    return _lib.cJSON_Parse(_dumps(obj).encode("utf-8"))


def _from_cjson(ptr):
    if not ptr:
        return None
    text = _lib.cJSON_PrintUnformatted(ptr)
    try:
        return _loads(ctypes.string_at(text).decode("utf-8"))
    finally:
        _lib.cJSON_free(text)


# ---- the shared store --------------------------------------------------------

class Store:
    """The engine's shared store as a dict-like object: store["k"] = v,
    store["k"], "k" in store, del store["k"], keys(), items(), get(), update().
    Every access copies the value in or out, under the engine's lock."""

    def __init__(self, handle=None):
        self._owned = handle is None
        if handle is None:
            ptr = ctypes.c_void_p()
            _check(_lib.rg_flow_store_new(ctypes.byref(ptr)))
            handle = ptr.value
        self._handle = handle

    def __del__(self):
        if getattr(self, "_owned", False) and self._handle:
            _lib.rg_flow_store_free(self._handle)
            self._handle = None

    def __getitem__(self, key):
        out = ctypes.c_void_p()
        if _lib.rg_flow_store_get_json(self._handle, key.encode("utf-8"), ctypes.byref(out)) != _lib.OK:
            raise KeyError(key)
        return _loads(_lib.take_string(out.value))

    def __setitem__(self, key, value):
        _check(_lib.rg_flow_store_set_json(self._handle, key.encode("utf-8"), _dumps(value).encode("utf-8")))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        _lib.rg_flow_store_delete(self._handle, key.encode("utf-8"))

    def __contains__(self, key):
        return bool(_lib.rg_flow_store_has(self._handle, key.encode("utf-8")))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self):
        out = ctypes.c_void_p()
        _check(_lib.rg_flow_store_dump(self._handle, 0, ctypes.byref(out)))
        return _loads(_lib.take_string(out.value))

    def keys(self):
        return self.to_dict().keys()

    def items(self):
        return self.to_dict().items()

    def values(self):
        return self.to_dict().values()

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.to_dict())

    def update(self, other=(), **kw):
        for k, v in dict(other, **kw).items():
            self[k] = v

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def append(self, key, value):
        """Append value to the list at key in one step (safe across threads)."""
        tree = _to_cjson(value)
        try:
            _check(_lib.rg_flow_store_append(self._handle, key.encode("utf-8"), tree))
        finally:
            _lib.cJSON_Delete(tree)

    def add(self, key, delta=1):
        """Add delta to the number at key in one step; returns the new value."""
        result = ctypes.c_double()
        _check(_lib.rg_flow_store_add(self._handle, key.encode("utf-8"), delta, ctypes.byref(result)))
        return result.value

    def __repr__(self):
        return "Store(%r)" % (self.to_dict(),)


def _check(status):
    if status != _lib.OK:
        raise FlowError(_lib.last_error())
