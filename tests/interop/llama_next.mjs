// tests/interop/llama_next.mjs — what llama.cpp (node-llama-cpp) makes of a
// GGUF file: its tokenization of TEXT, its next-token probabilities after
// IDS (the 20 most probable), and its greedy continuation of IDS (N tokens).
//   node tests/interop/llama_next.mjs FILE.gguf TEXT "1 2 3" N
// prints one JSON object. Used by tests/cli/export.sh.
const [file, text, idsText, nText] = process.argv.slice(2);
const {getLlama} = await import("node-llama-cpp");
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: file});
const ids = idsText.trim().split(/\s+/).map(Number);
const result = {text_ids: Array.from(model.tokenize(text))};

let ctx = await model.createContext({contextSize: 256, threads: 1});
let seq = ctx.getSequence();
for await (const step of seq.evaluateWithMetadata(ids, {probabilities: true}, {temperature: 0})) {
    result.next = [...step.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
    break;
}
await ctx.dispose();
ctx = await model.createContext({contextSize: 256, threads: 1});
seq = ctx.getSequence();
result.greedy = [];
for await (const token of seq.evaluate(ids, {temperature: 0})) {
    result.greedy.push(token);
    if (result.greedy.length >= Number(nText)) break;
}
await ctx.dispose();
console.log(JSON.stringify(result));
await model.dispose();
await llama.dispose();
