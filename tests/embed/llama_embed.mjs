// llama_embed.mjs — llama.cpp's embeddings (through node-llama-cpp) for the
// embedding checks: node llama_embed.mjs MODEL.gguf INPUT.json
// INPUT.json is a list of items, each a string (a text) or {"text", "max"}:
// the text's tokens cut to max, keeping the closing [SEP] (as rustgpt
// truncates). Prints one JSON line per
// item: {"tokens": [...], "vector": [...]}, the vector pooled as the file
// declares and not normalised; tokens as the embedding context feeds them.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { getLlama } = await import(path.join(here, "../interop/node_modules/node-llama-cpp/dist/index.js"));
const [modelPath, inputPath, ctxSize] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const ctx = await model.createEmbeddingContext({ contextSize: Number(ctxSize || 512), threads: 2 });
const items = JSON.parse(fs.readFileSync(inputPath, "utf8"));
const wpm = model.vocabularyType === "wpm";
for (const item of items) {
    const text = typeof item === "string" ? item : item.text;
    let tokens = Array.from(model.tokenize(text));
    if (wpm) {
        if (tokens[0] !== model.tokens.bos) tokens.unshift(model.tokens.bos);
        if (tokens.at(-1) !== model.tokens.sep) tokens.push(model.tokens.sep);
    } else if (model.tokens.shouldPrependBosToken && tokens[0] !== model.tokens.bos) {
        tokens.unshift(model.tokens.bos);
    }
    if (typeof item !== "string" && tokens.length > item.max) {
        const last = tokens.at(-1);
        tokens = tokens.slice(0, wpm ? item.max - 1 : item.max);
        if (wpm) tokens.push(last);
    }
    const e = await ctx.getEmbeddingFor(typeof item === "string" ? item : tokens);
    console.log(JSON.stringify({ tokens, vector: Array.from(e.vector) }));
}
await ctx.dispose();
await model.dispose();
