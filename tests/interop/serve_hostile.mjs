// tests/interop/serve_hostile.mjs — raw-socket abuse of `rustgpt serve`:
// slow drip, half-closed sockets, bodies that lie about their length,
// oversized headers. After each, a normal request must still be answered.
// Usage: node serve_hostile.mjs PORT TIMEOUT_SECONDS
import net from "node:net";

const port = Number(process.argv[2]);
const timeoutS = Number(process.argv[3]);
const check = (name, ok, detail = "") => console.log(ok ? `PASS ${name}` : `FAIL ${name}\n    ${detail}`);
const sleep = ms => new Promise(r => setTimeout(r, ms));

// Send chunks (with pauses), optionally half-close; resolve with what the
// server sent back and whether it closed, or give up after waitMs.
function exchange(chunks, { pauseMs = 0, halfClose = false, waitMs = 3000 } = {}) {
  return new Promise(resolve => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "", closed = false;
    const finish = () => { sock.destroy(); resolve({ data, closed }); };
    const timer = setTimeout(finish, waitMs);
    sock.on("data", d => { data += d; });
    sock.on("error", () => {});
    sock.on("close", () => { closed = true; clearTimeout(timer); finish(); });
    sock.on("connect", async () => {
      for (const c of chunks) {
        if (sock.destroyed) return;
        sock.write(c);
        if (pauseMs) await sleep(pauseMs);
      }
      if (halfClose) sock.end();
    });
  });
}
const status = r => Number((r.data.match(/^HTTP\/1\.1 (\d{3})/) || [])[1] || 0);
async function stillServing(name) {
  const r = await exchange(["GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
  check(`${name}_then_still_serving`, status(r) === 200, r.data.slice(0, 100));
}

// A slow drip: one header byte every 100 ms; meanwhile others are served,
// and the server hangs up on the drip after its idle timeout.
{
  const request = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n";
  const drip = exchange(request.split(""), { pauseMs: Math.ceil((timeoutS * 1000 + 1500) / request.length), waitMs: timeoutS * 1000 + 4000 });
  await sleep(300);
  await stillServing("slow_drip_does_not_block_others");
  const r = await drip;
  check("slow_drip_is_cut_off", r.closed && status(r) === 0, JSON.stringify(r.data.slice(0, 80)));
}
// A body shorter than its Content-Length: the server waits, then times out.
{
  const started = Date.now();
  const r = await exchange(["POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"prompt\":"],
                           { waitMs: timeoutS * 1000 + 4000 });
  const took = (Date.now() - started) / 1000;
  check("short_body_times_out", r.closed && took < timeoutS + 3, `closed ${r.closed} after ${took} s`);
  await stillServing("short_body");
}
// A body longer than its Content-Length: the declared part is the body (bad
// JSON: 400), the rest is a malformed next request (400).
{
  const r = await exchange(["POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{\"prompt\":\"ice\",\"max_tokens\":3}"]);
  check("long_body_gets_400", status(r) === 400, r.data.slice(0, 120));
  await stillServing("long_body");
}
// Half-closed: the request is complete, then the client shuts its side.
{
  const r = await exchange(["GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"], { halfClose: true });
  check("half_closed_socket_gets_its_answer_or_a_close", status(r) === 200 || r.closed, r.data.slice(0, 80));
  await stillServing("half_closed");
}
// A 100 KB header: refused by MHD's per-connection memory limit.
{
  const r = await exchange([`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`]);
  const s = status(r);
  check("huge_header_is_refused", s === 431 || s === 400 || s === 413 || (s === 0 && r.closed), `status ${s}`);
  await stillServing("huge_header");
}
// Garbage instead of HTTP.
{
  const r = await exchange(["\x16\x03\x01\x02\x00 not http at all\r\n\r\n"]);
  check("garbage_is_400_or_closed", status(r) === 400 || r.closed, r.data.slice(0, 80));
  await stillServing("garbage");
}
