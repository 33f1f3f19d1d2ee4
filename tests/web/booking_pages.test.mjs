// The public booking pages in Chromium, against the real suite (started by
// tests/web_pages_browser_test.cc): browse and filter; book a place on a
// phone and see the confirmation and the e-mail; every validation error in
// the summary and inline; join a full session's waiting list; the same
// booking with JavaScript off; a form sent twice books once; the manage
// link leaves no token in the final URL; a keyboard-only booking; forms
// from another site refused; and axe-core with screenshots on every page
// and error state.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BASE, BROKEN, LIMITED, PHONE, api, availability, checkAccessibility, fillBookingForm,
  launch, manageLinkPath, newSession, person, review, screenshot, tabUntil,
  visitor, waitForMail,
} from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Opens the first session of the introduction that has places left.
async function openIntroSession(page) {
  await page.goto(`${BASE}/?area=&mode=`);
  for (;;) {
    const item = page.locator('.app-session-list__item')
      .filter({ hasText: 'Introduction to Motivational Interviewing' })
      .filter({ hasText: 'places left' }).first();
    if (await item.count()) {
      await item.getByRole('link').click();
      return;
    }
    const next = page.getByRole('link', { name: /Next/ });
    assert.ok(await next.count(), 'the demo programme has an introduction with places');
    await next.click();
  }
}

describe('the programme', () => {
  test('lists sessions with places, filters them and pages', async () => {
    const { context, page } = await visitor(browser);
    const response = await page.goto(`${BASE}/`);
    assert.equal(response.status(), 200);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en-GB');
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Safeguarding training courses and dates' }).waitFor());
    const items = page.locator('.app-session-list__item');
    assert.equal(await items.count(), 3, 'three sessions a page (--web_page_size=3)');
    await review(page, 'programme');

    // Paging forward and back.
    await page.getByRole('link', { name: /Next/ }).click();
    const second = await items.first().textContent();
    await page.getByRole('link', { name: /Next/ }).click();
    await page.getByRole('link', { name: /Previous/ }).click();
    assert.equal(await items.first().textContent(), second, 'Previous returns to the page before');
    await review(page, 'programme-page-2');

    // Online only.
    await page.goto(`${BASE}/`);
    await page.getByLabel('Online', { exact: true }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    assert.match(page.url(), /mode=online/);
    const where = await items.locator('p').allTextContents();
    assert.ok(where.includes('Online'));
    assert.ok(!where.some((t) => t.startsWith('In person')), 'no in-person session listed');

    // In person in one area.
    await page.getByLabel('In person', { exact: true }).check();
    await page.getByLabel('Area').fill('cm1');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const places = await items.locator('p').allTextContents();
    assert.ok(places.some((t) => t === 'In person, CM1 area'));
    assert.ok(places.every((t) => !t.startsWith('In person') || t === 'In person, CM1 area'));
    assert.ok(!places.includes('Online'));

    // One course: every session listed is of it.
    await page.goto(`${BASE}/`);
    await page.getByLabel('Course').selectOption({ label: 'Introduction to Motivational Interviewing' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    assert.match(page.url(), /course=intro-mi/);
    const titles = await items.getByRole('link').allTextContents();
    assert.ok(titles.length > 0);
    for (const t of titles) assert.equal(t, 'Introduction to Motivational Interviewing');

    // One month: every date listed is in it.
    await page.goto(`${BASE}/`);
    const month = page.getByLabel('Month');
    const label = (await month.locator('option').nth(2).textContent()).trim();
    await month.selectOption({ label });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const dates = await items.locator('p:nth-of-type(1)').allTextContents();
    for (const d of dates) assert.ok(d.includes(label), `${d} is in ${label}`);

    // A month no longer offered (an old bookmark): a mistake, not a failure.
    const past = await page.goto(`${BASE}/?month=2001-01`);
    assert.equal(past.status(), 200);
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('#month-error').textContent(), /Select a month from the list/);
    await review(page, 'programme-month-error');
    // A district the catalogue does not know as one.
    await page.goto(`${BASE}/?area=1`);
    assert.match(await page.locator('#area-error').textContent(), /like CM1/);

    // A mistake in a filter, shown as the design system shows errors.
    await page.getByLabel('Area').fill('CM1 !');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    assert.match(await page.title(), /^Error: /);
    await assert.doesNotReject(page.locator('.govuk-error-summary').getByRole('link', { name: 'Enter the first part of a postcode, like CM1' }).waitFor());
    assert.equal(await page.locator('#area-error').count(), 1);
    await review(page, 'programme-filter-error');
    await context.close();
  });
});

describe('booking a place', () => {
  let booked;  // { reference, email }

  test('on a phone: the session, the form, check your answers, the confirmation', async () => {
    const { context, page } = await visitor(browser, { viewport: PHONE });
    await openIntroSession(page);
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Introduction to Motivational Interviewing' }).waitFor());
    assert.match(await page.locator('.govuk-summary-list').textContent(), /\d+ places? left/);
    assert.match(await page.locator('.app-prose').textContent(), /What to expect/,
                 'the course description comes from the content service');
    assert.ok(await page.getByRole('heading', { name: 'Course material' }).count());
    await review(page, 'session');
    await page.getByRole('button', { name: 'Book a place' }).click();
    await review(page, 'booking-form');

    const p = person();
    await fillBookingForm(page, p);
    await page.getByLabel('Is there anything you need to take part?').fill('A hearing loop');
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Check your answers before booking');
    const answers = await page.locator('.govuk-summary-list').nth(1).textContent();
    for (const value of [p.full_name, p.email, p.organisation, 'Health', p.job_role, 'A hearing loop']) {
      assert.ok(answers.includes(value), `check page shows ${value}`);
    }
    await review(page, 'check-answers');
    // Change your answers: the form again, filled in.
    await page.getByRole('button', { name: 'Change your answers' }).click();
    assert.equal(await page.getByLabel('Full name').inputValue(), p.full_name);
    assert.equal(await page.locator('.govuk-error-summary').count(), 0);
    await review(page, 'booking-form-change');
    await page.getByRole('button', { name: 'Continue' }).click();

    const response = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Confirm booking' }).click(),
    ]).then(([r]) => r);
    assert.match(page.url(), /\/bookings\/[A-Z0-9]{8}\/confirmation$/);
    assert.equal(response.headers()['cache-control'], 'no-store');
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Booking confirmed' }).waitFor());
    const reference = (await page.locator('.govuk-panel__body strong').textContent()).trim();
    assert.match(reference, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await review(page, 'confirmation');

    const mail = await waitForMail(p.email, reference.replace('-', ''));
    const link = manageLinkPath(mail);
    assert.equal(link.reference, reference.replace('-', ''));
    booked = { ...link, email: p.email };
    await context.close();
  });

  test('the manage link from the e-mail leaves no token in the URL', async () => {
    assert.ok(booked, 'the booking test ran first');
    const { context, page } = await visitor(browser);
    await page.goto(BASE + booked.path);
    assert.equal(page.url(), `${BASE}/manage/${booked.reference}`);
    assert.ok(!page.url().includes(booked.token));
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Your booking' }).waitFor());
    assert.match(await page.locator('main').textContent(), /Confirmed/);
    const cookie = (await context.cookies()).find((c) => c.name === `manage_${booked.reference}`);
    assert.ok(cookie, 'the manage cookie is set');
    assert.equal(cookie.value, booked.token);
    assert.ok(cookie.httpOnly);
    assert.equal(cookie.sameSite, 'Strict');
    const history = await page.evaluate(() => window.location.href + document.referrer);
    assert.ok(!history.includes(booked.token));
    await review(page, 'manage');

    // The calendar file, with the cookie.
    const ics = await context.request.get(`${BASE}/manage/${booked.reference}/calendar.ics`);
    assert.equal(ics.status(), 200);
    assert.match(await ics.text(), /BEGIN:VCALENDAR/);
    await context.close();

    // The link followed from a webmail site: browsers send no Strict
    // cookie on a redirect that began elsewhere, so the page offers one
    // click on this site, which does.
    const webmail = await visitor(browser);
    await webmail.page.route('http://webmail.test/', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html lang="en"><title>Inbox</title>
        <a href="${BASE}${booked.path}">Manage your booking</a>`,
    }));
    await webmail.page.goto('http://webmail.test/');
    await webmail.page.getByRole('link', { name: 'Manage your booking' }).click();
    await webmail.page.waitForURL(`${BASE}/manage/${booked.reference}`);
    const landed = await webmail.page.locator('h1').textContent();
    if (landed === 'Continue to your booking') {
      await review(webmail.page, 'manage-continue');
      await webmail.page.getByRole('button', { name: 'Continue' }).click();
    }
    await assert.doesNotReject(webmail.page.getByRole('heading', { level: 1, name: 'Your booking' }).waitFor());
    assert.ok(!webmail.page.url().includes(booked.token));
    await webmail.context.close();

    // Cancelled (through the API, with the token): the page says so.
    const cancelled = await fetch(`${BASE}/v1/bookings/${booked.reference}:cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${booked.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(cancelled.status, 200);
    const again = await visitor(browser);
    await again.page.goto(BASE + booked.path);
    assert.match(await again.page.locator('main').textContent(), /This booking has been cancelled/);
    await review(again.page, 'manage-cancelled');
    await again.context.close();

    // Another browser without the link's cookie sees nothing of it.
    const other = await visitor(browser);
    const refused = await other.page.goto(`${BASE}/manage/${booked.reference}`);
    assert.equal(refused.status(), 403);
    assert.ok(!(await other.page.locator('main').textContent()).includes(booked.email));
    await review(other.page, 'manage-without-link');
    await other.context.close();
  });

  test('every mistake is shown in the summary and on its question, answers kept', async () => {
    const { context, page } = await visitor(browser);
    await openIntroSession(page);
    await page.getByRole('button', { name: 'Book a place' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.title(), /^Error: Book a place/);
    const expected = {
      full_name: 'Enter your full name',
      email: 'Enter your work email address',
      organisation: 'Enter the name of your organisation',
      agency_type: 'Select the kind of organisation you work for',
      job_role: 'Enter your job title or role',
      consent: 'Confirm that you agree to us keeping your details for this booking',
    };
    const summary = page.locator('.govuk-error-summary');
    assert.equal(await summary.locator('li').count(), Object.keys(expected).length);
    for (const [field, message] of Object.entries(expected)) {
      assert.equal(await summary.getByRole('link', { name: message }).getAttribute('href'), `#${field}`);
      assert.equal(await page.locator(`#${field}`).count(), 1, `#${field} exists for the summary's link`);
      assert.match(await page.locator(`#${field}-error`).textContent(), new RegExp(message));
    }
    // The design system's script moves focus to the summary; its links
    // move focus to the question.
    await summary.getByRole('link', { name: expected.email }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
    await review(page, 'booking-form-errors');

    // Wrong formats, each on its question; what was typed stays.
    const long = 'x'.repeat(201);
    await page.getByLabel('Full name').fill(long);
    await page.getByLabel('Work email address').fill('sam.example.org');
    await page.getByLabel('Work telephone number (optional)').fill('call me');
    await page.getByLabel('Organisation').fill('Northshire Council');
    await page.getByLabel('Police').check();
    await page.getByLabel('Job title or role').fill('Officer');
    await page.getByLabel("Your line manager's work email (optional)").fill('boss@');
    await page.getByLabel('Is there anything you need to take part?').fill('y'.repeat(2001));
    await page.getByRole('button', { name: 'Continue' }).click();
    const messages = await summary.locator('li').allTextContents();
    assert.deepEqual(messages.map((m) => m.trim()), [
      'Full name must be 200 characters or fewer',
      'Enter an email address in the correct format, like name@example.com',
      'Enter a telephone number, like 01632 960 001 or +44 808 157 0192',
      "Enter your line manager's email address in the correct format, like name@example.com",
      'Access needs must be 2,000 characters or fewer',
      'Confirm that you agree to us keeping your details for this booking',
    ]);
    assert.equal(await page.getByLabel('Full name').inputValue(), long);
    assert.equal(await page.getByLabel('Work email address').inputValue(), 'sam.example.org');
    assert.ok(await page.getByLabel('Police').isChecked());
    await review(page, 'booking-form-format-errors');
    await context.close();
  });

  test('a full session offers its waiting list, and joining it says where you are', async () => {
    const session = await newSession(45, 1);
    await api('POST', '/v1/bookings', {
      session, attendee: {
        displayName: 'First Person', email: `pw-first-${Date.now()}@example.org`,
        organisation: 'Northshire Council', agencyType: 'HEALTH',
        jobRole: 'Nurse', consentGiven: true,
      },
    }, { 'idempotency-key': crypto.randomUUID() });
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/${session}`);
    assert.match(await page.locator('.govuk-summary-list').textContent(), /Fully booked\. 0 people waiting/);
    await review(page, 'session-full');
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Join the waiting list');
    await fillBookingForm(page, person());
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.locator('.govuk-warning-text').textContent(), /joining the waiting list, not booking a place/);
    await review(page, 'check-answers-waiting-list');
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'You are on the waiting list' }).waitFor());
    assert.match(await page.locator('main').textContent(), /waiting list at position 1/);
    await review(page, 'confirmation-waiting-list');
    assert.equal((await availability(session)).waiting, 1);
    const reference = page.url().match(/bookings\/([A-Z0-9]{8})\//)[1];
    await page.goto(`${BASE}/manage/${reference}`);
    assert.match(await page.locator('main').textContent(), /You are number 1 on the waiting list/);
    await review(page, 'manage-waiting-list');

    // The session called off: its page says so and offers no booking.
    await api('POST', `/v1/${session}:cancel`, { reason: 'The trainer is unwell.' });
    await page.goto(`${BASE}/${session}`);
    assert.match(await page.locator('.govuk-notification-banner').textContent(), /cancelled\. The trainer is unwell\./);
    assert.equal(await page.getByRole('button', { name: /Book a place|Join the waiting list/ }).count(), 0);
    await review(page, 'session-cancelled');
    await context.close();
  });

  test('an address that already holds a place is told so on its question', async () => {
    const session = await newSession(47, 5);
    const p = person();
    await api('POST', '/v1/bookings', {
      session, attendee: {
        displayName: p.full_name, email: p.email, organisation: p.organisation,
        agencyType: 'HEALTH', jobRole: p.job_role, consentGiven: true,
      },
    }, { 'idempotency-key': crypto.randomUUID() });
    const { context, page } = await visitor(browser);
    await page.goto(`${BASE}/${session}/book`);
    await fillBookingForm(page, p);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('#email-error').textContent(), /already has a place/);
    assert.equal(await page.getByLabel('Work email address').inputValue(), p.email);
    assert.equal((await availability(session)).confirmed, 1);
    await review(page, 'booking-form-already-booked');
    await context.close();
  });

  test('works with JavaScript turned off', async () => {
    const { context, page } = await visitor(browser, { javaScript: false });
    await openIntroSession(page);
    await page.getByRole('button', { name: 'Book a place' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.title(), /^Error: /, 'errors come from the server, not a script');
    await fillBookingForm(page, person());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Booking confirmed' }).waitFor());
    assert.ok(!(await page.locator('body').getAttribute('class')).includes('govuk-frontend-supported'));
    // axe needs a script in the page: it checks this page with JavaScript
    // on (the phone test); here the screenshot shows it without.
    await screenshot(page, 'confirmation-without-javascript');
    await context.close();
  });

  test('a form sent twice, or three times at once, books once', async () => {
    const session = await newSession(50, 5);
    const { context, page } = await visitor(browser, { javaScript: false });
    await page.goto(`${BASE}/${session}/book`);
    await fillBookingForm(page, person());
    await page.getByRole('button', { name: 'Continue' }).click();
    // The check page's form as the browser would send it.
    const form = {};
    for (const input of await page.locator('form input[type=hidden]').all()) {
      form[await input.getAttribute('name')] = await input.getAttribute('value');
    }
    const send = () => context.request.post(`${BASE}/${session}/book/confirm`, {
      form, maxRedirects: 0,
    });
    const replies = await Promise.all([send(), send(), send()]);
    const locations = replies.map((r) => r.headers().location);
    for (const r of replies) assert.equal(r.status(), 303);
    assert.equal(new Set(locations).size, 1, 'every copy leads to the same booking');
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    assert.equal(new URL(page.url()).pathname, locations[0]);
    const a = await availability(session);
    assert.equal(a.confirmed, 1, 'one place taken, not four');
    await context.close();
  });

  test('a keyboard alone reaches the confirmation', async () => {
    const { context, page } = await visitor(browser);
    await openIntroSession(page);
    await page.locator('body').focus();
    await tabUntil(page, (f) => f.text === 'Book a place');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/book$/);
    const p = person();
    await tabUntil(page, (f) => f.id === 'full_name');
    await page.keyboard.type(p.full_name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(p.email);
    // Back and forward again: Shift+Tab returns to the name.
    await tabUntil(page, (f) => f.id === 'full_name', { back: true });
    await tabUntil(page, (f) => f.id === 'organisation');
    await page.keyboard.type(p.organisation);
    await tabUntil(page, (f) => f.type === 'radio');
    await page.keyboard.press('Space');
    await tabUntil(page, (f) => f.id === 'job_role');
    await page.keyboard.type(p.job_role);
    await tabUntil(page, (f) => f.id === 'consent');
    await page.keyboard.press('Space');
    await tabUntil(page, (f) => f.text === 'Continue');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("Check your answers")');
    await tabUntil(page, (f) => f.text === 'Confirm booking');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/confirmation$/);
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Booking confirmed' }).waitFor());
    assert.match(await page.locator('main').textContent(), /Your reference/);
    await context.close();
  });
});

describe('the other pages', () => {
  test('prose pages, not found, a failing service, and a form from elsewhere', async () => {
    const { context, page } = await visitor(browser);
    for (const [url, heading, name] of [
      ['/accessibility', 'Accessibility statement', 'accessibility'],
      ['/privacy', 'Privacy notice', 'privacy'],
      ['/cookies', 'Cookies', 'cookies'],
    ]) {
      const r = await page.goto(BASE + url);
      assert.equal(r.status(), 200);
      assert.equal(await page.locator('h1').textContent(), heading);
      await review(page, name);
    }
    const missing = await page.goto(`${BASE}/no/such/page`);
    assert.equal(missing.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'Page not found');
    await review(page, 'not-found');

    // Booking down: the session page says so, in the same style.
    const failing = await page.goto(`${BROKEN}/`);
    assert.equal(failing.status(), 503);
    assert.ok(failing.headers()['retry-after']);
    assert.equal(await page.locator('h1').textContent(), 'Sorry, there is a problem with the service');
    await review(page, 'service-problem');

    // A form posted from another site carries neither the cookie nor the
    // token: refused, nothing booked.
    await page.route('http://elsewhere.test/', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html lang="en"><title>Elsewhere</title>
        <form method="post" action="${BASE}/courses/intro-mi/sessions/x/book">
        <input name="full_name" value="Forged"><button>Send</button></form>`,
    }));
    await page.goto('http://elsewhere.test/');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/\/book$/);
    assert.equal(await page.locator('h1').textContent(), 'Your form could not be sent');
    await review(page, 'form-refused');

    // Too many changes from one address: a page, not the API's JSON.
    const limitedForm = await visitor(browser);
    await limitedForm.page.route('http://elsewhere.test/limited', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html lang="en"><title>Twice</title>
        <form method="post" action="${LIMITED}/courses/intro-mi/sessions/x/book">
        <button>Send</button></form>`,
    }));
    const statuses = [];
    for (let i = 0; i < 2; i += 1) {
      await limitedForm.page.goto('http://elsewhere.test/limited');
      const [reply] = await Promise.all([
        limitedForm.page.waitForNavigation(),
        limitedForm.page.getByRole('button', { name: 'Send' }).click(),
      ]);
      statuses.push(reply.status());
    }
    assert.deepEqual(statuses, [403, 429]);
    // A made-up API key does not move a page post to a key's own limit.
    const forged = await limitedForm.context.request.post(
      `${LIMITED}/courses/intro-mi/sessions/x/book`,
      { headers: { authorization: 'Bearer trk_made_up_key_0123456789abcdef' }, form: {}, maxRedirects: 0 });
    assert.equal(forged.status(), 429);
    assert.match(forged.headers()['content-type'], /text\/html/);
    assert.equal(await limitedForm.page.locator('h1').textContent(), 'Too many attempts');
    await review(limitedForm.page, 'too-many-attempts');
    await limitedForm.context.close();

    // Assets: versioned, kept for a year.
    const css = await page.locator('link[rel=stylesheet]').getAttribute('href');
    const asset = await context.request.get(BASE + css);
    assert.equal(asset.status(), 200);
    assert.match(asset.headers()['cache-control'], /max-age=31536000, immutable/);
    await checkAccessibility(page, 'form-refused (again)');
    await context.close();
  });
});
