// The learning material in Chromium against the real suite with its seed
// articles: the list, search with marked words, an article, and a
// pre-course article refused to a stranger and shown to the holder of a
// confirmed booking's manage link; and "get in touch", whose question
// reaches the training team's address. axe-core on each page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BASE, api, bookThroughApi, launch, newSession, review, visitor, waitForMail,
} from './support.mjs';

// Retries `attempt` (a watchdog, not a timing claim) until it returns true.
async function eventually(what, attempt, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await attempt())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe('the learning material', () => {
  test('lists, searches with the words marked, and opens an article', async () => {
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/`);
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Learning material' }).click();
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

  test('search results page forward and back, and a mistake is shown on its question', async () => {
    // Twelve guides sharing a word no seed article has: two pages of ten.
    const word = `quillwort${Date.now().toString(36)}`;
    for (let i = 0; i < 12; i += 1) {
      const id = `paging-${word}-${i}`;
      await api('POST', `/v1/articles?articleId=${id}`, {
        title: `Paging guide ${String(i).padStart(2, '0')}`,
        summary: `A guide about ${word}.`,
        bodyMarkdown: `Notes on ${word}, number ${i}.`,
        kind: 'GUIDE',
      });
      await api('POST', `/v1/articles/${id}:publish`, {});
    }
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/learning?q=${word}`);
    const first = await page.locator('.app-session-list__item h3').allTextContents();
    assert.equal(first.length, 10);
    assert.equal(await page.getByRole('link', { name: /Previous/ }).count(), 0);
    await page.getByRole('link', { name: /Next/ }).click();
    const second = await page.locator('.app-session-list__item h3').allTextContents();
    assert.equal(second.length, 2);
    assert.equal(new Set([...first, ...second]).size, 12, 'no guide twice, none missed');
    assert.equal(await page.getByRole('link', { name: /Next/ }).count(), 0);
    await review(page, 'learning-search-page-2');
    await page.getByRole('link', { name: /Previous/ }).click();
    assert.deepEqual(await page.locator('.app-session-list__item h3').allTextContents(), first);
    // Only guides, and a search of nothing but punctuation.
    await page.goto(`${BASE}/learning?q=${word}&kind=faq`);
    assert.equal(await page.locator('.app-session-list__item').count(), 0);
    const empty = await page.goto(`${BASE}/learning?q=${encodeURIComponent('"*(')}`);
    assert.equal(empty.status(), 200);
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('#q-error').textContent(), /Enter words to search for/);
    await review(page, 'learning-search-error');
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

describe('after-course reading', () => {
  test('is refused before the session and shown once attendance is recorded', async () => {
    const venues = await api('GET', '/v1/venues');
    const start = new Date(Date.now() + 15_000);
    const end = new Date(start.getTime() + 2 * 3_600_000);
    const session = (await api('POST', '/v1/courses/intro-mi/sessions', {
      startTime: start.toISOString(), endTime: end.toISOString(),
      deliveryMode: 'IN_PERSON', venue: venues.venues[0].name, capacity: 5,
    })).name;
    const booked = await bookThroughApi(session);
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/manage/${booked.reference}/${booked.manageToken}`);
    const before = await page.goto(`${BASE}/learning/after-your-workshop-next-steps`);
    assert.equal(before.status(), 403);
    assert.equal(await page.locator('h1').textContent(), 'This reading is for people who came to the course');
    await review(page, 'article-restricted-attended');
    // Once the session has started the place is neither cancelled nor
    // passed on from the pages.
    await eventually('the session has started', async () => Date.now() > start.getTime() + 1_000);
    await page.goto(`${BASE}/manage/${booked.reference}`);
    assert.equal(await page.getByRole('link', { name: 'Cancel your place' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Send a colleague in your place' }).count(), 0);
    await page.goto(`${BASE}/manage/${booked.reference}/cancel`);
    assert.equal(page.url(), `${BASE}/manage/${booked.reference}`);
    await page.goto(`${BASE}/manage/${booked.reference}/colleague`);
    assert.equal(page.url(), `${BASE}/manage/${booked.reference}`);
    // The register can be taken once the session has started.
    await eventually('attendance recorded', async () => {
      const r = await fetch(`${BASE}/v1/${session}/attendance:batchRecord`, {
        method: 'POST',
        headers: { authorization: `Bearer ${process.env.ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ marks: [{ booking: `bookings/${booked.reference}`, attendance: 'ATTENDED' }] }),
      });
      return r.ok;
    });
    // Content asks booking again within its short cache.
    await eventually('the reading opens', async () =>
      (await page.goto(`${BASE}/learning/after-your-workshop-next-steps`)).status() === 200);
    assert.match(await page.locator('.govuk-tag').first().textContent(), /came to the course/);
    await review(page, 'article-for-attended');
    await context.close();
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

  test("notification's limit of questions from one address is shown on its question", async () => {
    const { context, page } = await visitor(browser);
    const email = `pw-ask-many-${Date.now()}@example.org`;
    const ask = async (n) => {
      await page.goto(`${BASE}/contact`);
      await page.getByLabel('Your name').fill('Max Asker');
      await page.getByLabel('Work email address').fill(email);
      await page.getByLabel('Your question').fill(`Question number ${n}`);
      await page.getByRole('button', { name: 'Send your question' }).click();
    };
    for (let n = 1; n <= 3; n += 1) {
      await ask(n);
      await page.waitForURL(`${BASE}/contact/sent`);
    }
    await ask(4);
    assert.equal(page.url(), `${BASE}/contact`);
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('#email-error').textContent(), /several questions from this address/);
    assert.equal(await page.getByLabel('Your question').inputValue(), 'Question number 4');
    await review(page, 'contact-limit');
    await context.close();
  });

  test('a question about a session, asked from its page', async () => {
    const session = await newSession(56, 3);
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/${session}`);
    await page.getByRole('link', { name: 'Ask the training team about this session' }).click();
    assert.equal(await page.getByLabel('Which session is it about? (optional)').inputValue(), session);
    await review(page, 'contact-about-session');
    const marker = `session-question-${Date.now()}`;
    await page.getByLabel('Your name').fill('Lee Asker');
    await page.getByLabel('Work email address').fill(`pw-ask-s-${Date.now()}@example.org`);
    await page.getByLabel('Your question').fill(`Is it recorded? (${marker})`);
    await page.getByRole('button', { name: 'Send your question' }).click();
    await page.waitForURL(`${BASE}/contact/sent`);
    const forwarded = await waitForMail('training@partnership.example', marker);
    assert.doesNotMatch(forwarded, /About: training/, 'the session travelled with the question');
    // A session since removed: the question is about the programme.
    const gone = `${BASE}/contact?session=${encodeURIComponent('courses/intro-mi/sessions/no-such-session')}`;
    await page.goto(gone);
    assert.equal(await page.getByLabel('Which session is it about? (optional)').inputValue(), '');
    const other = `removed-session-${Date.now()}`;
    await page.getByLabel('Your name').fill('Lee Asker');
    await page.getByLabel('Work email address').fill(`pw-ask-r-${Date.now()}@example.org`);
    await page.getByLabel('Your question').fill(`Still running? (${other})`);
    await page.getByRole('button', { name: 'Send your question' }).click();
    await page.waitForURL(`${BASE}/contact/sent`);
    assert.match(await waitForMail('training@partnership.example', other), /About: training/);
    await context.close();
  });
});
