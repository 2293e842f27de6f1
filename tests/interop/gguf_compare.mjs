// gguf_compare.mjs — rustgpt against llama.cpp (node-llama-cpp) on GGUF
// files: the same tokenization, the same greedy continuation, and
// next-token probabilities within a tolerance. Used by
// tests/cli/gguf_llamacpp.sh.
//
//   node gguf_compare.mjs RUSTGPT STEPS NAME=FILE.gguf:TOL ...
//
// For each file: every text of TEXTS below is tokenized by both (without
// BOS: node-llama-cpp's tokenize adds none); then from the first text's
// ids both continue greedily for STEPS tokens (a near-tie, where llama.cpp's
// two best are within TOL, may end the comparison early), and at each step the
// probabilities llama.cpp gives its 5 most likely tokens are compared with
// rustgpt's for the same tokens (|p_rustgpt - p_llama.cpp| <= TOL). Prints
// "PASS name" / "FAIL name" lines (tests/run.sh counts them) and the
// largest difference seen.
import { execFileSync } from "node:child_process";

const [rustgpt, stepsArg, ...specs] = process.argv.slice(2);
const steps = Number(stepsArg);
const TEXTS = [
    "hello world, the quick brown fox",
    "the lazy dog jumps over every small model",
    "  two  spaces, tabs\tand ünïcödé bytes 日本",
    "llama",
];
const TOP = 5;

const { getLlama } = await import("node-llama-cpp");
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

function rust(args) {
    return execFileSync(rustgpt, args, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
}

// "# id:p id:p ...\nID\n" per step -> {greedy: [ID...], probs: [Map(id -> p)...]}
function parseRustSteps(text) {
    const greedy = [], probs = [];
    for (const line of text.trim().split("\n")) {
        if (line.startsWith("#")) {
            probs.push(new Map(line.slice(1).trim().split(" ").map((kv) => {
                const [id, p] = kv.split(":");
                return [Number(id), Number(p)];
            })));
        } else {
            greedy.push(Number(line));
        }
    }
    return { greedy, probs };
}

let failed = 0;
function report(ok, name, detail) {
    console.log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`);
    if (!ok) failed++;
}

for (const spec of specs) {
    const [name, rest] = spec.split("=");
    const [file, tolArg] = rest.split(":");
    const tol = Number(tolArg);
    const model = await llama.loadModel({ modelPath: file });

    // tokenization
    let tokOk = true, tokDetail = "";
    for (const text of TEXTS) {
        const ref = Array.from(model.tokenize(text));
        const ours = rust(["tokenize", "--model", file, "--ids", "--no-bos", text]).trim().split(/\s+/).filter((s) => s).map(Number);
        if (ref.join(" ") !== ours.join(" ")) {
            tokOk = false;
            tokDetail = `"${text}": llama.cpp ${ref.join(" ")} / rustgpt ${ours.join(" ")}`;
        }
    }
    report(tokOk, `gguf_tokenize_${name}`, tokDetail);

    // greedy continuation and probabilities
    const prompt = Array.from(model.tokenize(TEXTS[0]));
    const context = await model.createContext({ contextSize: 256, threads: 1, flashAttention: false });
    const seq = context.getSequence();
    const ref = { greedy: [], probs: [] };
    for await (const step of seq.evaluateWithMetadata(prompt, { probabilities: true },
                                                      { temperature: 0, yieldEogToken: true })) {
        ref.greedy.push(step.token);
        ref.probs.push([...step.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP));
        if (ref.greedy.length >= steps) break;
    }
    await context.dispose();
    const ours = parseRustSteps(rust(["generate", "--model", file, "--prompt-ids", prompt.join(" "),
                                      "--ids", "--probs", String(3 * TOP), "--max-tokens", String(steps)]));
    // The same continuation; or the same up to a step where llama.cpp's two
    // best tokens are within TOL of each other and rustgpt took the other
    // one of the two (a near-tie that rounding decides either way).
    let first = 0;
    while (first < steps && ref.greedy[first] === ours.greedy[first]) first++;
    let greedyOk = first >= steps && ref.greedy.length >= steps, greedyDetail = `${steps} tokens`;
    if (!greedyOk && first < ref.probs.length && ref.probs[first].length >= 2) {
        const [[a, pa], [b, pb]] = ref.probs[first];
        if (pa - pb <= tol && ours.greedy[first] === b && ref.greedy[first] === a) {
            greedyOk = true;
            greedyDetail = `${first} tokens, then a near-tie: llama.cpp p ${pa.toFixed(4)} vs ${pb.toFixed(4)}`;
        }
    }
    if (!greedyOk) greedyDetail = `llama.cpp ${ref.greedy.join(" ")} / rustgpt ${ours.greedy.join(" ")}`;
    report(greedyOk, `gguf_greedy_${name}`, greedyDetail);

    // probabilities, compared while both followed the same tokens
    let maxDiff = 0, compared = 0;
    for (let s = 0; s < Math.min(ref.probs.length, ours.probs.length); s++) {
        if (s > 0 && ref.greedy[s - 1] !== ours.greedy[s - 1]) break;
        const floor = Math.min(...ours.probs[s].values());
        for (const [id, p] of ref.probs[s]) {
            const q = ours.probs[s].has(id) ? ours.probs[s].get(id) : floor;
            if (!ours.probs[s].has(id) && p <= floor + tol) continue;   /* both small */
            maxDiff = Math.max(maxDiff, Math.abs(p - q));
            compared++;
        }
        if (process.env.GGUF_COMPARE_DEBUG)
            console.log(`  step ${s}: llama.cpp ${JSON.stringify(ref.probs[s])} rustgpt ${JSON.stringify([...ours.probs[s]].slice(0, TOP))}`);
    }
    report(compared > 0 && maxDiff <= tol, `gguf_probs_${name}`,
           `${compared} probabilities, max |diff| ${maxDiff.toExponential(2)}, tolerance ${tol}`);
    await model.dispose();
}
process.exit(failed ? 1 : 0);
