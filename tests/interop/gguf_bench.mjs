// gguf_bench.mjs — llama.cpp's speed on a GGUF file, timed as rustgpt
// bench --model times itself (src/cli/api_bench.c runs this script):
//
//   node gguf_bench.mjs MODEL.gguf THREADS N_PROMPT N_GEN N_VOCAB
//
// prints {"load_s": ..., "pp_tps": ..., "tg_tps": ..., "pp_cpu_tps": ...,
// "tg_cpu_tps": ...}: the prompt of N_PROMPT tokens processed in one
// evaluation, then N_GEN tokens decoded one at a time (greedy), timed inside
// node so that loading is not counted; the _cpu_ rates are per second of
// this process's CPU time (process.cpuUsage), which other processes'
// load does not lower.
const [modelPath, threadsArg, nPromptArg, nGenArg, nVocabArg] = process.argv.slice(2);
const threads = Number(threadsArg), nPrompt = Number(nPromptArg), nGen = Number(nGenArg);
const nVocab = Number(nVocabArg);
const { getLlama } = await import("node-llama-cpp");
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
let t0 = performance.now();
const model = await llama.loadModel({ modelPath, useMmap: true });
const loadSeconds = (performance.now() - t0) / 1000;
const context = await model.createContext({ contextSize: nPrompt + nGen + 16, threads,
                                            batchSize: nPrompt, flashAttention: false });
const seq = context.getSequence();
// the prompt rustgpt uses too: token i is 3 + (i * 7919) mod (n_vocab - 3)
const prompt = Array.from({ length: nPrompt }, (_, i) => 3 + ((i * 7919) % (nVocab - 3)));

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
t0 = performance.now();
let c0 = cpuSeconds();
await seq.evaluateWithoutGeneratingNewTokens(prompt);
const ppSeconds = (performance.now() - t0) / 1000, ppCpu = cpuSeconds() - c0;

let n = 0;
t0 = performance.now();
c0 = cpuSeconds();
for await (const token of seq.evaluate([prompt[prompt.length - 1]], { temperature: 0, yieldEogToken: true })) {
    void token;
    if (++n >= nGen) break;
}
const tgSeconds = (performance.now() - t0) / 1000, tgCpu = cpuSeconds() - c0;
console.log(JSON.stringify({ load_s: loadSeconds, pp_tps: nPrompt / ppSeconds, tg_tps: n / tgSeconds,
                             pp_cpu_tps: nPrompt / ppCpu, tg_cpu_tps: n / tgCpu }));
await context.dispose();
await model.dispose();
