// tests/interop/serve_clients.mjs — the official npm `openai` and `ollama`
// clients against a running `rustgpt serve` (tests/cli/serve_interop.sh).
// Usage: node serve_clients.mjs BASE_URL API_KEY MODEL
// Prints PASS/FAIL lines; every check names the behaviour it protects.
import OpenAI from "openai";
import { Ollama } from "ollama";

const [base, key, model] = process.argv.slice(2);
const check = (name, ok, detail = "") => console.log(ok ? `PASS ${name}` : `FAIL ${name}\n    ${detail}`);
const attempt = async (name, fn) => {
  try { await fn(); } catch (e) { check(name, false, String(e && e.stack || e).slice(0, 400)); }
};
const question = [{ role: "user", content: "what is ice ?" }];

const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0, timeout: 10000 });

await attempt("openai_models_list", async () => {
  const list = await openai.models.list();
  check("openai_models_list", list.data.some(m => m.id === model), JSON.stringify(list.data));
});
await attempt("openai_chat", async () => {
  const r = await openai.chat.completions.create({ model, messages: question, temperature: 0 });
  check("openai_chat", r.choices[0].message.content === "ice is frozen water." && r.usage.completion_tokens > 0,
        JSON.stringify(r));
});
await attempt("openai_chat_stream", async () => {
  const stream = await openai.chat.completions.create({ model, messages: question, temperature: 0, stream: true });
  let text = "", chunks = 0, finish = null;
  for await (const c of stream) {
    chunks++;
    text += c.choices[0]?.delta?.content ?? "";
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  check("openai_chat_stream", text === "ice is frozen water." && chunks >= 2 && finish === "stop",
        `${chunks} chunks: ${JSON.stringify(text)} finish ${finish}`);
});
await attempt("openai_completions", async () => {
  const r = await openai.completions.create({ model, prompt: "User: what is the sun ? Assistant:", temperature: 0 });
  check("openai_completions", r.choices[0].text === "the sun is a star.", JSON.stringify(r));
});
await attempt("openai_embeddings_base64_default", async () => {
  // The client asks for base64 unless told otherwise and decodes float32.
  const r = await openai.embeddings.create({ model, input: ["ice", "the sun"] });
  const v = r.data[0].embedding;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  check("openai_embeddings_base64_default", r.data.length === 2 && v.length > 0 && Math.abs(norm - 1) < 1e-3,
        `${r.data.length} vectors of ${v.length}, norm ${norm}`);
  const f = await openai.embeddings.create({ model, input: "ice", encoding_format: "float" });
  const same = f.data[0].embedding.every((x, i) => Math.abs(x - v[i]) < 1e-6);
  check("openai_embeddings_float_equals_base64", same);
});
await attempt("openai_bad_key_is_401", async () => {
  const bad = new OpenAI({ baseURL: `${base}/v1`, apiKey: "wrong-key", maxRetries: 0 });
  try {
    await bad.models.list();
    check("openai_bad_key_is_401", false, "no error");
  } catch (e) {
    check("openai_bad_key_is_401", e.status === 401 && /API key/.test(e.message), `${e.status} ${e.message}`);
  }
});

const ollama = new Ollama({ host: base, headers: { Authorization: `Bearer ${key}` } });
await attempt("ollama_list", async () => {
  const r = await ollama.list();
  check("ollama_list", r.models.some(m => m.name === model), JSON.stringify(r));
});
await attempt("ollama_chat_stream", async () => {
  let text = "", done = false;
  for await (const part of await ollama.chat({ model, messages: question, stream: true, options: { temperature: 0 } })) {
    text += part.message.content;
    done = part.done;
  }
  check("ollama_chat_stream", text === "ice is frozen water." && done, JSON.stringify(text));
});
await attempt("ollama_chat", async () => {
  const r = await ollama.chat({ model, messages: question, options: { temperature: 0 } });
  check("ollama_chat", r.message.content === "ice is frozen water." && r.done === true, JSON.stringify(r));
});
await attempt("ollama_generate", async () => {
  const r = await ollama.generate({ model, prompt: "User: what is the sun ? Assistant:", options: { temperature: 0 } });
  check("ollama_generate", r.response === "the sun is a star." && r.eval_count > 0, JSON.stringify(r));
});
await attempt("ollama_embed", async () => {
  const r = await ollama.embed({ model, input: ["ice", "sun"] });
  check("ollama_embed", r.embeddings.length === 2 && r.embeddings[0].length > 0, JSON.stringify(r).slice(0, 200));
});
