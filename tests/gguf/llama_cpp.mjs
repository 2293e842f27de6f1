// tests/gguf/llama_cpp.mjs — ask llama.cpp (npm node-llama-cpp, prebuilt,
// CPU only) about GGUF files, for the interop tests.
//
//   node tests/gguf/llama_cpp.mjs TEXT N MODEL.gguf...
//
// prints one JSON line per model, in order:
//   {"tokens": [...], "greedy": [N ids], "top": [[id, p] x5]}
// — the tokenization of TEXT, the greedy continuation of N tokens and the
// five most likely first tokens with their probabilities; for a bert
// (embedding) file {"tokens": [...], "embedding": [first 4 values]}; for a
// file llama.cpp refuses {"error": "..."}. One process for every model,
// because starting llama.cpp costs seconds.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../interop/package.json"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const [text, nArg, ...models] = process.argv.slice(2);
const n = Number(nArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

async function ask(modelPath) {
    const model = await llama.loadModel({ modelPath });
    try {
        const tokens = Array.from(model.tokenize(text));
        if (model.fileInfo.metadata.general.architecture === "bert") {
            const ctx = await model.createEmbeddingContext({ contextSize: 256 });
            const e = await ctx.getEmbeddingFor(text);
            await ctx.dispose();
            return { tokens, embedding: Array.from(e.vector.slice(0, 4)) };
        }
        const ctx = await model.createContext({ contextSize: 256, threads: 2 });
        const seq = ctx.getSequence();
        const greedy = [];
        let top = null;
        for await (const r of seq.evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 0 })) {
            if (!top) top = [...r.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
            greedy.push(r.token);
            if (greedy.length >= n) break;
        }
        await ctx.dispose();
        return { tokens, greedy, top };
    } finally {
        await model.dispose();
    }
}

for (const m of models) {
    let out;
    try {
        out = await ask(m);
    } catch (e) {
        out = { error: String(e && e.message ? e.message : e) };
    }
    console.log(JSON.stringify(out));
}
process.exit(0);
