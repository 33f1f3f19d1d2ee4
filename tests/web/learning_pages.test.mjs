// The learning material in Chromium against the real suite with its seed
// articles: the list, search with marked words, an article, and a
// pre-course article refused to a stranger and shown to the holder of a
// confirmed booking's manage link; and "get in touch", whose question
// reaches the training team's address. axe-core on each page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BASE, bookThroughApi, launch, newSession, review, visitor, waitForMail,
} from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe('the learning material', () => {
  test('lists, searches with the words marked, and opens an article', async () => {
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/`);
    await page.getByRole('link', { name: 'Learning material' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Learning material');
    assert.ok(await page.locator('.app-session-list__item').count() > 0);
    await review(page, 'learning');
    await page.getByLabel('Search the learning material').fill('empathy');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.match(page.url(), /q=empathy/);
    const marks = await page.locator('mark').allTextContents();
    assert.ok(marks.some((m) => /empath/i.test(m)), `marked: ${marks}`);
    await review(page, 'learning-search');
    await page.locator('.app-session-list__item').first().getByRole('link').click();
    assert.match(page.url(), /\/learning\/[a-z0-9-]+$/);
    assert.ok((await page.locator('.app-prose').textContent()).length > 100);
    await review(page, 'article');
    await context.close();
  });

  test('pre-course reading is for people booked, and opens with the booking link', async () => {
    const stranger = await visitor(browser);
    const refused = await stranger.page.goto(`${BASE}/learning/before-your-workshop`);
    assert.equal(refused.status(), 403);
    assert.equal(await stranger.page.locator('h1').textContent(), 'This reading is for people booked on the course');
    await review(stranger.page, 'article-restricted');
    await stranger.context.close();

    const booked = await bookThroughApi(await newSession(61, 5));
    const holder = await visitor(browser);
    await holder.page.goto(`${BASE}/manage/${booked.reference}/${booked.manageToken}`);
    const opened = await holder.page.goto(`${BASE}/learning/before-your-workshop`);
    assert.equal(opened.status(), 200);
    assert.match(await holder.page.locator('.govuk-tag').first().textContent(), /booked on the course/);
    await review(holder.page, 'article-for-booked');
    await holder.context.close();
  });
});

describe('get in touch', () => {
  test('a question reaches the training team; mistakes are shown first', async () => {
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/`);
    await page.getByRole('link', { name: 'Get in touch' }).click();
    await review(page, 'contact');
    await page.getByRole('button', { name: 'Send your question' }).click();
    assert.match(await page.title(), /^Error: /);
    assert.equal(await page.locator('.govuk-error-summary li').count(), 3);
    await review(page, 'contact-errors');
    const marker = `question-${Date.now()}`;
    await page.getByLabel('Your name').fill('Kim Asker');
    await page.getByLabel('Work email address').fill(`pw-ask-${Date.now()}@example.org`);
    await page.getByLabel('Your question').fill(`Is there parking at the venue? (${marker})`);
    await page.getByRole('button', { name: 'Send your question' }).click();
    await page.waitForURL(`${BASE}/contact/sent`);
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Question sent' }).waitFor());
    await review(page, 'contact-sent');
    await waitForMail('training@partnership.example', marker);
    await context.close();
  });
});
