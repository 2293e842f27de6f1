// tests/interop/serve_load.mjs — autocannon against `rustgpt serve`: 32
// connections cycling through a chat completion and an embedding request
// for SECONDS (scripts/load_serve.sh). Prints statuses and errors; exits 1
// when any response is neither 2xx nor a deliberate 503/429, or a request
// failed at the socket level. Usage: node serve_load.mjs BASE SECONDS [PID]
import autocannon from "autocannon";
import fs from "node:fs";

const [base, seconds, pid] = process.argv.slice(2);
const rssSamples = [];
const sampler = pid ? setInterval(() => {
  const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  if (m) rssSamples.push(Number(m[1]));
}, 5000) : null;
const statuses = {};
const result = await autocannon({
  url: base, connections: 32, duration: Number(seconds), timeout: 30,
  requests: [
    { method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "what is ice ?" }], max_tokens: 16, temperature: 0.7 }) },
    { method: "POST", path: "/v1/embeddings", headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: ["ice is frozen water", "the sun is a star"] }) },
  ],
  setupClient: client => client.on("response", (status) => { statuses[status] = (statuses[status] || 0) + 1; }),
});
if (sampler) clearInterval(sampler);
const bad = Object.entries(statuses).filter(([s]) => !(s.startsWith("2") || s === "503" || s === "429"))
  .reduce((n, [, c]) => n + c, 0);
console.log(`requests: ${result.requests.total} in ${result.duration} s (${result.requests.average} req/s), ` +
            `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
console.log(`statuses: ${JSON.stringify(statuses)}; socket errors ${result.errors}, timeouts ${result.timeouts}`);
if (rssSamples.length) console.log(`resident memory every 5 s (kB): ${rssSamples.join(" ")}`);
console.log(bad + result.errors + result.timeouts === 0 ? "no failed request" : `FAILED requests: ${bad + result.errors + result.timeouts}`);
process.exit(bad + result.errors + result.timeouts === 0 ? 0 : 1);
