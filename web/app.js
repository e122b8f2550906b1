// SPDX-License-Identifier: GPL-3.0-or-later
//
// ddnsd's web dashboard: plain JavaScript modules, no framework, no build
// step, no request to any other host. It talks to /api/v1/ (docs/api.md,
// "The dashboard's endpoints") with the session cookie and sends the CSRF
// token from GET /api/v1/session on every change.
//
// Pages are chosen by the URL's fragment (#/hosts, #/host/NAME, ...), so
// the server serves one index.html and never needs to know the routes.

import { loadSession, privatePages, publicPages, render } from './core.js';
import { pageForgot, pageLogin, pageReset, pageSignup, pageVerify } from './auth.js';
import { pageHost, pageHosts, pageNewHost } from './hosts.js';
import { pageAccount } from './account.js';
import { pageAdmin } from './admin.js';

Object.assign(publicPages, {
	login: pageLogin,
	signup: pageSignup,
	verify: pageVerify,
	forgot: pageForgot,
	reset: pageReset,
});
Object.assign(privatePages, {
	hosts: pageHosts,
	new: pageNewHost,
	host: pageHost,
	account: pageAccount,
	admin: pageAdmin,
});

window.addEventListener('hashchange', render);
loadSession().then(render);
