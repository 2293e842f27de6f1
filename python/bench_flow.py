"""The Python half of `rustgpt bench flow`: the chain, the loop and the
CPU-bound parallel batch of src/cli/bench_flow.c written as rustgpt_flow
nodes, so that the cost of a ctypes callback per step, and the GIL, show
next to the C numbers. Prints its own lines; run it from the source tree:

    RUSTGPT_LIB=build/librustgpt.so python3 python/bench_flow.py [--seconds S]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rustgpt_flow import Flow, Node, ParallelBatchNode, transitions  # noqa: E402

CHAIN_NODES, LOOP_PASSES, BATCH_ITEMS = 1000, 20000, 16


class Step(Node):
    """A node whose post only chooses the action: one callback per step."""

    def post(self, shared, prep_res, exec_res):
        return None


class Loop(Node):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def post(self, shared, prep_res, exec_res):
        self.state[0] += 1
        return "again" if self.state[0] < LOOP_PASSES else "done"


class Work(ParallelBatchNode):
    def prep(self, shared):
        return list(range(BATCH_ITEMS))

    def exec(self, item):
        # The same kind of integer hashing as the C items, fewer rounds:
        # pure Python, so it holds the GIL while it runs.
        h = item + 1
        for i in range(200000):
            h = ((h ^ (h >> 29)) * 0xbf58476d1ce4e5b9 + i) & 0xffffffffffffffff
        return h & 0xffff


def rate(flow, seconds, shared=None):
    before, t0 = transitions(), time.perf_counter()
    while True:
        flow.run(shared if shared is not None else {})
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return (transitions() - before) / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=0.5)
    seconds = ap.parse_args().seconds

    nodes = [Step() for _ in range(CHAIN_NODES)]
    for a, b in zip(nodes, nodes[1:]):
        a >> b
    chain = rate(Flow(start=nodes[0]), seconds)

    state = [0]
    ping, pong = Loop(state), Loop(state)
    ping - "again" >> pong
    pong - "again" >> ping
    before, t0 = transitions(), time.perf_counter()
    Flow(start=ping).run({})
    loop = (transitions() - before) / (time.perf_counter() - t0)

    times = {}
    for threads in (1, 2):
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            Work(threads=threads).run({})
            best = min(best, time.perf_counter() - t0)
        times[threads] = best

    print("\nPython nodes (a ctypes callback per step)")
    print("  chain of %d nodes       %14s transitions/s" % (CHAIN_NODES, format(int(chain), ",")))
    print("  loop of 2 nodes          %14s transitions/s" % format(int(loop), ","))
    print("  parallel batch, %d CPU-bound Python items: 1 thread %.3f s, 2 threads %.3f s, speedup %.2fx (the GIL)"
          % (BATCH_ITEMS, times[1], times[2], times[1] / times[2]))


if __name__ == "__main__":
    main()
