// SPDX-License-Identifier: GPL-3.0-or-later
//
// The operators' pages (users with the admin role): status, users, hosts,
// the abuse queue and the audit log.

import {
	state, h, field, form, button, notice,
	table, badge, fmtTime, when, dur, api,
	go, flash, render, enc,
} from './core.js';
import { records } from './hosts.js';

function adminNav(cur) {
	const tabs = [['status', 'Status'], ['users', 'Users'], ['hosts', 'Hosts'], ['abuse', 'Abuse queue'], ['audit', 'Audit log']];
	return h('nav', { class: 'tabs', 'aria-label': 'Operator' }, tabs.map(([k, t]) =>
		h('a', { href: `#/admin/${k}`, 'aria-current': cur === k ? 'page' : null }, t)));
}

export async function pageAdmin(sub = 'status', arg = '') {
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
	out.push(...secondaries(st));
	return out;
}

// What each secondary took (the transfer thread's records) and what the
// NOTIFYs to the zones' `notify` lists got back: is every copy current?
function secondaries(st) {
	const zones = Array.isArray(st.zones) ? st.zones : [];
	const xfr = zones.flatMap((z) => (z.transfers || []).map((t) => ({ zone: z.name, ...t })));
	const ntf = zones.flatMap((z) => (z.notify || []).map((n) => ({ zone: z.name, ...n })));
	if (!xfr.length && !ntf.length) return [];
	const now = Math.floor(Date.now() / 1000);
	const out = [h('h2', null, 'Secondaries')];
	if (xfr.length)
		out.push(table(['Zone', 'Secondary', 'TSIG key', 'Last transfer', 'Serial', 'Behind', 'When', 'Transfers'], xfr.map((t) => h('tr', null,
			h('td', null, t.zone), h('td', { class: 'addr' }, t.address), h('td', null, t.key || '—'), h('td', null, t.type),
			h('td', null, t.type === 'IXFR' ? `${t.from} → ${t.serial}` : String(t.serial)),
			h('td', null, t.behind ? `${t.behind} serial${t.behind === 1 ? '' : 's'}` : 'current'),
			h('td', null, when(now - t.age)), h('td', null, String(t.count)))), { id: 'transfers-table' }));
	else
		out.push(h('p', { class: 'muted' }, 'No secondary has transferred a zone since the server started.'));
	if (ntf.length)
		out.push(table(['Zone', 'NOTIFY to', 'Answered serial', 'Waiting for an answer'], ntf.map((n) => h('tr', null,
			h('td', null, n.zone), h('td', { class: 'addr' }, n.address),
			h('td', null, n.answered_serial == null ? '—' : String(n.answered_serial)),
			h('td', null, n.unanswered ? `serial ${n.pending_serial}, sent ${n.unanswered}×` : ''))), { id: 'notify-table' }));
	if (st.transfers && st.notify)
		out.push(h('p', { class: 'muted', id: 'replication-counts' }, `Transfers served: ${st.transfers.axfr} AXFR, ${st.transfers.ixfr} IXFR, `
			+ `${st.transfers.refused} refused; NOTIFY: ${st.notify.sent} sent, ${st.notify.answered} answered.`));
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
