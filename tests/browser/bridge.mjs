// SPDX-License-Identifier: GPL-3.0-or-later
//
// A small bridge between the Python system tests (tests/system/browser.py)
// and a real browser: Debian's chromium, driven by playwright-core. It reads
// one JSON command per line on stdin and answers one JSON line on stdout:
//
//   {"id": 1, "cmd": "goto", "page": "main", "url": "http://..."}
//   -> {"id": 1, "ok": true, "value": ...}  or  {"id": 1, "ok": false, "error": "..."}
//
// Each named page has its own browser context (its own cookies), so one
// test can be the user in one page and the operator in another. Dialogs,
// console messages and page errors are recorded (dialogs dismissed) so a
// test can assert that nothing ran that should not have.
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const executablePath = process.env.DDNSD_CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
	executablePath,
	headless: true,
	// Containers run as root without user namespaces.
	args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

const pages = new Map();

async function newPage(name, width, height) {
	const old = pages.get(name);
	if (old) await old.context.close();
	const context = await browser.newContext({ viewport: { width, height } });
	const page = await context.newPage();
	const rec = { context, page, console: [], dialogs: [], errors: [], requests: [] };
	page.setDefaultTimeout(10000);
	page.on('console', (m) => rec.console.push({ type: m.type(), text: m.text() }));
	page.on('pageerror', (e) => rec.errors.push(String(e)));
	page.on('dialog', async (d) => {
		rec.dialogs.push({ type: d.type(), message: d.message() });
		// A confirmation the test asked for is accepted; anything else
		// (an alert a stored script would raise) is recorded and dismissed.
		if (d.type() === 'confirm' && rec.acceptConfirm) await d.accept();
		else await d.dismiss();
	});
	page.on('request', (r) => rec.requests.push(r.url()));
	pages.set(name, rec);
	return rec;
}

async function pageOf(msg) {
	const name = msg.page || 'main';
	return pages.get(name) || (await newPage(name, 1280, 900));
}

const commands = {
	async new_page(m) {
		await newPage(m.page || 'main', m.width || 1280, m.height || 900);
		return true;
	},
	async goto(m, r) {
		const resp = await r.page.goto(m.url, { waitUntil: 'load' });
		return resp ? { status: resp.status(), headers: await resp.allHeaders() } : null;
	},
	async reload(m, r) { await r.page.reload({ waitUntil: 'load' }); return true; },
	async fill(m, r) { await r.page.locator(m.selector).fill(m.value); return true; },
	async click(m, r) { await r.page.locator(m.selector).click(); return true; },
	async press(m, r) { await r.page.locator(m.selector).press(m.key); return true; },
	async keyboard(m, r) { await r.page.keyboard.press(m.key); return true; },
	async check(m, r) { await r.page.locator(m.selector).setChecked(m.value !== false); return true; },
	async select(m, r) { await r.page.locator(m.selector).selectOption(m.value); return true; },
	async text(m, r) { return await r.page.locator(m.selector).innerText(); },
	async texts(m, r) { return await r.page.locator(m.selector).allInnerTexts(); },
	async html(m, r) { return await r.page.locator(m.selector).innerHTML(); },
	async value(m, r) { return await r.page.locator(m.selector).inputValue(); },
	async attr(m, r) { return await r.page.locator(m.selector).getAttribute(m.name); },
	async count(m, r) { return await r.page.locator(m.selector).count(); },
	async visible(m, r) { return await r.page.locator(m.selector).isVisible(); },
	async wait_for(m, r) {
		await r.page.locator(m.selector).first().waitFor({ state: m.state || 'visible', timeout: m.timeout_ms || 10000 });
		return true;
	},
	// Waits until the element's text contains m.text; answers the text.
	async wait_text(m, r) {
		const loc = r.page.locator(m.selector).first();
		const deadline = Date.now() + (m.timeout_ms || 10000);
		let last = '';
		for (;;) {
			let found = true;
			try { last = await loc.innerText({ timeout: 1000 }); } catch { last = ''; found = false; }
			if (found && last.includes(m.text)) return last;
			if (Date.now() > deadline)
				throw new Error(`"${m.text}" did not appear in ${m.selector} within ${m.timeout_ms || 10000} ms; it says: ${last}`);
			await new Promise((ok) => setTimeout(ok, 100));
		}
	},
	// Clicks selector and saves the download it starts to m.path.
	async download(m, r) {
		const [dl] = await Promise.all([r.page.waitForEvent('download'), r.page.locator(m.selector).click()]);
		await dl.saveAs(m.path);
		return dl.suggestedFilename();
	},
	async url(m, r) { return r.page.url(); },
	async eval(m, r) { return await r.page.evaluate(m.expr); },
	async screenshot(m, r) {
		await r.page.screenshot({ path: m.path, fullPage: m.full_page !== false });
		return m.path;
	},
	async viewport(m, r) { await r.page.setViewportSize({ width: m.width, height: m.height }); return true; },
	async cookies(m, r) { return await r.context.cookies(); },
	async accept_confirm(m, r) { r.acceptConfirm = m.value !== false; return true; },
	async grant_clipboard(m, r) {
		await r.context.grantPermissions(['clipboard-read', 'clipboard-write']);
		return true;
	},
	// What the page did that a test may want to see: console lines,
	// dialogs, uncaught errors, and the hosts of every request it made.
	async events(m, r) {
		const out = { console: r.console, dialogs: r.dialogs, errors: r.errors, requests: r.requests };
		if (m.clear) { r.console = []; r.dialogs = []; r.errors = []; r.requests = []; }
		return out;
	},
	async focused(m, r) {
		return await r.page.evaluate(() => {
			const e = document.activeElement;
			return e ? { tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').slice(0, 80) } : null;
		});
	},
};

function answer(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
	if (!line.trim()) continue;
	let msg;
	try { msg = JSON.parse(line); } catch (e) { answer({ id: null, ok: false, error: `not JSON: ${e}` }); continue; }
	if (msg.cmd === 'quit') { answer({ id: msg.id, ok: true, value: true }); break; }
	const fn = commands[msg.cmd];
	if (!fn) { answer({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` }); continue; }
	try {
		const rec = msg.cmd === 'new_page' ? null : await pageOf(msg);
		const value = await fn(msg, rec);
		answer({ id: msg.id, ok: true, value: value === undefined ? null : value });
	} catch (e) {
		answer({ id: msg.id, ok: false, error: String(e && e.message || e) });
	}
}
await browser.close();
process.exit(0);
