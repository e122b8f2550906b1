// SPDX-License-Identifier: GPL-3.0-or-later
//
// Log in (with the two-factor step), sign up, address confirmation and
// password reset: the pages for people who are not logged in.

import {
	state, h, field, form, button, notice,
	api, go, flash,
} from './core.js';

export function pageLogin() {
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

export async function pageSignup() {
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

export async function pageVerify(token = '') {
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

export function pageForgot() {
	const email = field('Email address', { id: 'forgot-email', type: 'email', autocomplete: 'email', required: true });
	const f = form({ id: 'forgot-form' }, async () => {
		await api('POST', 'password-reset', { email: email.input.value.trim() });
		f.replaceWith(notice('If an account has that address, a link to set a new password is on its way. It is valid for one hour.', 'ok'));
	}, email.row, button('Send me a link'));
	return [h('h1', null, 'Forgot your password?'), f];
}

export function pageReset(token = '') {
	const pw = field('New password', { id: 'reset-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
	const f = form({ id: 'reset-form' }, async () => {
		await api('POST', 'password-reset/confirm', { token, password: pw.input.value });
		flash('Your password is changed, and every session of your account has ended. Log in with the new password.');
		go('#/login');
	}, pw.row, button('Set password'));
	return [h('h1', null, 'Choose a new password'), f];
}
