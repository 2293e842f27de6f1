// bench_llama.mjs — llama.cpp's embedding speed (node-llama-cpp), for
// `make bench-embed`: node bench_llama.mjs MODEL.gguf TEXTS.txt THREADS ROUNDS
// Prints "key value" lines like `rustgpt bench embed`: embeddings per
// second one text at a time (the embedding context evaluates one sequence
// per call), the same per CPU-second of the process, and the median
// latency. Loading is not timed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { getLlama } = await import(path.join(here, "../interop/node_modules/node-llama-cpp/dist/index.js"));
const [modelPath, textsPath, threads, rounds] = process.argv.slice(2);
const texts = fs.readFileSync(textsPath, "utf8").split("\n").filter((t) => t.length > 0);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const ctx = await model.createEmbeddingContext({ contextSize: 512, threads: Number(threads || 2) });
for (const t of texts.slice(0, 16)) await ctx.getEmbeddingFor(t);          // warm up
let best = 0, bestCpu = 0;
let lat = [];
for (let r = 0; r < Number(rounds || 3); r++) {
    lat = [];
    const start = performance.now(), cpuStart = process.cpuUsage();
    for (const t of texts) {
        const t0 = performance.now();
        await ctx.getEmbeddingFor(t);
        lat.push(performance.now() - t0);
    }
    best = Math.max(best, texts.length / ((performance.now() - start) / 1000));
    const cpu = process.cpuUsage(cpuStart);       // microseconds, every thread of the process
    bestCpu = Math.max(bestCpu, texts.length / ((cpu.user + cpu.system) / 1e6));
}
lat.sort((a, b) => a - b);
console.log(`llama_embed_per_s ${best.toFixed(1)}`);
console.log(`llama_embed_per_cpu_s ${bestCpu.toFixed(1)}`);
console.log(`llama_latency_ms ${lat[Math.floor(lat.length / 2)].toFixed(2)}`);
await ctx.dispose();
await model.dispose();
