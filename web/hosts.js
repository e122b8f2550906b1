// SPDX-License-Identifier: GPL-3.0-or-later
//
// The host pages: the list, a new host checked as it is typed, and one
// host with its records, tokens, client configurations and history.

import {
	state, h, s, field, form, button,
	action, notice, table, badge, codeBlock, fmtTime,
	when, api, zones, zoneOf, go, flash,
	render, enc,
} from './core.js';

// A host's addresses as "A 192.0.2.1  AAAA 2001:db8::1".
export function records(host) {
	const parts = [];
	if (host.ipv4) parts.push(h('span', { class: 'rr' }, h('abbr', { title: 'IPv4 address' }, 'A'), ' ', host.ipv4));
	if (host.ipv6) parts.push(h('span', { class: 'rr' }, h('abbr', { title: 'IPv6 address' }, 'AAAA'), ' ', host.ipv6));
	return parts.length ? parts : h('span', { class: 'muted' }, 'no address');
}

export async function pageHosts() {
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

export async function pageNewHost() {
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
export async function pageHost(name = '') {
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
	const list = h('div', { id: 'tokens' });
	const showList = () => list.replaceChildren(live.length
		? table(['Label', 'Created', 'Last change', ''], live.map((t) => h('tr', { 'data-token': t.id },
			h('td', null, t.name || '(no label)'), h('td', null, when(t.created)), h('td', null, when(t.last_used)),
			h('td', null, action('Revoke', async () => {
				await api('DELETE', `hosts/${enc(host.name)}/tokens/${t.id}`);
				flash(`Token ${t.name || t.id} revoked: it no longer updates the host.`);
				render();
			}, { class: 'danger', 'aria-label': `Revoke token ${t.name || t.id}` })))), { id: 'tokens-table' })
		: h('p', { class: 'muted' }, 'No tokens yet.'));
	showList();
	sec.append(list);
	const label = field('Label', { id: 'token-label', maxlength: 60, placeholder: 'e.g. router' }, 'So you know later where it is used.');
	const configs = h('div', { id: 'configs' });
	configs.append(clientConfigs(host, null));
	const shown = h('div', { id: 'new-token' });
	const f = form({ id: 'token-form' }, async () => {
		const name = label.input.value.trim();
		const r = await api('POST', `hosts/${enc(host.name)}/tokens`, { label: name });
		label.input.value = '';
		// The list gains it without a reload, which would lose the secret.
		live.push({ id: r.id, name, created: Date.now() / 1000, last_used: 0 });
		showList();
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
