// SPDX-License-Identifier: GPL-3.0-or-later
//
// The dashboard's core: building elements (text only ever as text), forms,
// formatting, the API client with its CSRF token, and the hash router.
// The pages are in auth.js, hosts.js, account.js and admin.js; app.js puts
// them together.
//
// Safety rule for every module: text from the server or the user goes into
// the page only as text (textContent, text nodes, attribute values set
// with setAttribute); never as HTML.

export const state = {
	user: null,       // the logged-in user, or null
	csrf: '',         // X-CSRF-Token for changes
	flash: null,      // {text, kind} shown once on the next page
	zones: null,      // GET /api/v1/zones, cached for the session
};

// ------------------------------------------------------------ elements

// h('p', {class: 'x'}, 'text', child, ...): an element whose children are
// nodes or text (strings become text nodes, never markup).
export function h(tag, props, ...kids) {
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

export function append(el, kids) {
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : String(kid));
	}
	return el;
}

export const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
	append(el, kids);
	return el;
}

export let idSeq = 0;
// A labelled input: {row, input}. attrs go to the input (id, type, ...);
// attrs.tag may be 'textarea' or 'select' (with attrs.options).
export function field(label, attrs = {}, hint = null) {
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
export function form(props, fn, ...kids) {
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

export function button(text, props = {}) {
	return h('button', { type: 'submit', ...props }, text);
}

// A button that runs fn on click, showing its error next to it.
export function action(text, fn, props = {}) {
	const err = h('span', { class: 'error', role: 'alert' });
	const b = h('button', { type: 'button', ...props }, text);
	b.addEventListener('click', async () => {
		err.textContent = '';
		b.disabled = true;
		try { await fn(b); } catch (ex) { err.textContent = ex.message || String(ex); } finally { b.disabled = false; }
	});
	return h('span', { class: 'action' }, b, err);
}

export function notice(text, kind = 'info') {
	return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// A table; on a narrow screen each row becomes a card whose cells say
// which column they are (data-label, shown by style.css).
export function table(head, rows, props = {}) {
	for (const row of rows)
		[...row.children].forEach((cell, i) => { if (head[i]) cell.setAttribute('data-label', head[i]); });
	return h('div', { class: 'scroll' },
		h('table', { class: 'cards', ...props },
			h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
			h('tbody', null, rows)));
}

export function badge(stateName) {
	return h('span', { class: `badge state-${stateName}` }, stateName);
}

// "Copy" for a secret or a configuration; falls back to selecting it.
export function copyButton(getText, label = 'Copy') {
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

export function codeBlock(text, label) {
	const pre = h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, text);
	return h('div', { class: 'codeblock' }, pre, copyButton(() => pre.textContent));
}

// ---------------------------------------------------------- formatting

export function fmtTime(t) {
	if (!t) return 'never';
	const d = new Date(t * 1000);
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ago(t) {
	if (!t) return 'never';
	const s = Math.round(Date.now() / 1000 - t);
	if (s < 60) return 'just now';
	if (s < 3600) return `${Math.floor(s / 60)} min ago`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
	return `${Math.floor(s / 86400)} days ago`;
}

export function when(t) {
	return h('time', { datetime: t ? new Date(t * 1000).toISOString() : null, title: fmtTime(t) }, ago(t));
}

export function dur(sec) {
	sec = Math.floor(sec || 0);
	const d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
	return d ? `${d} d ${hh} h` : hh ? `${hh} h ${m} min` : `${m} min ${sec % 60} s`;
}

// ---------------------------------------------------------------- API

export class ApiError extends Error {
	constructor(status, message, data) {
		super(message);
		this.status = status;
		this.data = data || {};
	}
}

// The API's errors are lower-case phrases: shown as sentences.
function sentence(text) {
	text = String(text).trim();
	if (!text) return text;
	return text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}

export async function api(method, path, body) {
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
		let msg = sentence((data && data.error) || `The server answered ${r.status} ${r.statusText}`);
		const retry = r.headers.get('Retry-After');
		if ((r.status === 429 || r.status === 503) && retry && !/try again/i.test(msg))
			msg += ` Try again in ${retry} seconds.`;
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

export const enc = encodeURIComponent;

export async function loadSession() {
	try {
		const s = await api('GET', 'session');
		state.user = s.user;
		state.csrf = s.csrf;
	} catch {
		state.user = null;
		state.csrf = '';
	}
}

export async function zones() {
	if (!state.zones) state.zones = await api('GET', 'zones');
	return state.zones;
}

export function zoneOf(zs, name) {
	return zs.filter((z) => name === z.name || name.endsWith(`.${z.name}`))
		.sort((a, b) => b.name.length - a.name.length)[0] || null;
}

// ------------------------------------------------------------- routing

export function go(hash) {
	if (location.hash === hash) render();
	else location.hash = hash;
}

export function flash(text, kind = 'ok') {
	state.flash = { text, kind };
}

export function nav() {
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

export async function logout() {
	try { await api('DELETE', 'session'); } catch { /* gone already */ }
	state.user = null;
	state.csrf = '';
	flash('You are logged out.');
	go('#/login');
}

// The pages, by the first part of the fragment; filled in by app.js.
// Public ones are for anybody, private ones need a log-in.
export const publicPages = {};
export const privatePages = {};

export let renderSeq = 0;

export async function render() {
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

export function pageNotFound() {
	return [h('h1', null, 'Not found'), h('p', null, 'There is no such page. ', h('a', { href: '#/' }, 'Start page'))];
}
