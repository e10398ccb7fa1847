// Drives headless Chromium (Debian's, via playwright-core) through the built site and prints
// one JSON report on stdout; the assertions live in tests/e2e/test_report.py.
//   node scripts/browse.mjs BASE_URL SCREENSHOT_DIR PATH...
// Per page: console errors, page errors, failed requests, requests that left BASE_URL, the
// page's text, how many canvases have drawn pixels, the text of SVG charts, and a full-page
// screenshot. On a ticker
// page it also clicks the "3 months" window and records the re-queried summary line.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, shots, ...paths] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
	executablePath,
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run']
});

// Canvases with at least one non-transparent pixel (ECharts draws on canvas).
const drawnCanvases = () =>
	[...document.querySelectorAll('canvas')].filter((c) => {
		try {
			const { width, height } = c;
			if (!width || !height) return false;
			const data = c.getContext('2d').getImageData(0, 0, width, height).data;
			for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
		} catch (e) {
			return false;
		}
		return false;
	}).length;

const report = { browser: browser.version(), pages: [] };
for (const path of paths) {
	const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
	const entry = { path, consoleErrors: [], pageErrors: [], failedRequests: [], outside: [], requests: 0 };
	page.on('console', (m) => { if (m.type() === 'error') entry.consoleErrors.push(m.text()); });
	page.on('pageerror', (e) => entry.pageErrors.push(String(e)));
	page.on('requestfailed', (r) => entry.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
	page.on('response', (r) => { if (r.status() >= 400) entry.failedRequests.push(`${r.url()}: HTTP ${r.status()}`); });
	page.on('request', (r) => {
		entry.requests += 1;
		const url = r.url();
		if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) entry.outside.push(url);
	});
	await page.goto(base + path, { waitUntil: 'networkidle' });
	await page.waitForTimeout(1500); // charts render after the data settles
	if (path.startsWith('/tickers/')) {
		const summary = page.locator('#window-summary');
		await page.waitForFunction(
			() => !(document.querySelector('#window-summary')?.innerText ?? '0').startsWith('0 sessions'),
			null,
			{ timeout: 30000 }
		).catch(() => {});
		entry.windowBefore = await summary.innerText();
		await page.getByRole('button', { name: '3 months', exact: true }).click();
		// The line reads "0 sessions, undefined…" while the new query loads: wait for its rows.
		await page.waitForFunction(
			(before) => {
				const text = document.querySelector('#window-summary')?.innerText ?? before;
				return text !== before && !text.startsWith('0 sessions');
			},
			entry.windowBefore,
			{ timeout: 30000 }
		).catch(() => {});
		await page.waitForTimeout(1500); // the charts redraw with them
		entry.windowAfter = await summary.innerText();
	}
	// Charts drawn as SVG (renderer=svg) carry their axis labels as text: each chart's
	// <text> elements, in order, keyed by the id of the element around it.
	entry.svgCharts = await page.evaluate(() =>
		[...document.querySelectorAll('svg')].filter((svg) => svg.querySelector('text')).map((svg) => ({
			id: svg.closest('[id]')?.id ?? null,
			texts: [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean)
		}))
	);
	entry.canvases = await page.locator('canvas').count();
	entry.drawnCanvases = await page.evaluate(drawnCanvases);
	entry.text = await page.locator('body').innerText();
	entry.screenshot = `${shots}/${path.replace(/^\/|\/$/g, '').replace(/\//g, '_') || 'home'}.png`;
	await page.screenshot({ path: entry.screenshot, fullPage: true });
	report.pages.push(entry);
	await page.close();
}
await browser.close();
process.stdout.write(JSON.stringify(report) + '\n');
