// tests/interop/serve_bench.mjs — `make bench-serve`: requests/s, generated
// tokens/s and time to first token at 1, 4 and 16 concurrent streams
// against a running `rustgpt serve` (scripts/bench_serve.sh starts it).
// Every request streams exactly TOKENS tokens (ignore_eos), greedy.
// Usage: node serve_bench.mjs BASE_URL TOKENS ROUNDS
const [base, tokensArg, roundsArg] = process.argv.slice(2);
const TOKENS = Number(tokensArg), ROUNDS = Number(roundsArg);

async function oneStream() {
  const t0 = performance.now();
  const r = await fetch(`${base}/v1/completions`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "User: what is ice ? Assistant:", max_tokens: TOKENS, temperature: 0,
                           ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
  });
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let ttft = 0, text = "", tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!ttft) ttft = performance.now() - t0;
    text += decoder.decode(value, { stream: true });
  }
  const m = text.match(/"completion_tokens":(\d+)/);
  tokens = m ? Number(m[1]) : 0;
  return { ms: performance.now() - t0, ttft, tokens };
}

const rows = [];
for (const streams of [1, 4, 16]) {
  await Promise.all(Array.from({ length: streams }, oneStream));     // warm-up, not counted
  const t0 = performance.now();
  const results = [];
  // Each of `streams` clients runs ROUNDS requests back to back.
  await Promise.all(Array.from({ length: streams }, async () => {
    for (let i = 0; i < ROUNDS; i++) results.push(await oneStream());
  }));
  const seconds = (performance.now() - t0) / 1000;
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  const ttfts = results.map(r => r.ttft).sort((a, b) => a - b);
  rows.push({ streams, requests: results.length, seconds, rps: results.length / seconds,
              tps: tokens / seconds, ttft_p50: ttfts[Math.floor(ttfts.length / 2)],
              ttft_max: ttfts[ttfts.length - 1], ms_per_request: results.reduce((s, r) => s + r.ms, 0) / results.length });
}
console.log("streams  requests  req/s   tokens/s  TTFT p50 ms  TTFT max ms  ms/request");
for (const r of rows)
  console.log(`${String(r.streams).padStart(7)}  ${String(r.requests).padStart(8)}  ${r.rps.toFixed(2).padStart(6)}  ` +
              `${r.tps.toFixed(1).padStart(8)}  ${r.ttft_p50.toFixed(1).padStart(11)}  ${r.ttft_max.toFixed(1).padStart(11)}  ` +
              `${r.ms_per_request.toFixed(1).padStart(10)}`);
console.log(`aggregate tokens/s at 16 streams / 1 stream: ${(rows[2].tps / rows[0].tps).toFixed(2)}x`);
console.log(JSON.stringify({ single_stream_ms_per_request: rows[0].ms_per_request }));
