// What the browser tests share: the suite's addresses (from the harness,
// tests/web_pages_browser_test.cc), a Chromium from Debian driven by
// playwright-core, axe-core with the WCAG 2.2 A and AA rules, screenshots at
// a desktop and a phone width, the SMTP sink's mail, and the API as an
// admin for setting up a session.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const BASE = process.env.BASE_URL;
export const BROKEN = process.env.BROKEN_URL;
export const LIMITED = process.env.LIMITED_URL;
const ADMIN_KEY = process.env.ADMIN_KEY;
const MAIL_DIR = process.env.MAIL_DIR;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export async function launch() {
  assert.ok(BASE && ADMIN_KEY && MAIL_DIR && SCREENSHOT_DIR,
            'run through web_pages_browser_test (it sets the environment)');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}

// A fresh visitor: no cookies.
export async function visitor(browser, { javaScript = true, viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport });
  const page = await context.newPage();
  return { context, page };
}

// axe-core on the page as it stands: zero violations of WCAG 2.2 A/AA.
export async function checkAccessibility(page, label) {
  const result = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `axe on ${label}`);
}

const shot = new Set();
// Screenshots at 1280 px and 375 px, full page, into the build folder.
export async function screenshot(page, name) {
  assert.ok(!shot.has(name), `screenshot name ${name} used twice`);
  shot.add(name);
  const size = page.viewportSize();
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await page.screenshot({
      path: path.join(SCREENSHOT_DIR, `${name}-${viewport.width}.png`),
      fullPage: true,
    });
  }
  await page.setViewportSize(size);
}

// Both checks for a page a person sees.
export async function review(page, name) {
  await checkAccessibility(page, name);
  await screenshot(page, name);
}

// Every message the sink holds for `address`, decoded enough to read.
function mailFor(address) {
  const index = path.join(MAIL_DIR, 'index.jsonl');
  if (!fs.existsSync(index)) return [];
  return fs.readFileSync(index, 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((entry) => (entry.rcpt_tos || []).includes(address))
    .map((entry) => fs.readFileSync(path.join(MAIL_DIR, entry.file), 'utf8')
      .replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g,
        (_, hex) => String.fromCharCode(parseInt(hex, 16))));
}

// Waits (a watchdog, not a timing claim) for mail to `address` holding
// `text`; returns it.
export async function waitForMail(address, text) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = mailFor(address).find((m) => m.includes(text));
    if (found) return found;
    assert.ok(Date.now() < deadline, `no mail to ${address} with ${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The manage link's path in a message: /manage/{reference}/{token}.
export function manageLinkPath(mail) {
  const match = mail.match(/\/manage\/([A-Z0-9]{8})\/([A-Za-z0-9_-]{20,})/);
  assert.ok(match, 'the mail has a manage link');
  return { path: match[0], reference: match[1], token: match[2] };
}

// The REST API as the demo admin.
export async function api(method, url, body, headers = {}) {
  const response = await fetch(BASE + url, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function availability(session) {
  const reply = await api('GET', `/v1/availability:batchGet?sessions=${encodeURIComponent(session)}`);
  return reply.availabilities[0];
}

// A new online session of `course` (the introduction unless given), `days`
// from now, with `capacity` places.
export async function newSession(days, capacity, course = 'intro-mi') {
  const start = new Date(Date.now() + days * 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + 3 * 3_600_000);
  const session = await api('POST', `/v1/courses/${course}/sessions`, {
    startTime: start.toISOString(), endTime: end.toISOString(),
    deliveryMode: 'ONLINE', capacity,
  });
  return session.name;
}

let people = 0;
// A person's answers, with an address no other test uses.
export function person(overrides = {}) {
  people += 1;
  return {
    full_name: `Alex Morgan ${people}`,
    email: `pw-${Date.now().toString(36)}-${people}@example.org`,
    organisation: 'Northshire Council',
    agency: 'Health',
    job_role: 'Health visitor',
    ...overrides,
  };
}

// Fills the booking form by its labels, as a person would.
export async function fillBookingForm(page, p) {
  await page.getByLabel('Full name').fill(p.full_name);
  await page.getByLabel('Work email address').fill(p.email);
  await page.getByLabel('Organisation').fill(p.organisation);
  await page.getByLabel(p.agency, { exact: true }).check();
  await page.getByLabel('Job title or role').fill(p.job_role);
  await page.getByLabel(/(I agree|My colleague agrees) to the partnership keeping/).check();
}

// Presses Tab (or Shift+Tab) until `wanted(focused)` holds, at most `max`
// times; `focused` describes document.activeElement.
export async function tabUntil(page, wanted, { max = 60, back = false } = {}) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e.tagName, id: e.id, text: (e.textContent || '').trim(), type: e.type || '' };
    });
    if (wanted(focused)) return focused;
  }
  assert.fail('the keyboard never reached the element');
}

// Books `session` through the API for a made-up person of `agency`
// (HEALTH unless given); the booking, manage token included.
export async function bookThroughApi(session, agencyType = 'HEALTH') {
  const p = person();
  return api('POST', '/v1/bookings', {
    session, attendee: {
      displayName: p.full_name, email: p.email, organisation: p.organisation,
      agencyType, jobRole: p.job_role, consentGiven: true,
    },
  }, { 'idempotency-key': crypto.randomUUID() });
}

// The booking as the holder of `token` sees it, through the API.
export async function bookingWithToken(reference, token) {
  const response = await fetch(`${BASE}/v1/bookings/${reference}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

// Cancels through the API as the holder of `token`.
export async function cancelWithToken(reference, token) {
  const response = await fetch(`${BASE}/v1/bookings/${reference}:cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(response.status, 200);
}
