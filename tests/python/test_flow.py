"""The Python face of flows (python/rustgpt_flow): MinLLM's API over the C
engine. Run by tests/cli/python_flow.sh (`python3 -m unittest`)."""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from rustgpt_flow import (BatchNode, Flow, FlowError, Node, ParallelBatchNode, Store,  # noqa: E402
                          render, run_file, transitions)


class Record(Node):
    """Appends its name to shared["trace"]; returns shared["route"] once if set."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def post(self, shared, prep_res, exec_res):
        shared["trace"] = shared.get("trace", []) + [self.name]
        return shared.get("route")


class TestRouting(unittest.TestCase):
    def test_default_and_named_actions(self):
        a, b, c, d = Record("a"), Record("b"), Record("c"), Record("d")
        a >> b >> d
        a - "other" >> c
        flow = Flow(start=a)
        shared = {}
        self.assertEqual(flow.run(shared), "default")
        self.assertEqual(shared["trace"], ["a", "b", "d"])
        shared = {"route": "other"}
        # c has no successor for "other": the flow ends there and returns it.
        self.assertEqual(flow.run(shared), "other")
        self.assertEqual(shared["trace"], ["a", "c"])

    def test_loop_with_step_limit(self):
        class Count(Node):
            def post(self, shared, p, e):
                shared["n"] = shared.get("n", 0) + 1
                return "again" if shared["n"] < 5 else "done"
        count = Count()
        count - "again" >> count
        shared = {}
        self.assertEqual(Flow(start=count).run(shared), "done")
        self.assertEqual(shared["n"], 5)
        with self.assertRaises(FlowError) as cm:
            Flow(start=count, max_steps=3).run({})
        self.assertIn("more than 3 steps", str(cm.exception))


class TestRetries(unittest.TestCase):
    def test_retry_then_succeed_and_fallback(self):
        class Flaky(Node):
            calls = 0

            def exec(self, _):
                Flaky.calls += 1
                if self.cur_retry < 2:
                    raise ValueError("not yet")
                return "ok after %d" % self.cur_retry

            def post(self, shared, p, e):
                shared["r"] = e
        shared = {}
        Flaky(max_retries=3).run(shared)
        self.assertEqual(shared["r"], "ok after 2")

        class Fallback(Flaky):
            def exec_fallback(self, prep_res, exc):
                return "fallback: %s" % exc
        shared = {}
        t0 = time.time()
        Fallback(max_retries=2, wait=0.02).run(shared)
        self.assertEqual(shared["r"], "fallback: not yet")
        self.assertGreaterEqual(time.time() - t0, 0.015)

    def test_original_exception_is_raised(self):
        class Boom(Node):
            def exec(self, _):
                raise KeyError("missing thing")
        with self.assertRaises(KeyError):
            Flow(start=Boom(max_retries=2)).run({})


class TestNesting(unittest.TestCase):
    def test_flow_in_flow_and_params(self):
        class Greet(Node):
            def prep(self, shared):
                return self.params.get("who", "nobody")

            def exec(self, who):
                return "hello " + who

            def post(self, shared, p, e):
                shared["greeting"] = e
                return "greeted"
        inner = Flow(start=Greet())
        after = Record("after")
        inner - "greeted" >> after
        outer = Flow(start=inner)
        shared = {}
        outer.run(shared)
        self.assertEqual(shared["greeting"], "hello nobody")
        self.assertEqual(shared["trace"], ["after"])
        outer.set_params({"who": "flow"})
        outer.run(shared)
        self.assertEqual(shared["greeting"], "hello flow")


class TestBatches(unittest.TestCase):
    def test_batch_and_parallel_keep_order(self):
        class Square(BatchNode):
            def prep(self, shared):
                return shared["items"]

            def exec(self, x):
                return x * x

            def post(self, shared, p, e):
                shared["out"] = e

        class SlowSquare(ParallelBatchNode):
            prep = Square.prep
            post = Square.post

            def exec(self, x):
                time.sleep(0.002 * (x % 3))
                return (x * x, threading.get_ident())
        for node in (Square(), SlowSquare(threads=4)):
            shared = {"items": list(range(30))}
            node.run(shared)
            values = [v[0] if isinstance(v, list) else v for v in shared["out"]]
            self.assertEqual(values, [x * x for x in range(30)])

    def test_objects_json_cannot_hold_pass_through(self):
        class Opaque:
            def __init__(self, n):
                self.n = n

        class Make(BatchNode):
            def prep(self, shared):
                return [Opaque(i) for i in range(3)]

            def exec(self, item):
                return item.n + 1

            def post(self, shared, p, e):
                shared["n"] = e
                shared["first"] = p[0]
        shared = {}
        Make().run(shared)
        self.assertEqual(shared["n"], [1, 2, 3])
        self.assertIsInstance(shared["first"], Opaque)


class TestStore(unittest.TestCase):
    def test_dict_like_and_concurrent(self):
        s = Store()
        s["a"] = {"b": [1, 2]}
        self.assertEqual(s["a"], {"b": [1, 2]})
        self.assertIn("a", s)
        self.assertNotIn("z", s)
        with self.assertRaises(KeyError):
            s["z"]
        s.update(c=3)
        self.assertEqual(sorted(s.keys()), ["a", "c"])
        del s["c"]
        self.assertEqual(len(s), 1)

        def work():
            for i in range(200):
                s.append("list", i)
                s.add("count")
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(s["list"]), 800)
        self.assertEqual(s["count"], 800)

    def test_render_and_counter(self):
        a, b = Record("a"), Record("b")
        a - "go" >> b
        text = render(Flow(start=a))
        self.assertIn("-->|go|", text)
        before = transitions()
        Flow(start=a).run({})
        self.assertEqual(transitions() - before, 2)   # the flow and node a


class TestFlowFile(unittest.TestCase):
    def test_run_file(self):
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "cli", "flows", "demo.json")
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            result = run_file(path, {"name": "python"}, dir=d)
            self.assertEqual(result["report"], "hello python: (no list)")
            with open(os.path.join(d, "out", "report.txt")) as f:
                self.assertEqual(f.read(), "hello python: (no list)\n")
            with self.assertRaises(FlowError) as cm:
                run_file(path)
            self.assertIn("write_file needs a directory", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
