// SPDX-License-Identifier: GPL-3.0-or-later
//
// ddnsd's web dashboard: one module, no framework, no build step, no
// request to any other host. It talks to /api/v1/ (docs/api.md, "The
// dashboard's endpoints") with the session cookie, and sends the CSRF
// token from GET /api/v1/session on every change.
//
// Pages are chosen by the URL's fragment (#/hosts, #/host/NAME, ...), so
// the server serves one index.html and never needs to know the routes.
//
// Safety rule for this file: text from the server or the user goes into
// the page only as text (textContent, text nodes, attribute values set
// with setAttribute); never as HTML.

import { qrSvg } from './qr.js';

const state = {
	user: null,       // the logged-in user, or null
	csrf: '',         // X-CSRF-Token for changes
	flash: null,      // {text, kind} shown once on the next page
	zones: null,      // GET /api/v1/zones, cached for the session
};

// ------------------------------------------------------------ elements

// h('p', {class: 'x'}, 'text', child, ...): an element whose children are
// nodes or text (strings become text nodes, never markup).
function h(tag, props, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(props || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = v;
		else if (k === 'value') el.value = v;
		else if (k === 'checked') el.checked = !!v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, kids);
	return el;
}

function append(el, kids) {
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : String(kid));
	}
	return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
	append(el, kids);
	return el;
}

let idSeq = 0;
// A labelled input: {row, input}. attrs go to the input (id, type, ...);
// attrs.tag may be 'textarea' or 'select' (with attrs.options).
function field(label, attrs = {}, hint = null) {
	const { tag = 'input', options = null, ...rest } = attrs;
	const id = rest.id || `f${++idSeq}`;
	const input = h(tag, { ...rest, id });
	if (options) for (const [value, text] of options) input.append(h('option', { value }, text));
	let hintEl = null;
	if (hint) {
		hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint);
		input.setAttribute('aria-describedby', `${id}-hint`);
	}
	const row = tag === 'input' && rest.type === 'checkbox'
		? h('div', { class: 'field check' }, input, h('label', { for: id }, label), hintEl)
		: h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
	return { row, input };
}

// A form whose submit runs fn(form); errors are shown in it, buttons are
// disabled meanwhile.
function form(props, fn, ...kids) {
	const err = h('p', { class: 'error', role: 'alert' });
	const f = h('form', props, ...kids, err);
	f.addEventListener('submit', async (e) => {
		e.preventDefault();
		err.textContent = '';
		const buttons = [...f.querySelectorAll('button')];
		buttons.forEach((b) => { b.disabled = true; });
		try {
			await fn(f, err);
		} catch (ex) {
			err.textContent = ex.message || String(ex);
		} finally {
			buttons.forEach((b) => { b.disabled = false; });
		}
	});
	return f;
}

function button(text, props = {}) {
	return h('button', { type: 'submit', ...props }, text);
}

// A button that runs fn on click, showing its error next to it.
function action(text, fn, props = {}) {
	const err = h('span', { class: 'error', role: 'alert' });
	const b = h('button', { type: 'button', ...props }, text);
	b.addEventListener('click', async () => {
		err.textContent = '';
		b.disabled = true;
		try { await fn(b); } catch (ex) { err.textContent = ex.message || String(ex); } finally { b.disabled = false; }
	});
	return h('span', { class: 'action' }, b, err);
}

function notice(text, kind = 'info') {
	return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// A table; on a narrow screen each row becomes a card whose cells say
// which column they are (data-label, shown by style.css).
function table(head, rows, props = {}) {
	for (const row of rows)
		[...row.children].forEach((cell, i) => { if (head[i]) cell.setAttribute('data-label', head[i]); });
	return h('div', { class: 'scroll' },
		h('table', { class: 'cards', ...props },
			h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
			h('tbody', null, rows)));
}

function badge(stateName) {
	return h('span', { class: `badge state-${stateName}` }, stateName);
}

// "Copy" for a secret or a configuration; falls back to selecting it.
function copyButton(getText, label = 'Copy') {
	const b = h('button', { type: 'button', class: 'copy' }, label);
	const said = h('span', { class: 'copied', role: 'status' });
	b.addEventListener('click', async () => {
		try {
			await navigator.clipboard.writeText(getText());
			said.textContent = 'Copied.';
		} catch {
			said.textContent = 'Select the text and copy it (your browser did not allow it).';
		}
		setTimeout(() => { said.textContent = ''; }, 4000);
	});
	return h('span', null, b, said);
}

function codeBlock(text, label) {
	const pre = h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, text);
	return h('div', { class: 'codeblock' }, pre, copyButton(() => pre.textContent));
}

// ---------------------------------------------------------- formatting

function fmtTime(t) {
	if (!t) return 'never';
	const d = new Date(t * 1000);
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function ago(t) {
	if (!t) return 'never';
	const s = Math.round(Date.now() / 1000 - t);
	if (s < 60) return 'just now';
	if (s < 3600) return `${Math.floor(s / 60)} min ago`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
	return `${Math.floor(s / 86400)} days ago`;
}

function when(t) {
	return h('time', { datetime: t ? new Date(t * 1000).toISOString() : null, title: fmtTime(t) }, ago(t));
}

function dur(sec) {
	sec = Math.floor(sec || 0);
	const d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
	return d ? `${d} d ${hh} h` : hh ? `${hh} h ${m} min` : `${m} min ${sec % 60} s`;
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
	constructor(status, message, data) {
		super(message);
		this.status = status;
		this.data = data || {};
	}
}

async function api(method, path, body) {
	const opt = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	if (method !== 'GET' && method !== 'HEAD' && state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
	let r;
	try {
		r = await fetch(`/api/v1/${path}`, opt);
	} catch {
		throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
	}
	let data = null;
	try { data = await r.json(); } catch { data = null; }
	if (!r.ok) {
		let msg = (data && data.error) || `The server answered ${r.status} ${r.statusText}.`;
		const retry = r.headers.get('Retry-After');
		if ((r.status === 429 || r.status === 503) && retry) msg += ` Try again in ${retry} seconds.`;
		if (r.status === 401 && state.user && !path.startsWith('session')) {
			// The session ended (expired, revoked, password changed):
			// drop the page being built, show the log-in with why.
			state.user = null;
			state.csrf = '';
			renderSeq++;
			flash('Your session has ended. Please log in again.', 'error');
			go('#/login');
		}
		throw new ApiError(r.status, msg, data);
	}
	return data;
}

const enc = encodeURIComponent;

async function loadSession() {
	try {
		const s = await api('GET', 'session');
		state.user = s.user;
		state.csrf = s.csrf;
	} catch {
		state.user = null;
		state.csrf = '';
	}
}

async function zones() {
	if (!state.zones) state.zones = await api('GET', 'zones');
	return state.zones;
}

function zoneOf(zs, name) {
	return zs.filter((z) => name === z.name || name.endsWith(`.${z.name}`))
		.sort((a, b) => b.name.length - a.name.length)[0] || null;
}

// ------------------------------------------------------------- routing

function go(hash) {
	if (location.hash === hash) render();
	else location.hash = hash;
}

function flash(text, kind = 'ok') {
	state.flash = { text, kind };
}

function nav() {
	const cur = location.hash.split('/')[1] || '';
	const link = (href, text, key) => h('a', { href, 'aria-current': cur === key ? 'page' : null }, text);
	const el = document.getElementById('nav');
	el.replaceChildren();
	if (state.user) {
		append(el, [
			link('#/hosts', 'Hosts', 'hosts'),
			link('#/new', 'New host', 'new'),
			link('#/account', 'Account', 'account'),
			state.user.admin ? link('#/admin', 'Admin', 'admin') : null,
			h('button', { type: 'button', id: 'logout', class: 'link', onclick: logout }, `Log out ${state.user.name}`),
		]);
	} else {
		append(el, [link('#/login', 'Log in', 'login'), link('#/signup', 'Sign up', 'signup')]);
	}
}

async function logout() {
	try { await api('DELETE', 'session'); } catch { /* gone already */ }
	state.user = null;
	state.csrf = '';
	flash('You are logged out.');
	go('#/login');
}

const publicPages = {
	login: pageLogin,
	signup: pageSignup,
	verify: pageVerify,
	forgot: pageForgot,
	reset: pageReset,
};
const privatePages = {
	hosts: pageHosts,
	new: pageNewHost,
	host: pageHost,
	account: pageAccount,
	admin: pageAdmin,
};

let renderSeq = 0;

async function render() {
	const seq = ++renderSeq;
	const parts = location.hash.replace(/^#\/?/, '').split('/').map((p) => {
		try { return decodeURIComponent(p); } catch { return p; }
	});
	let [page, ...args] = parts;
	if (!page) page = state.user ? 'hosts' : 'login';
	let fn = publicPages[page] || privatePages[page];
	if (privatePages[page] && !state.user) {
		flash('Log in to see that page.', 'info');
		location.replace('#/login');
		return;
	}
	if (page === 'login' && state.user) {
		location.replace('#/hosts');
		return;
	}
	if (!fn) fn = pageNotFound;
	const main = document.getElementById('main');
	nav();
	let content;
	try {
		content = await fn(...args);
	} catch (ex) {
		content = [h('h1', null, 'Something went wrong'), notice(ex.message || String(ex), 'error')];
	}
	if (seq !== renderSeq) return; // a newer page was asked for meanwhile
	nav();
	main.replaceChildren();
	if (state.flash) {
		main.append(notice(state.flash.text, state.flash.kind));
		state.flash = null;
	}
	append(main, [content]);
	const h1 = main.querySelector('h1');
	document.title = h1 ? `${h1.textContent} · ddnsd` : 'ddnsd';
	main.focus({ preventScroll: true });
}

function pageNotFound() {
	return [h('h1', null, 'Not found'), h('p', null, 'There is no such page. ', h('a', { href: '#/' }, 'Start page'))];
}

// ------------------------------------------------------ log in, sign up

function pageLogin() {
	const name = field('User name', { id: 'login-name', autocomplete: 'username', required: true });
	const pw = field('Password', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
	const code = field('Two-factor code', {
		id: 'login-code', autocomplete: 'one-time-code', inputmode: 'numeric',
	}, 'The 6-digit code from your authenticator app, or one of your recovery codes.');
	const codeRow = code.row;
	codeRow.hidden = true;
	const f = form({ id: 'login-form' }, async () => {
		const body = { name: name.input.value.trim(), password: pw.input.value };
		if (!codeRow.hidden) body.code = code.input.value.trim();
		let r;
		try {
			r = await api('POST', 'session', body);
		} catch (ex) {
			if (ex.status === 401 && ex.data.totp_required && codeRow.hidden) {
				codeRow.hidden = false;
				code.input.required = true;
				code.input.focus();
				throw new Error('Enter the code from your authenticator app.');
			}
			throw ex;
		}
		state.user = r.user;
		state.csrf = r.csrf;
		go('#/hosts');
	}, name.row, pw.row, codeRow, button('Log in', { id: 'login-submit' }));
	return [
		h('h1', null, 'Log in'), f,
		h('p', null, h('a', { href: '#/forgot' }, 'Forgot your password?'), ' · ',
			h('a', { href: '#/signup' }, 'Create an account')),
	];
}

async function pageSignup() {
	let info;
	try { info = await api('GET', 'signup'); } catch (ex) { info = { mode: 'closed', error: ex.message }; }
	const out = [h('h1', null, 'Sign up')];
	if (info.mode === 'closed') {
		out.push(notice(info.error || 'Sign-up is closed on this service. Ask its operator for an account.', 'info'));
		return out;
	}
	const min = info.password_min || 10;
	const name = field('User name', { id: 'signup-name', autocomplete: 'username', required: true, maxlength: 64 },
		'Letters, digits, dots, hyphens and underscores.');
	const email = field('Email address', { id: 'signup-email', type: 'email', autocomplete: 'email', required: true },
		'We send a link to confirm it; password resets go there too.');
	const pw = field('Password', { id: 'signup-password', type: 'password', autocomplete: 'new-password', required: true, minlength: min },
		`At least ${min} characters.`);
	const invite = info.mode === 'invite'
		? field('Invitation code', { id: 'signup-invite', required: true, autocomplete: 'off' }, 'Sign-up here is by invitation.')
		: null;
	const f = form({ id: 'signup-form' }, async () => {
		const body = { name: name.input.value.trim(), email: email.input.value.trim(), password: pw.input.value };
		if (invite) body.invite = invite.input.value.trim();
		await api('POST', 'signup', body);
		f.replaceWith(notice(`Almost done: we sent a link to ${body.email}. Open it to confirm your address, then log in.`, 'ok'));
	}, name.row, email.row, pw.row, invite && invite.row, button('Create account', { id: 'signup-submit' }));
	out.push(f, h('p', null, 'Have an account? ', h('a', { href: '#/login' }, 'Log in')));
	return out;
}

async function pageVerify(token = '') {
	const out = [h('h1', null, 'Confirm your address')];
	try {
		const r = await api('POST', 'signup/verify', { token });
		out.push(notice(`Thank you, ${r.name || ''}: your address is confirmed. You can log in now.`, 'ok'),
			h('p', null, h('a', { href: '#/login', class: 'button' }, 'Log in')));
	} catch (ex) {
		out.push(notice(ex.message, 'error'),
			h('p', null, 'The link may have expired (it is valid for 24 hours) or been used already.'));
	}
	return out;
}

function pageForgot() {
	const email = field('Email address', { id: 'forgot-email', type: 'email', autocomplete: 'email', required: true });
	const f = form({ id: 'forgot-form' }, async () => {
		await api('POST', 'password-reset', { email: email.input.value.trim() });
		f.replaceWith(notice('If an account has that address, a link to set a new password is on its way. It is valid for one hour.', 'ok'));
	}, email.row, button('Send me a link'));
	return [h('h1', null, 'Forgot your password?'), f];
}

function pageReset(token = '') {
	const pw = field('New password', { id: 'reset-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
	const f = form({ id: 'reset-form' }, async () => {
		await api('POST', 'password-reset/confirm', { token, password: pw.input.value });
		flash('Your password is changed, and every session of your account has ended. Log in with the new password.');
		go('#/login');
	}, pw.row, button('Set password'));
	return [h('h1', null, 'Choose a new password'), f];
}

// -------------------------------------------------------------- hosts

function records(host) {
	const parts = [];
	if (host.ipv4) parts.push(h('span', { class: 'rr' }, h('abbr', { title: 'IPv4 address' }, 'A'), ' ', host.ipv4));
	if (host.ipv6) parts.push(h('span', { class: 'rr' }, h('abbr', { title: 'IPv6 address' }, 'AAAA'), ' ', host.ipv6));
	return parts.length ? parts : h('span', { class: 'muted' }, 'no address');
}

async function pageHosts() {
	const hosts = await api('GET', 'hosts');
	const out = [h('h1', null, 'Your hosts')];
	const u = state.user;
	if (u && u.max_hosts !== undefined)
		out.push(h('p', { class: 'muted' }, `${hosts.length} of ${u.max_hosts} hosts.`));
	if (!hosts.length) {
		out.push(h('p', null, 'You have no host yet. ', h('a', { href: '#/new', class: 'button' }, 'Create your first host')));
		return out;
	}
	const rows = hosts.map((x) => h('tr', { 'data-host': x.name },
		h('th', { scope: 'row' }, h('a', { href: `#/host/${enc(x.name)}` }, x.name)),
		h('td', { class: 'addr' }, x.ipv4 || '—'),
		h('td', { class: 'addr' }, x.ipv6 || '—'),
		h('td', { class: 'txt' }, (x.txt || []).join(' ') || '—'),
		h('td', null, when(x.updated), x.client ? h('br') : null, x.client ? h('span', { class: 'muted' }, x.client) : null),
		h('td', null, badge(x.state))));
	out.push(table(['Name', 'A', 'AAAA', 'TXT', 'Last update', 'State'], rows, { id: 'hosts-table' }),
		h('p', null, h('a', { href: '#/new', class: 'button' }, 'New host')));
	return out;
}

async function myAddress() {
	try {
		const r = await fetch('/checkip', { cache: 'no-store' });
		const m = /Current IP Address:\s*([0-9a-fA-F:.]+)/.exec(await r.text());
		return m ? m[1] : '';
	} catch {
		return '';
	}
}

async function pageNewHost() {
	const zs = await zones();
	const out = [h('h1', null, 'New host')];
	if (!zs.length) {
		out.push(notice('This service has no domains to create hosts in.', 'error'));
		return out;
	}
	const label = field('Name', { id: 'new-label', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: 63 },
		'Letters, digits and hyphens; it becomes NAME.DOMAIN.');
	const zone = field('Domain', { id: 'new-zone', tag: 'select', options: zs.map((z) => [z.name, z.name]) });
	const verdict = h('p', { id: 'new-check', class: 'check-result', role: 'status', 'aria-live': 'polite' });
	const addr = field('IPv4 address (optional)', { id: 'new-ipv4', inputmode: 'decimal', autocomplete: 'off' },
		'Leave empty to set it later from your router or client.');
	const mine = await myAddress();
	const useMine = mine && mine.includes('.')
		? h('p', { class: 'below' }, h('button', { type: 'button', class: 'link', onclick: () => { addr.input.value = mine; } },
			`Use my current address (${mine})`))
		: null;
	const fqdn = () => `${label.input.value.trim().toLowerCase()}.${zone.input.value}`;
	let timer = null, asked = '';
	async function check() {
		const name = fqdn();
		if (!label.input.value.trim()) { verdict.textContent = ''; verdict.className = 'check-result'; return; }
		asked = name;
		verdict.textContent = `Checking ${name}…`;
		verdict.className = 'check-result';
		try {
			const r = await api('GET', `names/${enc(name)}`);
			if (asked !== name) return; // typed on meanwhile
			verdict.textContent = r.available ? `${r.name || name} is available.` : `${r.name || name} cannot be used: ${r.reason}`;
			verdict.className = `check-result ${r.available ? 'ok' : 'bad'}`;
		} catch (ex) {
			if (asked === name) { verdict.textContent = ex.message; verdict.className = 'check-result bad'; }
		}
	}
	const later = () => { clearTimeout(timer); timer = setTimeout(check, 300); };
	label.input.addEventListener('input', later);
	zone.input.addEventListener('change', later);
	const f = form({ id: 'new-form' }, async () => {
		const body = { name: fqdn() };
		if (addr.input.value.trim()) body.ipv4 = addr.input.value.trim();
		const host = await api('POST', 'hosts', body);
		const name = (host && host.name) || body.name;
		if (state.user) state.user.hosts = (state.user.hosts || 0) + 1;
		flash(`${name} is created. Next: make an update token for your router or client below.`);
		go(`#/host/${enc(name)}`);
	}, label.row, zone.row, verdict, addr.row, useMine, button('Create host', { id: 'new-submit' }));
	out.push(f);
	return out;
}

// One host: records, state, tokens, client configurations, history.
async function pageHost(name = '') {
	const [host, zs] = await Promise.all([api('GET', `hosts/${enc(name)}`), zones().catch(() => [])]);
	const z = zoneOf(zs, host.name) || {};
	const out = [h('h1', null, host.name, ' ', badge(host.state))];
	out.push(h('p', { class: 'muted' }, 'Last update ', when(host.updated),
		host.client ? ` by ${host.client}` : '', host.source ? ` from ${host.source}` : '', '.'));
	if (host.state === 'suspended' || host.state === 'blocked') out.push(suspension(host));
	out.push(recordsSection(host, z), tokensSection(host), historySection(host), dangerSection(host));
	return out;
}

function suspension(host) {
	const box = h('section', { class: 'suspended', id: 'suspension', 'aria-labelledby': 'susp-h' },
		h('h2', { id: 'susp-h' }, host.state === 'blocked' ? 'Updates of this host are blocked' : 'This host is suspended'),
		h('p', null, 'Reason: ', h('strong', { id: 'suspension-reason' }, host.reason || 'none given')),
		h('p', null, 'While it is suspended the name does not resolve to your addresses, and changes are refused.'));
	const cases = host.abuse || [];
	if (cases.length) {
		box.append(table(['Case', 'Category', 'Status', 'Outcome', 'Opened'], cases.map((c) => h('tr', null,
			h('td', null, c.id), h('td', null, c.category), h('td', null, c.status),
			h('td', null, c.outcome || '—'), h('td', null, when(c.created))))));
	}
	if (host.state !== 'suspended') return box;
	if (cases.some((c) => c.status === 'appealed')) {
		box.append(notice('Your appeal is with the operator. You will get an email with the decision.', 'info'));
		return box;
	}
	const text = field('Why is this suspension wrong?', { id: 'appeal-text', tag: 'textarea', required: true, rows: 4, maxlength: 2000 });
	const f = form({ id: 'appeal-form' }, async () => {
		await api('POST', `hosts/${enc(host.name)}/appeal`, { text: text.input.value });
		f.replaceWith(notice('Your appeal is sent. The operator will look at it and you will get an email with the decision.', 'ok'));
	}, h('h3', null, 'Appeal'), text.row, button('Send appeal', { id: 'appeal-submit' }));
	box.append(f);
	return box;
}

function recordsSection(host, z) {
	const sec = h('section', { 'aria-labelledby': 'rec-h' }, h('h2', { id: 'rec-h' }, 'Records'));
	const ttlMin = z.ttl_min ?? 0, ttlMax = z.ttl_max ?? 86400;
	const a = field('IPv4 address (A)', { id: 'host-ipv4', value: host.ipv4 || '', inputmode: 'decimal', autocomplete: 'off' }, 'Empty: no A record.');
	const aaaa = field('IPv6 address (AAAA)', { id: 'host-ipv6', value: host.ipv6 || '', autocomplete: 'off' }, 'Empty: no AAAA record.');
	const txt = field('TXT records', { id: 'host-txt', tag: 'textarea', rows: 3, value: (host.txt || []).join('\n') }, 'One per line.');
	const mx = field('Mail server (MX)', { id: 'host-mx', value: host.mx || '', autocomplete: 'off' }, 'A host name, or empty for none.');
	const pref = field('MX preference', { id: 'host-mxpref', type: 'number', min: 0, max: 65535, value: host.mx_pref ?? 10 });
	const wild = field(`Wildcard: *.${host.name} answers the same`, { id: 'host-wildcard', type: 'checkbox', checked: host.wildcard });
	const ttl = field('TTL (seconds)', { id: 'host-ttl', type: 'number', min: ttlMin, max: ttlMax, value: host.ttl },
		`Between ${ttlMin} and ${ttlMax} in this domain.`);
	const saved = h('p', { class: 'saved', role: 'status' });
	const f = form({ id: 'records-form' }, async () => {
		saved.textContent = '';
		const body = {
			ipv4: a.input.value.trim(), ipv6: aaaa.input.value.trim(),
			txt: txt.input.value.split('\n').map((l) => l.trim()).filter(Boolean),
			mx: mx.input.value.trim(), mx_pref: Number(pref.input.value || 10),
			wildcard: wild.input.checked, ttl: Number(ttl.input.value),
		};
		await api('PATCH', `hosts/${enc(host.name)}`, body);
		flash('Saved. DNS serves the new records already.');
		render();
	}, a.row, aaaa.row, txt.row, h('div', { class: 'pair' }, mx.row, pref.row), wild.row, ttl.row,
	button('Save records', { id: 'records-submit', disabled: host.state === 'suspended' }), saved);
	sec.append(f);
	if (host.acme && host.acme.length)
		sec.append(h('p', { class: 'muted' }, `ACME challenge values at _acme-challenge.${host.name}: ${host.acme.length}.`));
	const offline = host.state === 'offline';
	sec.append(h('p', null, offline
		? 'This host is offline: its addresses are kept but not served. '
		: 'Going offline keeps the addresses but stops serving them. ',
	action(offline ? 'Bring online' : 'Take offline', async () => {
		await api('PATCH', `hosts/${enc(host.name)}`, { offline: !offline });
		flash(offline ? 'The host is online again.' : 'The host is offline.');
		render();
	}, { id: 'offline-toggle', disabled: host.state === 'suspended' })));
	return sec;
}

function tokensSection(host) {
	const sec = h('section', { 'aria-labelledby': 'tok-h' }, h('h2', { id: 'tok-h' }, 'Update tokens'),
		h('p', null, 'A token lets a router or client update this host and nothing else. ',
			'Use it instead of your password: the user name is ', h('code', null, host.name), ' and the password is the token.'));
	const live = (host.tokens || []).filter((t) => !t.revoked);
	if (live.length) {
		sec.append(table(['Label', 'Created', 'Last used', ''], live.map((t) => h('tr', { 'data-token': t.id },
			h('td', null, t.name || '(no label)'), h('td', null, when(t.created)), h('td', null, when(t.last_used)),
			h('td', null, action('Revoke', async () => {
				await api('DELETE', `hosts/${enc(host.name)}/tokens/${t.id}`);
				flash(`Token ${t.name || t.id} revoked: it no longer updates the host.`);
				render();
			}, { class: 'danger', 'aria-label': `Revoke token ${t.name || t.id}` })))), { id: 'tokens-table' }));
	} else {
		sec.append(h('p', { class: 'muted' }, 'No tokens yet.'));
	}
	const label = field('Label', { id: 'token-label', maxlength: 60, placeholder: 'e.g. router' }, 'So you know later where it is used.');
	const configs = h('div', { id: 'configs' });
	configs.append(clientConfigs(host, null));
	const shown = h('div', { id: 'new-token' });
	const f = form({ id: 'token-form' }, async () => {
		const r = await api('POST', `hosts/${enc(host.name)}/tokens`, { label: label.input.value.trim() });
		label.input.value = '';
		shown.replaceChildren(h('div', { class: 'secret', role: 'status' },
			h('p', null, h('strong', null, 'Your new token. Copy it now: it is shown only this once.')),
			codeBlock(r.token, 'the new token'),
			h('p', { class: 'muted' }, 'The configurations below have it filled in. Reload the page and it is gone.')));
		configs.replaceChildren(clientConfigs(host, r.token));
		shown.querySelector('pre').focus();
	}, label.row, button('Create token', { id: 'token-submit' }));
	sec.append(f, shown, configs);
	return sec;
}

// Ready-to-paste configurations for the common clients.
function clientConfigs(host, token) {
	const T = token || 'YOUR_TOKEN';
	const origin = location.origin;
	const hostport = location.host;
	const tls = location.protocol === 'https:';
	const name = host.name;
	const label = name.split('.')[0];
	const items = [
		['ddnsc (ddnsd\'s own client)', `; /etc/ddnsc/ddnsc.conf
[client]
interval = 300
cache    = /var/lib/ddnsc/cache
checkip  = ${origin}/checkip

[host ${name}]
provider      = dyndns2
server        = ${origin}
username      = ${name}
password-file = /etc/ddnsc/${label}.secret
ipv4          = web
ipv6          = interface

; the token goes in the password file, readable by its owner only:
;   printf '%s\\n' '${T}' | sudo install -m 0600 /dev/stdin /etc/ddnsc/${label}.secret
; then: ddnsc -c /etc/ddnsc/ddnsc.conf --once`],
		['ddclient', `# /etc/ddclient.conf (mode 0600)
daemon=300
ssl=${tls ? 'yes' : 'no'}
use=web, web=${origin}/checkip
protocol=dyndns2
server=${hostport}
login=${name}
password='${T}'
${name}`],
		['inadyn', `# /etc/inadyn.conf (mode 0600)
period = 300
custom ddnsd {
    ssl            = ${tls}
    username       = "${name}"
    password       = "${T}"
    checkip-server = ${hostport}
    checkip-path   = /checkip
    checkip-ssl    = ${tls}
    ddns-server    = ${hostport}
    ddns-path      = "/nic/update?hostname=%h&myip=%i"
    hostname       = ${name}
}`],
		['curl', `# DynDNS2: the address the request comes from, or myip=
curl -sS -u '${name}:${T}' '${origin}/nic/update?hostname=${name}'
curl -sS -u '${name}:${T}' '${origin}/nic/update?hostname=${name}&myip=203.0.113.7'
# DuckDNS style (token in the URL)
curl -sS '${origin}/update?domains=${name}&token=${T}&ip=203.0.113.7&ipv6='`],
		['Fritz!Box', `Internet → Permit Access → DynDNS (Internet → Freigaben → DynDNS)
DynDNS provider : User-defined (Benutzerdefiniert)
Update URL      : ${origin}/update?domains=<domain>&token=<pass>&ip=<ipaddr>&ipv6=<ip6addr>
Domain name     : ${name}
User name       : ${name}
Password        : ${T}`],
		['OpenWrt (ddns-scripts)', `# /etc/config/ddns
config service 'ddnsd'
	option enabled '1'
	option service_name ''
	option update_url '${origin}/update?domains=[DOMAIN]&token=[PASSWORD]&ip=[IP]'
	option domain '${name}'
	option lookup_host '${name}'
	option username '${name}'
	option password '${T}'
	option use_https '${tls ? 1 : 0}'
	option ip_source 'network'
	option ip_network 'wan'
	option interface 'wan'
	option check_interval '10'
	option check_unit 'minutes'`],
		['ACME (acme.sh, DNS-01)', `# Certificates for ${name} and *.${name}: the challenge goes to
# _acme-challenge.${name} through ddnsd's DuckDNS-style txt= with this
# host's token (RFC 2136 with a TSIG key works too: docs/acme.md).
# ~/.acme.sh/dnsapi/dns_ddnsd.sh:
dns_ddnsd_add() { _ddnsd "$1" "$2" ""; }
dns_ddnsd_rm()  { _ddnsd "$1" "$2" "&clear=true"; }
_ddnsd() {
  host=$(printf '%s' "$1" | sed 's/^_acme-challenge\\.//')
  [ "$(_get "$DDNSD_Server/update?domains=$host&token=$DDNSD_Token&txt=$2$3")" = OK ]
}

# then:
export DDNSD_Server='${origin}' DDNSD_Token='${T}'
acme.sh --issue --dns dns_ddnsd -d ${name} -d '*.${name}'`],
	];
	return h('div', { class: 'configs' }, h('h3', null, 'Set up your router or client'),
		token ? null : h('p', { class: 'muted' }, 'Create a token above and it is filled in here; until then, YOUR_TOKEN stands for it.'),
		items.map(([title, text], i) => h('details', { class: 'config', id: `config-${i}` },
			h('summary', null, title), codeBlock(text, `${title} configuration`))));
}

// Updates per day over the last 30 days, drawn as bars.
function historyChart(hist) {
	const days = 30, day = 86400;
	const today = Math.floor(Date.now() / 1000 / day);
	const counts = new Array(days).fill(0);
	for (const e of hist) {
		const i = days - 1 - (today - Math.floor(e.time / day));
		if (i >= 0 && i < days) counts[i]++;
	}
	const total = counts.reduce((x, y) => x + y, 0);
	const max = Math.max(1, ...counts);
	const W = 600, H = 120, bw = W / days;
	const svg = s('svg', { viewBox: `0 0 ${W} ${H + 20}`, role: 'img', class: 'chart', id: 'history-chart',
		'aria-label': `Updates per day over the last ${days} days: ${total} in total, at most ${Math.max(...counts)} a day.` });
	svg.append(s('line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis' }));
	counts.forEach((c, i) => {
		const bh = Math.round((c / max) * (H - 10));
		const date = new Date((today - (days - 1 - i)) * day * 1000).toISOString().slice(0, 10);
		svg.append(s('rect', { x: i * bw + 2, y: H - bh, width: bw - 4, height: bh, class: 'bar' },
			s('title', null, `${date}: ${c} update${c === 1 ? '' : 's'}`)));
	});
	svg.append(s('text', { x: 0, y: H + 16, class: 'tick' }, `${days} days ago`));
	svg.append(s('text', { x: W, y: H + 16, class: 'tick', 'text-anchor': 'end' }, 'today'));
	svg.append(s('text', { x: 0, y: 12, class: 'tick' }, `${max} a day`));
	return svg;
}

function historySection(host) {
	const hist = host.history || [];
	const sec = h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'Update history'));
	if (!hist.length) {
		sec.append(h('p', { class: 'muted' }, 'No updates yet.'));
		return sec;
	}
	sec.append(historyChart(hist));
	sec.append(table(['Time', 'Result', 'New', 'Old', 'Client', 'From'], hist.map((e) => h('tr', null,
		h('td', { class: 'when' }, h('time', { datetime: new Date(e.time * 1000).toISOString() }, fmtTime(e.time))),
		h('td', null, e.result), h('td', { class: 'addr' }, e.new), h('td', { class: 'addr muted' }, e.old),
		h('td', null, e.client), h('td', { class: 'addr' }, e.source))), { id: 'history-table' }));
	return sec;
}

function dangerSection(host) {
	const confirmIn = field(`Type ${host.name} to confirm`, { id: 'delete-confirm', autocomplete: 'off', spellcheck: 'false' });
	const f = form({ id: 'delete-form' }, async () => {
		if (confirmIn.input.value.trim().toLowerCase() !== host.name)
			throw new Error(`Type the full name, ${host.name}, to delete it.`);
		await api('DELETE', `hosts/${enc(host.name)}`);
		if (state.user && state.user.hosts) state.user.hosts--;
		flash(`${host.name} is deleted. The name is held for a while before anyone can take it.`);
		go('#/hosts');
	}, h('p', null, 'Deleting removes the host and its records at once; its tokens stop working.'),
	confirmIn.row, button('Delete this host', { class: 'danger', id: 'delete-submit' }));
	return h('section', { class: 'danger-zone', 'aria-labelledby': 'del-h' }, h('h2', { id: 'del-h' }, 'Delete'), f);
}

// ------------------------------------------------------------ account

async function pageAccount() {
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
function uaShort(ua = '') {
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

// -------------------------------------------------------------- admin

function adminNav(cur) {
	const tabs = [['status', 'Status'], ['users', 'Users'], ['hosts', 'Hosts'], ['abuse', 'Abuse queue'], ['audit', 'Audit log']];
	return h('nav', { class: 'tabs', 'aria-label': 'Operator' }, tabs.map(([k, t]) =>
		h('a', { href: `#/admin/${k}`, 'aria-current': cur === k ? 'page' : null }, t)));
}

async function pageAdmin(sub = 'status', arg = '') {
	if (!state.user.admin) return [h('h1', null, 'Operators only'), notice('This page is for the service\'s operators.', 'error')];
	const pages = { status: adminStatus, users: adminUsers, hosts: adminHosts, host: adminHost, abuse: adminAbuse, case: adminCase, audit: adminAudit };
	const fn = pages[sub] || adminStatus;
	const tab = sub === 'host' ? 'hosts' : sub === 'case' ? 'abuse' : sub;
	return [adminNav(tab), ...[await fn(arg)].flat()];
}

async function adminStatus() {
	const st = await api('GET', 'admin/status');
	const scalars = Object.entries(st).filter(([, v]) => typeof v !== 'object');
	const label = (k) => k.replace(/_/g, ' ');
	const out = [h('h1', null, 'Service status'),
		h('dl', { class: 'facts', id: 'status-facts' }, scalars.map(([k, v]) => [
			h('dt', null, label(k)), h('dd', null, k === 'uptime' ? dur(v) : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v))]))];
	if (Array.isArray(st.zones))
		out.push(h('h2', null, 'Zones'), table(['Zone', 'Serial', 'Hosts'], st.zones.map((z) => h('tr', null,
			h('td', null, z.name), h('td', null, String(z.serial ?? '')), h('td', null, String(z.hosts ?? '')))), { id: 'zones-table' }));
	return out;
}

function searchForm(id, label, value, fn) {
	const q = field(label, { id, type: 'search', value, autocomplete: 'off' });
	return form({ class: 'search', role: 'search' }, async () => fn(q.input.value.trim()), q.row, button('Search'));
}

async function adminUsers(q = '') {
	const list = await api('GET', `admin/users?q=${enc(q)}`);
	return [h('h1', null, 'Users'), searchForm('user-q', 'Name or email contains', q, (v) => go(`#/admin/users/${enc(v)}`)),
		list.length ? table(['Name', 'Email', 'Verified', 'Admin', 'Two-factor', 'Hosts', 'Created'], list.map((u) => h('tr', null,
			h('th', { scope: 'row' }, h('a', { href: `#/admin/hosts/${enc(u.name)}` }, u.name)), h('td', null, u.email || '—'),
			h('td', null, u.verified ? 'yes' : 'no'), h('td', null, u.admin ? 'yes' : ''), h('td', null, u.totp ? 'on' : ''),
			h('td', null, String(u.hosts ?? '')), h('td', null, fmtTime(u.created)))), { id: 'users-table' })
			: h('p', { class: 'muted' }, 'No user matches.')];
}

async function adminHosts(q = '') {
	const list = await api('GET', `admin/hosts?q=${enc(q)}`);
	return [h('h1', null, 'Hosts'), searchForm('host-q', 'Name or owner contains', q, (v) => go(`#/admin/hosts/${enc(v)}`)),
		list.length ? table(['Name', 'Owner', 'A', 'AAAA', 'Last update', 'State'], list.map((x) => h('tr', { 'data-host': x.name },
			h('th', { scope: 'row' }, h('a', { href: `#/admin/host/${enc(x.name)}` }, x.name)), h('td', null, x.owner || ''),
			h('td', { class: 'addr' }, x.ipv4 || '—'), h('td', { class: 'addr' }, x.ipv6 || '—'),
			h('td', null, when(x.updated)), h('td', null, badge(x.state)))), { id: 'admin-hosts-table' })
			: h('p', { class: 'muted' }, 'No host matches.')];
}

async function adminHost(name) {
	const x = await api('GET', `admin/hosts/${enc(name)}`);
	const out = [h('h1', null, x.name, ' ', badge(x.state)),
		h('dl', { class: 'facts' },
			h('dt', null, 'Owner'), h('dd', null, x.owner || ''),
			h('dt', null, 'Records'), h('dd', null, records(x)),
			h('dt', null, 'TXT'), h('dd', { class: 'txt' }, (x.txt || []).join(' ') || '—'),
			h('dt', null, 'Last update'), h('dd', null, when(x.updated), x.client ? ` by ${x.client}` : ''),
			x.reason ? [h('dt', null, 'Reason'), h('dd', { id: 'admin-reason' }, x.reason)] : null)];
	const reason = field(x.state === 'suspended' ? 'Reason for resuming (optional)' : 'Reason (the owner sees it)',
		{ id: 'admin-reason-input', tag: 'textarea', rows: 2, required: x.state !== 'suspended', maxlength: 500 });
	const suspended = x.state === 'suspended';
	out.push(h('section', { 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, suspended ? 'Resume' : 'Suspend'),
		form({ id: 'admin-host-form' }, async () => {
			const body = { reason: reason.input.value.trim() };
			await api('POST', `admin/hosts/${enc(x.name)}/${suspended ? 'resume' : 'suspend'}`, body);
			flash(suspended ? `${x.name} is resumed.` : `${x.name} is suspended; the owner is told.`);
			render();
		}, reason.row, button(suspended ? 'Resume host' : 'Suspend host', { id: 'admin-host-submit', class: suspended ? '' : 'danger' }))));
	const cases = x.abuse || [];
	if (cases.length)
		out.push(h('h2', null, 'Abuse cases'), table(['Case', 'Category', 'Status', 'Outcome', 'Opened'], cases.map((c) => h('tr', null,
			h('td', null, h('a', { href: `#/admin/case/${enc(c.id)}` }, c.id)), h('td', null, c.category), h('td', null, c.status),
			h('td', null, c.outcome || '—'), h('td', null, when(c.created))))));
	const hist = x.history || [];
	if (hist.length)
		out.push(h('h2', null, 'History'), table(['Time', 'Result', 'New', 'Client', 'From'], hist.map((e) => h('tr', null,
			h('td', { class: 'when' }, fmtTime(e.time)), h('td', null, e.result), h('td', { class: 'addr' }, e.new),
			h('td', null, e.client), h('td', { class: 'addr' }, e.source)))));
	return out;
}

async function adminAbuse(status) {
	status = status === 'all' ? 'all' : 'open';
	const list = await api('GET', `admin/abuse?status=${enc(status)}`);
	const sel = field('Show', { id: 'abuse-status', tag: 'select', options: [['open', 'open cases'], ['all', 'all cases']] });
	sel.input.value = status === 'all' ? 'all' : 'open';
	sel.input.addEventListener('change', () => go(`#/admin/abuse/${sel.input.value}`));
	return [h('h1', null, 'Abuse queue'), sel.row,
		list.length ? table(['Case', 'Host', 'Category', 'Reporter', 'Status', 'Opened', 'Evidence'], list.map((c) => h('tr', { 'data-case': c.id },
			h('th', { scope: 'row' }, h('a', { href: `#/admin/case/${enc(c.id)}` }, c.id)), h('td', null, c.host), h('td', null, c.category),
			h('td', null, c.class || ''), h('td', null, c.status), h('td', null, when(c.created)),
			h('td', { class: 'evidence' }, (c.evidence || '').slice(0, 120)))), { id: 'abuse-table' })
			: h('p', { class: 'muted' }, 'The queue is empty.')];
}

async function adminCase(id) {
	const c = await api('GET', `admin/abuse/${enc(id)}`);
	const out = [h('h1', null, `Case ${c.id}`),
		h('dl', { class: 'facts' },
			h('dt', null, 'Host'), h('dd', null, h('a', { href: `#/admin/host/${enc(c.host)}` }, c.host)),
			h('dt', null, 'Category'), h('dd', null, c.category),
			h('dt', null, 'Status'), h('dd', { id: 'case-status' }, c.status, c.outcome ? ` (${c.outcome})` : ''),
			h('dt', null, 'Reporter'), h('dd', null, c.class || '', c.contact ? ` · ${c.contact}` : '', c.source ? ` · from ${c.source}` : ''),
			h('dt', null, 'Opened'), h('dd', null, fmtTime(c.created)),
			c.appeal ? [h('dt', null, 'Owner\'s appeal'), h('dd', { class: 'evidence' }, c.appeal)] : null),
		h('h2', null, 'Evidence'), h('pre', { class: 'evidence', id: 'case-evidence' }, c.evidence || '(none)')];
	if (c.urls && c.urls.length) out.push(h('ul', null, c.urls.map((u) => h('li', null, h('code', null, u)))));
	if (!['open', 'suspended', 'appealed'].includes(c.status)) {
		out.push(notice(`This case is closed (${c.status}).`, 'info'));
		return out;
	}
	const reason = field('Reason', { id: 'case-reason', tag: 'textarea', rows: 2, maxlength: 500 }, 'Required to reject; the reporter and the owner see it.');
	let verb = 'suspend';
	out.push(h('h2', null, 'Decide'), form({ id: 'case-form' }, async () => {
		await api('POST', `admin/abuse/${enc(c.id)}/${verb}`, { reason: reason.input.value.trim() });
		flash(verb === 'suspend' ? `Case ${c.id}: the host is suspended.` : `Case ${c.id} is rejected.`);
		render();
	}, reason.row,
	h('div', { class: 'buttons' },
		h('button', { type: 'submit', class: 'danger', id: 'case-suspend', onclick: () => { verb = 'suspend'; } }, 'Confirm and suspend the host'),
		h('button', { type: 'submit', id: 'case-reject', onclick: () => { verb = 'reject'; } }, 'Reject the report'))));
	return out;
}

async function adminAudit() {
	const r = await api('GET', 'admin/audit?limit=100');
	const rows = r.rows || r.entries || r.audit || [];
	return [h('h1', null, 'Audit log'),
		r.verified
			? notice(`The chain verifies: no row was changed or removed. Head ${r.head || ''}`, 'ok')
			: notice(`The chain does NOT verify: first bad row ${r.first_bad ?? '?'}.`, 'error'),
		table(['#', 'Time', 'Actor', 'Action', 'Target', 'Reason'], rows.map((a) => h('tr', null,
			h('td', null, String(a.id)), h('td', { class: 'when' }, fmtTime(a.time)), h('td', null, a.actor), h('td', null, a.action),
			h('td', null, a.target), h('td', null, a.reason))), { id: 'audit-table' })];
}

// --------------------------------------------------------------- start

window.addEventListener('hashchange', render);
loadSession().then(render);
