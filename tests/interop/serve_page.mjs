// tests/interop/serve_page.mjs — the chat page of `rustgpt serve` in Debian's
// chromium, driven by playwright-core: the page loads with nothing fetched
// from elsewhere, lists the model, and a typed message gets a streamed reply
// with the tokens/s line. Usage: node serve_page.mjs BASE_URL
import { chromium } from "playwright-core";

const base = process.argv[2];
const check = (name, ok, detail = "") => console.log(ok ? `PASS ${name}` : `FAIL ${name}\n    ${detail}`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  const foreign = [];
  page.on("request", req => { if (!req.url().startsWith(base)) foreign.push(req.url()); });
  await page.goto(base + "/", { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#model").options.length > 0, null, { timeout: 10000 });
  check("page_lists_the_model", (await page.inputValue("#model")) === "tiny");
  // Count the text updates of the reply bubble: a streamed reply shows up
  // piece by piece (at least once before it is complete).
  await page.fill("#input", "what is ice ?");
  await page.press("#input", "Enter");
  await page.waitForFunction(() => /tokens\/s/.test(document.querySelector("#stats").textContent), null,
                             { timeout: 10000 });
  const reply = await page.textContent(".msg.assistant");
  check("page_streams_the_reply", reply === "ice is frozen water.", JSON.stringify(reply));
  const stats = await page.textContent("#stats");
  check("page_shows_tokens_per_second", /^\d+ tokens, [\d.]+ tokens\/s/.test(stats), stats);
  check("page_fetches_nothing_from_elsewhere", foreign.length === 0, foreign.join(" "));
} catch (e) {
  check("page_chat_works", false, String(e).slice(0, 400));
} finally {
  await browser.close();
}
