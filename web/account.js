// SPDX-License-Identifier: GPL-3.0-or-later
//
// The account page: password, two-factor log-in, sessions, API tokens,
// the data download and deleting the account.

import {
	state, h, field, form, button, action,
	notice, table, copyButton, codeBlock, fmtTime, when,
	api, go, flash, render, enc, loadSession,
} from './core.js';
import { qrSvg } from './qr.js';

export async function pageAccount() {
	const [u, sessions, tokens] = await Promise.all([
		api('GET', 'account'),
		api('GET', 'sessions').catch((ex) => ({ error: ex.message })),
		api('GET', 'tokens').catch((ex) => ({ error: ex.message })),
	]);
	state.user = { ...state.user, ...u };
	return [
		h('h1', null, 'Your account'),
		h('dl', { class: 'facts', id: 'account-facts' },
			h('dt', null, 'User name'), h('dd', null, u.name),
			h('dt', null, 'Email'), h('dd', null, u.email || '—', u.verified ? '' : ' (not confirmed)'),
			h('dt', null, 'Hosts'), h('dd', null, `${u.hosts ?? '?'} of ${u.max_hosts ?? '?'}`),
			h('dt', null, 'Member since'), h('dd', null, fmtTime(u.created)),
			h('dt', null, 'Two-factor log-in'), h('dd', { id: 'totp-state' }, u.totp ? 'on' : 'off')),
		passwordSection(), totpSection(u), sessionsSection(sessions), apiTokensSection(tokens),
		exportSection(u), deleteAccountSection(u),
	];
}

function passwordSection() {
	const old = field('Current password', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true });
	const nw = field('New password', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 },
		'At least 10 characters. Your other sessions end.');
	const f = form({ id: 'password-form' }, async () => {
		await api('POST', 'account/password', { old: old.input.value, new: nw.input.value });
		await loadSession(); // in case the session (and its CSRF token) was renewed
		flash('Your password is changed; your other sessions have ended.');
		render();
	}, old.row, nw.row, button('Change password'));
	return h('section', { 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, 'Password'), f);
}

function totpSection(u) {
	const sec = h('section', { id: 'totp', 'aria-labelledby': 'totp-h' }, h('h2', { id: 'totp-h' }, 'Two-factor log-in'));
	if (u.totp) {
		const pw = field('Password', { id: 'totp-off-password', type: 'password', autocomplete: 'current-password', required: true });
		const code = field('Code', { id: 'totp-off-code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true },
			'From your app, or a recovery code.');
		sec.append(h('p', null, 'On: logging in needs a code from your authenticator app.'),
			form({ id: 'totp-off-form' }, async () => {
				await api('DELETE', 'account/totp', { password: pw.input.value, code: code.input.value.trim() });
				flash('Two-factor log-in is off.');
				render();
			}, pw.row, code.row, button('Turn off two-factor log-in', { class: 'danger' })));
		return sec;
	}
	const area = h('div', { id: 'totp-setup' });
	area.append(h('p', null, 'Off. With it on, logging in also needs a code from an authenticator app (RFC 6238 TOTP).'),
		action('Set up two-factor log-in', async () => {
			const r = await api('POST', 'account/totp');
			area.replaceChildren(totpConfirm(r));
			area.querySelector('input').focus();
		}, { id: 'totp-start' }));
	sec.append(area);
	return sec;
}

function totpConfirm(r) {
	const grouped = (r.secret || '').replace(/(.{4})/g, '$1 ').trim();
	let qr = null;
	try { qr = qrSvg(r.uri); } catch { qr = null; }
	const code = field('Code from the app', { id: 'totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 8 });
	const wrap = h('div', null,
		h('p', null, 'Scan this code with your authenticator app, or type the key into it:'),
		qr ? h('div', { class: 'qr', id: 'totp-qr' }, qr) : null,
		h('p', null, 'Key: ', h('code', { id: 'totp-secret', class: 'secret-text' }, grouped), ' ', copyButton(() => r.secret)),
		h('details', null, h('summary', null, 'otpauth link'), h('code', { id: 'totp-uri', class: 'wrap' }, r.uri)));
	const f = form({ id: 'totp-confirm-form' }, async () => {
		const res = await api('POST', 'account/totp/confirm', { code: code.input.value.trim() });
		if (state.user) state.user.totp = true;
		const shown = document.getElementById('totp-state');
		if (shown) shown.textContent = 'on';
		const codes = res.recovery_codes || [];
		wrap.replaceWith(h('div', { class: 'secret', id: 'recovery' },
			h('p', null, h('strong', null, 'Two-factor log-in is on. These are your recovery codes, shown only this once.')),
			h('p', null, 'Each works once instead of a code, if you lose your phone. Keep them somewhere safe.'),
			codeBlock(codes.join('\n'), 'recovery codes'),
			action('I have saved them', async () => { render(); }, { id: 'recovery-done' })));
	}, code.row, button('Turn on', { id: 'totp-confirm' }));
	wrap.append(f);
	return wrap;
}

// "Firefox on Linux" from a User-Agent; the whole string when unknown.
export function uaShort(ua = '') {
	const browser = [['Edg/', 'Edge'], ['OPR/', 'Opera'], ['Firefox/', 'Firefox'], ['Chrome/', 'Chrome'],
		['Safari/', 'Safari'], ['curl/', 'curl']].find(([k]) => ua.includes(k));
	const os = [['Android', 'Android'], ['iPhone', 'iPhone'], ['iPad', 'iPad'], ['Windows', 'Windows'],
		['Mac OS X', 'macOS'], ['Linux', 'Linux']].find(([k]) => ua.includes(k));
	if (!browser) return ua || 'unknown';
	return os ? `${browser[1]} on ${os[1]}` : browser[1];
}

function sessionsSection(list) {
	const sec = h('section', { 'aria-labelledby': 'sess-h' }, h('h2', { id: 'sess-h' }, 'Sessions'));
	if (list.error) { sec.append(notice(list.error, 'error')); return sec; }
	sec.append(table(['Started', 'Last seen', 'Expires', 'From', 'Browser', ''], list.map((x) => h('tr', null,
		h('td', null, fmtTime(x.created)), h('td', null, when(x.last_seen)), h('td', null, fmtTime(x.expires)),
		h('td', { class: 'addr' }, x.src), h('td', { class: 'ua', title: x.client }, uaShort(x.client)),
		h('td', null, x.current ? h('strong', null, 'this browser') : action('Revoke', async () => {
			await api('DELETE', `sessions/${enc(x.id)}`);
			flash('The session is ended.');
			render();
		}, { class: 'danger', 'aria-label': `Revoke the session from ${x.src}` })))), { id: 'sessions-table' }));
	return sec;
}

function apiTokensSection(list) {
	const sec = h('section', { 'aria-labelledby': 'api-h' }, h('h2', { id: 'api-h' }, 'API tokens'),
		h('p', null, 'For scripts using the JSON API (', h('code', null, 'Authorization: Bearer TOKEN'), '); a token acts for all your hosts.'));
	if (list.error) { sec.append(notice(list.error, 'error')); return sec; }
	const live = list.filter((t) => !t.revoked);
	if (live.length) {
		sec.append(table(['Label', 'Created', 'Last used', ''], live.map((t) => h('tr', null,
			h('td', null, t.name || '(no label)'), h('td', null, when(t.created)), h('td', null, when(t.last_used)),
			h('td', null, action('Revoke', async () => {
				await api('DELETE', `tokens/${t.id}`);
				flash('The API token is revoked.');
				render();
			}, { class: 'danger', 'aria-label': `Revoke API token ${t.name || t.id}` })))), { id: 'apitokens-table' }));
	}
	const label = field('Label', { id: 'apitoken-label', maxlength: 60 });
	const shown = h('div');
	sec.append(form({ id: 'apitoken-form' }, async () => {
		const r = await api('POST', 'tokens', { label: label.input.value.trim() });
		label.input.value = '';
		shown.replaceChildren(h('div', { class: 'secret', role: 'status' },
			h('p', null, h('strong', null, 'Your new API token; copy it now, it is shown only this once.')),
			codeBlock(r.token, 'the new API token')));
	}, label.row, button('Create API token')), shown);
	return sec;
}

function exportSection(u) {
	return h('section', { 'aria-labelledby': 'exp-h' }, h('h2', { id: 'exp-h' }, 'Your data'),
		h('p', null, 'Everything we keep about you: account, hosts, their history, token and session records, as JSON.'),
		action('Download my data', async () => {
			const r = await fetch('/api/v1/account/export', { credentials: 'same-origin', cache: 'no-store' });
			if (!r.ok) throw new Error(`The export failed (${r.status}).`);
			const blob = await r.blob();
			const a = h('a', { href: URL.createObjectURL(blob), download: `ddnsd-${u.name}.json` });
			document.body.append(a);
			a.click();
			setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
		}, { id: 'export' }));
}

function deleteAccountSection(u) {
	const pw = field('Password', { id: 'delete-account-password', type: 'password', autocomplete: 'current-password', required: true });
	const code = u.totp ? field('Two-factor code', { id: 'delete-account-code', inputmode: 'numeric', required: true }) : null;
	const f = form({ id: 'delete-account-form' }, async () => {
		const body = { password: pw.input.value };
		if (code) body.code = code.input.value.trim();
		await api('DELETE', 'account', body);
		state.user = null;
		state.csrf = '';
		flash('Your account and its hosts are deleted. Goodbye.');
		go('#/login');
	}, h('p', null, 'Deletes your account and every host in it, at once. Download your data first if you want to keep it.'),
	pw.row, code && code.row, button('Delete my account', { class: 'danger' }));
	return h('section', { class: 'danger-zone', 'aria-labelledby': 'delacc-h' }, h('h2', { id: 'delacc-h' }, 'Delete account'), f);
}
