// tests/interop/serve_bench.mjs — `make bench-serve`: requests/s, generated
// tokens/s and time to first token at 1, 4 and 16 concurrent streams
// against a running `rustgpt serve` (scripts/bench_serve.sh starts it).
// Every request streams exactly TOKENS tokens (ignore_eos), greedy.
//
// On a shared machine one measurement says as much about the neighbours as
// about the server, so the three levels are run CYCLES times and each
// level's best cycle is reported, with the load average of each cycle. The
// server's CPU time (utime + stime of SERVER_PID, from /proc) gives tokens
// per CPU-second, which other programs on the machine barely change: it is
// the cost of a token, and batching is what lowers it.
// Usage: node serve_bench.mjs BASE_URL TOKENS ROUNDS CYCLES SERVER_PID CLK_TCK
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

const [base, tokensArg, roundsArg, cyclesArg, pidArg, tickArg] = process.argv.slice(2);
const TOKENS = Number(tokensArg), ROUNDS = Number(roundsArg), CYCLES = Number(cyclesArg ?? 1);
const TICK = Number(tickArg ?? 100);

// CPU seconds the server has used so far (fields 14 and 15 of /proc/PID/stat,
// counted after the ")" that closes the command name).
function serverCpu() {
  if (!pidArg) return NaN;
  const stat = readFileSync(`/proc/${pidArg}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function oneStream() {
  const t0 = performance.now();
  const r = await fetch(`${base}/v1/completions`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "User: what is ice ? Assistant:", max_tokens: TOKENS, temperature: 0,
                           ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
  });
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let ttft = 0, text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!ttft) ttft = performance.now() - t0;
    text += decoder.decode(value, { stream: true });
  }
  const m = text.match(/"completion_tokens":(\d+)/);
  return { ms: performance.now() - t0, ttft, tokens: m ? Number(m[1]) : 0 };
}

// One level: the same 16 * ROUNDS requests at every level, shared by
// `streams` clients that each run their part back to back (the levels then
// do the same work, and even one stream runs long enough to be timed).
async function level(streams) {
  await Promise.all(Array.from({ length: streams }, oneStream));     // warm-up, not counted
  const cpu0 = serverCpu(), t0 = performance.now();
  const results = [];
  await Promise.all(Array.from({ length: streams }, async () => {
    for (let i = 0; i < (16 / streams) * ROUNDS; i++) results.push(await oneStream());
  }));
  const seconds = (performance.now() - t0) / 1000, cpu = serverCpu() - cpu0;
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  const ttfts = results.map(r => r.ttft).sort((a, b) => a - b);
  return { streams, requests: results.length, seconds, rps: results.length / seconds,
           tps: tokens / seconds, cpu, tpc: tokens / cpu, ttft_p50: ttfts[Math.floor(ttfts.length / 2)],
           ttft_max: ttfts[ttfts.length - 1], ms_per_request: results.reduce((s, r) => s + r.ms, 0) / results.length };
}

const head = "streams  requests  req/s   tokens/s  TTFT p50 ms  TTFT max ms  ms/request  server CPU s  tokens/CPU-s";
const line = r =>
  `${String(r.streams).padStart(7)}  ${String(r.requests).padStart(8)}  ${r.rps.toFixed(2).padStart(6)}  ` +
  `${r.tps.toFixed(1).padStart(8)}  ${r.ttft_p50.toFixed(1).padStart(11)}  ${r.ttft_max.toFixed(1).padStart(11)}  ` +
  `${r.ms_per_request.toFixed(1).padStart(10)}  ${r.cpu.toFixed(2).padStart(12)}  ${r.tpc.toFixed(0).padStart(12)}`;

const cycles = [];
for (let c = 0; c < CYCLES; c++) {
  const rows = [];
  for (const streams of [1, 4, 16]) rows.push(await level(streams));
  cycles.push(rows);
  console.log(`cycle ${c + 1} of ${CYCLES} (load average ${loadavg()[0].toFixed(2)}):`);
  console.log(head);
  for (const r of rows) console.log(line(r));
  console.log(`  16 streams / 1 stream: ${(rows[2].tps / rows[0].tps).toFixed(2)}x tokens/s, ` +
              `${(rows[2].tpc / rows[0].tpc).toFixed(2)}x tokens/CPU-s`);
}
// Each level's best cycle (highest tokens/s; its own CPU figures with it).
const best = [0, 1, 2].map(i => cycles.map(rows => rows[i]).reduce((a, b) => (b.tps > a.tps ? b : a)));
console.log(`best of ${CYCLES} cycles:`);
console.log(head);
for (const r of best) console.log(line(r));
const bestCpu = i => Math.max(...cycles.map(rows => rows[i].tpc));
console.log(`aggregate tokens/s at 16 streams / 1 stream: ${(best[2].tps / best[0].tps).toFixed(2)}x (best cycles); ` +
            `tokens per server CPU-second: ${(bestCpu(2) / bestCpu(0)).toFixed(2)}x`);
