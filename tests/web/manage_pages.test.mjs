// Managing a booking from the manage link, in Chromium against the real
// suite (tests/web_pages_browser_test.cc): cancel (with JavaScript off,
// and with the keyboard alone), with the late-cancellation warning when the
// session is close; leave a waiting list; accept and decline an offered
// place; and a lapsed offer's page. axe-core on each page.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  BASE, api, availability, bookThroughApi, bookingWithToken, cancelWithToken,
  fillBookingForm, launch, manageLinkPath, newSession, person, review,
  screenshot, tabUntil, visitor, waitForMail,
} from './support.mjs';

const BOOKING_DB = process.env.BOOKING_DB;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A visitor who has opened the booking's manage link.
async function holder(booked, options = {}) {
  const v = await visitor(browser, options);
  await v.page.goto(`${BASE}/manage/${booked.reference}/${booked.manageToken}`);
  assert.equal(v.page.url(), `${BASE}/manage/${booked.reference}`);
  return v;
}

// A session of the offer course whose one place is taken, and a waiting
// person who is then offered it: { first, second }.
async function offeredPlace() {
  const session = await newSession(60, 1, 'mi-three-day-social-care');
  const first = await bookThroughApi(session, 'CHILDRENS_SOCIAL_CARE');
  const second = await bookThroughApi(session, 'EARLY_HELP');
  assert.equal(second.state, 'WAITLISTED');
  await cancelWithToken(first.reference, first.manageToken);
  const deadline = Date.now() + 30_000;
  while ((await bookingWithToken(second.reference, second.manageToken)).state !== 'OFFERED') {
    assert.ok(Date.now() < deadline, 'the freed place was offered');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { session, first, second };
}

describe('managing a booking', () => {
  test('cancel a place from the confirmation e-mail: the question, then the confirmation', async () => {
    const session = await newSession(55, 3);
    const booked = await bookThroughApi(session);
    const mail = await waitForMail(booked.attendee.email, booked.reference);
    const { context, page } = await visitor(browser);
    await page.goto(BASE + manageLinkPath(mail).path);
    assert.equal(page.url(), `${BASE}/manage/${booked.reference}`);
    await review(page, 'manage-confirmed');
    await page.getByRole('link', { name: 'Cancel your place' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Are you sure you want to cancel your place?');
    assert.equal(await page.locator('.govuk-warning-text').count(), 0, 'no late warning 55 days ahead');
    await review(page, 'cancel-question');
    await page.getByLabel('Why are you cancelling? (optional)').fill('Diary clash.\nSorry.');
    await page.getByRole('button', { name: 'Yes, cancel my place' }).click();
    await page.waitForURL(`${BASE}/manage/${booked.reference}/cancel/done`);
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Booking cancelled' }).waitFor());
    await review(page, 'cancel-done');
    assert.equal((await bookingWithToken(booked.reference, booked.manageToken)).state, 'CANCELLED');
    assert.equal((await availability(session)).confirmed, 0);
    await page.goto(`${BASE}/manage/${booked.reference}`);
    assert.match(await page.locator('.govuk-tag').first().textContent(), /Cancelled/);
    assert.equal(await page.getByRole('link', { name: 'Cancel your place' }).count(), 0);
    await review(page, 'manage-cancelled');
    await context.close();
  });

  test('cancelling close to the session warns that it is late', async () => {
    // Inside the course's 48-hour window, outside the 24 hours in which an
    // online session needs its joining link.
    const session = await newSession(1.5, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked);
    await page.goto(`${BASE}/manage/${booked.reference}/cancel`);
    assert.match(await page.locator('.govuk-warning-text').textContent(), /late cancellation/);
    await review(page, 'cancel-question-late');
    await context.close();
  });

  test('cancel with JavaScript off, and the form sent twice cancels once', async () => {
    const session = await newSession(56, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked, { javaScript: false });
    await page.getByRole('link', { name: 'Cancel your place' }).click();
    const form = {};
    for (const input of await page.locator('form input[type=hidden]').all()) {
      form[await input.getAttribute('name')] = await input.getAttribute('value');
    }
    form.reason = '';
    const again = await context.request.post(`${BASE}/manage/${booked.reference}/cancel`, { form, maxRedirects: 0 });
    assert.equal(again.status(), 303);
    await page.getByRole('button', { name: 'Yes, cancel my place' }).click();
    await page.waitForURL(/\/cancel\/done$/);
    await screenshot(page, 'cancel-done-without-javascript');
    assert.equal((await bookingWithToken(booked.reference, booked.manageToken)).state, 'CANCELLED');
    await context.close();
  });

  test('a keyboard alone cancels a place', async () => {
    const session = await newSession(57, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked);
    await page.locator('body').focus();
    await tabUntil(page, (f) => f.text === 'Cancel your place');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/cancel$/);
    await tabUntil(page, (f) => f.text === 'Yes, cancel my place');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/cancel\/done$/);
    assert.equal((await bookingWithToken(booked.reference, booked.manageToken)).state, 'CANCELLED');
    await context.close();
  });

  test('send a colleague: both get their e-mails, and the old link stops working', async () => {
    const session = await newSession(59, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked);
    await page.getByRole('link', { name: 'Send a colleague in your place' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Send a colleague in your place');
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('.govuk-error-summary').textContent(), /Enter your colleague's full name/);
    await review(page, 'colleague-form-errors');
    // The holder's own address is not a colleague's.
    await fillBookingForm(page, person({ email: booked.attendee.email }));
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(await page.locator('#email-error').textContent(), /not your own/);
    const colleague = person({ full_name: 'Robin Colleague' });
    await fillBookingForm(page, colleague);
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Check your answers before sending your colleague');
    await review(page, 'colleague-check');
    await page.getByRole('button', { name: 'Send my colleague' }).click();
    await page.waitForURL(`${BASE}/manage/${booked.reference}/colleague/done`);
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Your place has passed to your colleague' }).waitFor());
    await review(page, 'colleague-done');
    // A reload sends nothing again and still says what happened.
    await page.reload();
    assert.equal(await page.locator('.govuk-panel__title').textContent().then((t) => t.trim()), 'Your place has passed to your colleague');
    // The colleague's own link opens the booking, in their name.
    const mail = await waitForMail(colleague.email, booked.reference);
    const link = manageLinkPath(mail);
    assert.equal(link.reference, booked.reference);
    const now = await bookingWithToken(booked.reference, link.token);
    assert.equal(now.attendee.email, colleague.email);
    assert.equal(now.state, 'CONFIRMED');
    // The one who passed it on is told, and their link no longer opens it.
    await waitForMail(booked.attendee.email, 'colleague');
    const old = await fetch(`${BASE}/v1/bookings/${booked.reference}`, {
      headers: { authorization: `Bearer ${booked.manageToken}` },
    });
    assert.equal(old.status, 404);
    await page.goto(`${BASE}/manage/${booked.reference}`);
    assert.equal(await page.locator('h1').textContent(), 'Open your booking from your email');
    assert.equal((await availability(session)).confirmed, 1);
    await context.close();
  });

  test('a colleague form sent three times at once, with JavaScript off, passes the place once', async () => {
    const session = await newSession(54, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked, { javaScript: false });
    await page.goto(`${BASE}/manage/${booked.reference}/colleague`);
    const colleague = person({ full_name: 'Sam Twice' });
    await fillBookingForm(page, colleague);
    await page.getByRole('button', { name: 'Continue' }).click();
    const form = {};
    for (const input of await page.locator('form input[type=hidden]').all()) {
      form[await input.getAttribute('name')] = await input.getAttribute('value');
    }
    const send = () => context.request.post(`${BASE}/manage/${booked.reference}/colleague/confirm`, {
      form, maxRedirects: 0,
    });
    const replies = await Promise.all([send(), send(), send()]);
    for (const r of replies) {
      assert.equal(r.status(), 303);
      assert.equal(r.headers().location, `/manage/${booked.reference}/colleague/done`);
    }
    const mail = await waitForMail(colleague.email, booked.reference);
    const now = await bookingWithToken(booked.reference, manageLinkPath(mail).token);
    assert.equal(now.attendee.email, colleague.email);
    assert.equal((await availability(session)).confirmed, 1);
    await context.close();
  });

  test('a reason too long is shown on its question, and nothing is cancelled', async () => {
    const session = await newSession(53, 3);
    const booked = await bookThroughApi(session);
    const { context, page } = await holder(booked);
    await page.goto(`${BASE}/manage/${booked.reference}/cancel`);
    await page.getByLabel('Why are you cancelling? (optional)').fill('x'.repeat(501));
    await page.getByRole('button', { name: 'Yes, cancel my place' }).click();
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('#reason-error').textContent(), /500 characters or fewer/);
    assert.equal((await page.getByLabel('Why are you cancelling? (optional)').inputValue()).length, 501);
    await review(page, 'cancel-reason-too-long');
    assert.equal((await bookingWithToken(booked.reference, booked.manageToken)).state, 'CONFIRMED');
    await context.close();
  });

  test('leave a waiting list', async () => {
    const session = await newSession(58, 1);
    await bookThroughApi(session);
    const waiting = await bookThroughApi(session);
    assert.equal(waiting.state, 'WAITLISTED');
    const { context, page } = await holder(waiting);
    await review(page, 'manage-waiting');
    await page.getByRole('link', { name: 'Leave the waiting list' }).click();
    await review(page, 'leave-question');
    await page.getByRole('button', { name: 'Yes, leave the waiting list' }).click();
    await page.waitForURL(/\/leave\/done$/);
    await review(page, 'leave-done');
    assert.equal((await bookingWithToken(waiting.reference, waiting.manageToken)).state, 'LEFT_WAITLIST');
    assert.equal((await availability(session)).waiting, 0);
    await page.goto(`${BASE}/manage/${waiting.reference}`);
    assert.equal(await page.getByRole('link', { name: 'Leave the waiting list' }).count(), 0);
    await review(page, 'manage-left');
    await context.close();
  });

  test('an any-date waiting-list entry shows its course, and can be left', async () => {
    // A course of its own with no sessions: the entry waits for any date.
    const id = `any-date-${Date.now().toString(36)}`;
    await api('POST', `/v1/courses?courseId=${id}`, {
      title: 'Any date course', summary: 'For the any-date test.',
      level: 'INTRODUCTORY', eligibleAgencyTypes: ['HEALTH'], duration: '10800s',
    });
    await api('POST', `/v1/courses/${id}:publish`, {});
    const p = person();
    const request = JSON.stringify({
      course: `courses/${id}`, scope: 'ANY_DATE', deliveryPreference: 'ONLINE_ONLY',
      attendee: {
        displayName: p.full_name, email: p.email, organisation: p.organisation,
        agencyType: 'HEALTH', jobRole: p.job_role, consentGiven: true,
      },
    });
    // Booking hears of the new course through the catalogue's events.
    const key = crypto.randomUUID();
    const deadline = Date.now() + 60_000;
    let reply;
    for (;;) {
      reply = await fetch(`${BASE}/v1/bookings`, {
        method: 'POST', body: request,
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      });
      if (reply.status !== 404) break;
      assert.ok(Date.now() < deadline, 'booking heard of the course');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(reply.status, 200);
    const entry = await reply.json();
    assert.equal(entry.state, 'WAITLISTED');
    const { context, page } = await holder(entry);
    assert.equal(await page.locator('h1').textContent(), 'Your booking');
    assert.match(await page.locator('main').textContent(), /Any date course[\s\S]*Any date, online/);
    await review(page, 'manage-any-date');
    await page.getByRole('link', { name: 'Leave the waiting list' }).click();
    assert.match(await page.locator('main').textContent(), /Any date, online/);
    await page.getByRole('button', { name: 'Yes, leave the waiting list' }).click();
    await page.waitForURL(/\/leave\/done$/);
    assert.equal((await bookingWithToken(entry.reference, entry.manageToken)).state, 'LEFT_WAITLIST');
    await context.close();
  });

  test('accept an offered place from the offer e-mail, with the keyboard alone', async () => {
    const { second } = await offeredPlace();
    // The offer e-mail's own link.
    const mail = await waitForMail(second.attendee.email, 'Accept or decline');
    const link = manageLinkPath(mail);
    assert.equal(link.reference, second.reference);
    const { context, page } = await visitor(browser);
    await page.goto(BASE + link.path);
    assert.equal(page.url(), `${BASE}/manage/${second.reference}`);
    assert.match(await page.locator('main').textContent(), /A place is offered to you until/);
    await review(page, 'manage-offered');
    await page.locator('body').focus();
    await tabUntil(page, (f) => f.text === 'Accept the place');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/accept$/);
    await review(page, 'accept-question');
    await tabUntil(page, (f) => f.text === 'Accept the place' && f.tag === 'BUTTON');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/confirmation$/);
    await assert.doesNotReject(page.locator('.govuk-panel__title', { hasText: 'Booking confirmed' }).waitFor());
    assert.equal((await bookingWithToken(second.reference, second.manageToken)).state, 'CONFIRMED');
    await context.close();
  });

  test('an accept form sent three times at once, with JavaScript off, confirms once', async () => {
    const { session, second } = await offeredPlace();
    const { context, page } = await holder(second, { javaScript: false });
    await page.goto(`${BASE}/manage/${second.reference}/accept`);
    const form = {};
    for (const input of await page.locator('form input[type=hidden]').all()) {
      form[await input.getAttribute('name')] = await input.getAttribute('value');
    }
    const send = () => context.request.post(`${BASE}/manage/${second.reference}/accept`, { form, maxRedirects: 0 });
    const replies = await Promise.all([send(), send(), send()]);
    for (const r of replies) {
      assert.equal(r.status(), 303);
      assert.equal(r.headers().location, `/bookings/${second.reference}/confirmation`);
    }
    assert.equal((await bookingWithToken(second.reference, second.manageToken)).state, 'CONFIRMED');
    assert.equal((await availability(session)).confirmed, 1);
    await context.close();
  });

  test('decline an offered place', async () => {
    const { second } = await offeredPlace();
    const { context, page } = await holder(second);
    await page.getByRole('button', { name: 'Decline the place' }).click();
    await review(page, 'decline-question');
    const form = {};
    for (const input of await page.locator('form input[type=hidden]').all()) {
      form[await input.getAttribute('name')] = await input.getAttribute('value');
    }
    await page.getByRole('button', { name: 'Yes, decline the place' }).click();
    await page.waitForURL(/\/decline\/done$/);
    await review(page, 'decline-done');
    // The same form sent again leads to the same page and changes nothing.
    const again = await context.request.post(`${BASE}/manage/${second.reference}/decline`, { form, maxRedirects: 0 });
    assert.equal(again.status(), 303);
    assert.equal(again.headers().location, `/manage/${second.reference}/decline/done`);
    const b = await bookingWithToken(second.reference, second.manageToken);
    assert.equal(b.state, 'CANCELLED');
    assert.equal(b.cancellation.cause, 'OFFER_DECLINED');
    await page.goto(`${BASE}/manage/${second.reference}`);
    assert.equal(await page.getByRole('button', { name: 'Accept the place' }).count(), 0);
    await review(page, 'manage-declined');
    await context.close();
  });

  test('an offer that lapsed has a clear page, and accepting it changes nothing', async () => {
    assert.ok(BOOKING_DB, 'the harness names the booking database');
    const { second } = await offeredPlace();
    const { context, page } = await holder(second);
    await page.getByRole('button', { name: 'Accept the place' }).click();
    await page.waitForURL(/\/accept$/);
    // The hold runs out while the page is open (the booking service has no
    // clock to move; its offer's expiry is set in the past instead).
    const expire = spawnSync('/usr/bin/python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE bookings SET expire_us = 1 WHERE reference = ? AND state = 3", (sys.argv[2],))
db.commit()
`, BOOKING_DB, second.reference], { encoding: 'utf8' });
    assert.equal(expire.status, 0, expire.stderr);
    await page.getByRole('button', { name: 'Accept the place' }).click();
    await page.waitForURL(`${BASE}/manage/${second.reference}`);
    await assert.doesNotReject(page.getByRole('heading', { level: 2, name: 'This offer has expired' }).waitFor());
    await review(page, 'manage-offer-expired');
    assert.notEqual((await bookingWithToken(second.reference, second.manageToken)).state, 'CONFIRMED');
    // Once the booking service's due work has ended the offer, the page
    // says the same without a time.
    const deadline = Date.now() + 60_000;
    while ((await bookingWithToken(second.reference, second.manageToken)).state !== 'CANCELLED') {
      assert.ok(Date.now() < deadline, 'the lapsed offer was ended');
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.goto(`${BASE}/manage/${second.reference}`);
    await assert.doesNotReject(page.getByRole('heading', { level: 2, name: 'This offer has expired' }).waitFor());
    await review(page, 'manage-offer-expired-ended');
    await context.close();
  });
});
