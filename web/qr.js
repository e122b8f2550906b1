// SPDX-License-Identifier: GPL-3.0-or-later
//
// A QR code (ISO/IEC 18004) of a short text, drawn as SVG, so that the
// two-factor set-up can show its otpauth:// link to a phone camera without
// loading anything from elsewhere. Only what that needs: byte mode, error
// correction level M, versions 1 to 10 (up to 213 bytes), the mask with the
// lowest penalty.

// Error correction codewords per block and number of blocks, level M,
// versions 1..10 (index 0 unused).
const ECC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
const BLOCKS = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
// Centres of the alignment patterns, versions 2..10.
const ALIGN = [[], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];

// Modules that carry codewords: all but finder, timing, alignment, format
// and version areas.
function rawModules(v) {
	let n = (16 * v + 128) * v + 64;
	if (v >= 2) {
		const a = Math.floor(v / 7) + 2;
		n -= (25 * a - 10) * a - 55;
		if (v >= 7) n -= 36;
	}
	return n;
}

const dataCodewords = (v) => Math.floor(rawModules(v) / 8) - ECC_PER_BLOCK[v] * BLOCKS[v];

// GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Uint8Array(512), LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
	EXP[i] = x;
	LOG[x] = i;
	x <<= 1;
	if (x & 0x100) x ^= 0x11d;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
const mul = (a, b) => (a && b ? EXP[LOG[a] + LOG[b]] : 0);

// The Reed-Solomon remainder (degree n) of data.
function rsRemainder(data, n) {
	// Generator: product of (x - a^i), i = 0..n-1; coefficients high first,
	// the leading 1 left out.
	let gen = [1];
	for (let i = 0; i < n; i++) {
		const next = new Array(gen.length + 1).fill(0);
		for (let j = 0; j < gen.length; j++) {
			next[j] ^= gen[j];
			next[j + 1] ^= mul(gen[j], EXP[i]);
		}
		gen = next;
	}
	gen = gen.slice(1);
	const rem = new Array(n).fill(0);
	for (const b of data) {
		const f = b ^ rem.shift();
		rem.push(0);
		for (let j = 0; j < n; j++) rem[j] ^= mul(gen[j], f);
	}
	return rem;
}

// Data bits -> codewords with padding, split in blocks, each with its
// error correction, interleaved.
function codewords(bytes, v) {
	const bits = [];
	const put = (val, len) => { for (let i = len - 1; i >= 0; i--) bits.push((val >>> i) & 1); };
	const cap = dataCodewords(v) * 8;
	put(0b0100, 4);
	put(bytes.length, v < 10 ? 8 : 16);
	for (const b of bytes) put(b, 8);
	put(0, Math.min(4, cap - bits.length));
	while (bits.length % 8) bits.push(0);
	for (let pad = 0xec; bits.length < cap; pad ^= 0xec ^ 0x11) put(pad, 8);
	const data = [];
	for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));

	const nb = BLOCKS[v], ecc = ECC_PER_BLOCK[v];
	const total = Math.floor(rawModules(v) / 8);
	const shortLen = Math.floor(total / nb), nShort = nb - (total % nb);
	const blocks = [];
	for (let i = 0, k = 0; i < nb; i++) {
		const len = shortLen - ecc + (i < nShort ? 0 : 1);
		const d = data.slice(k, k + len);
		k += len;
		blocks.push({ d, e: rsRemainder(d, ecc) });
	}
	const out = [];
	for (let i = 0; i <= shortLen - ecc; i++)
		for (const b of blocks) if (i < b.d.length) out.push(b.d[i]);
	for (let i = 0; i < ecc; i++)
		for (const b of blocks) out.push(b.e[i]);
	return out;
}

// BCH code of value (the format and version information).
function bch(value, gen, genBits, dataBits) {
	let r = value << (genBits - 1);
	for (let i = dataBits + genBits - 2; i >= genBits - 1; i--)
		if ((r >>> i) & 1) r ^= gen << (i - (genBits - 1));
	return (value << (genBits - 1)) | r;
}

function matrix(v, cw, mask) {
	const n = 17 + 4 * v;
	const m = Array.from({ length: n }, () => new Array(n).fill(false));
	const fixed = Array.from({ length: n }, () => new Array(n).fill(false));
	const set = (x, y, dark) => { m[y][x] = dark; fixed[y][x] = true; };

	for (let i = 0; i < n; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
	const finder = (cx, cy) => {
		for (let dy = -4; dy <= 4; dy++)
			for (let dx = -4; dx <= 4; dx++) {
				const x = cx + dx, y = cy + dy;
				if (x < 0 || y < 0 || x >= n || y >= n) continue;
				const d = Math.max(Math.abs(dx), Math.abs(dy));
				set(x, y, d !== 2 && d !== 4);
			}
	};
	finder(3, 3); finder(n - 4, 3); finder(3, n - 4);
	const al = ALIGN[v];
	for (const cy of al)
		for (const cx of al) {
			if ((cx === 6 && cy === 6) || (cx === 6 && cy === al[al.length - 1]) || (cy === 6 && cx === al[al.length - 1]))
				continue; // on a finder
			for (let dy = -2; dy <= 2; dy++)
				for (let dx = -2; dx <= 2; dx++)
					set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
		}

	// Format information: level M (00) and the mask, BCH(15,5), masked.
	const fmt = bch(mask, 0x537, 11, 5) ^ 0x5412;
	const fb = (i) => ((fmt >>> i) & 1) === 1;
	for (let i = 0; i <= 5; i++) set(8, i, fb(i));
	set(8, 7, fb(6)); set(8, 8, fb(7)); set(7, 8, fb(8));
	for (let i = 9; i < 15; i++) set(14 - i, 8, fb(i));
	for (let i = 0; i < 8; i++) set(n - 1 - i, 8, fb(i));
	for (let i = 8; i < 15; i++) set(8, n - 15 + i, fb(i));
	set(8, n - 8, true);
	if (v >= 7) {
		const ver = bch(v, 0x1f25, 13, 6);
		for (let i = 0; i < 18; i++) {
			const bit = ((ver >>> i) & 1) === 1, a = n - 11 + (i % 3), b = Math.floor(i / 3);
			set(a, b, bit); set(b, a, bit);
		}
	}

	// Codewords in two-module columns, right to left, up and down in turn.
	const masks = [
		(x, y) => (x + y) % 2 === 0, (x, y) => y % 2 === 0, (x) => x % 3 === 0,
		(x, y) => (x + y) % 3 === 0, (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
		(x, y) => ((x * y) % 2) + ((x * y) % 3) === 0, (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
		(x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
	];
	const flip = masks[mask];
	let bit = 0;
	for (let right = n - 1; right >= 1; right -= 2) {
		if (right === 6) right = 5;
		const up = ((right + 1) & 2) === 0;
		for (let k = 0; k < n; k++) {
			const y = up ? n - 1 - k : k;
			for (let j = 0; j < 2; j++) {
				const x = right - j;
				if (fixed[y][x]) continue;
				let dark = false;
				if (bit < cw.length * 8) dark = ((cw[bit >>> 3] >>> (7 - (bit & 7))) & 1) === 1;
				bit++;
				m[y][x] = dark !== flip(x, y);
			}
		}
	}
	return m;
}

// The standard's penalty: long runs, 2x2 blocks, finder look-alikes,
// imbalance of dark and light.
function penalty(m) {
	const n = m.length;
	let p = 0, dark = 0;
	const line = (get) => {
		let run = 1;
		const bits = [];
		for (let i = 0; i < n; i++) bits.push(get(i));
		for (let i = 1; i <= n; i++) {
			if (i < n && bits[i] === bits[i - 1]) { run++; continue; }
			if (run >= 5) p += 3 + run - 5;
			run = 1;
		}
		const s = bits.map((b) => (b ? '1' : '0')).join('');
		for (const pat of ['10111010000', '00001011101'])
			for (let i = s.indexOf(pat); i >= 0; i = s.indexOf(pat, i + 1)) p += 40;
	};
	for (let y = 0; y < n; y++) line((x) => m[y][x]);
	for (let x = 0; x < n; x++) line((y) => m[y][x]);
	for (let y = 0; y < n; y++)
		for (let x = 0; x < n; x++) {
			if (m[y][x]) dark++;
			if (x < n - 1 && y < n - 1 && m[y][x] === m[y][x + 1] && m[y][x] === m[y + 1][x] && m[y][x] === m[y + 1][x + 1]) p += 3;
		}
	p += 10 * Math.floor(Math.abs(dark * 100 / (n * n) - 50) / 5);
	return p;
}

// The QR code of text as an <svg> element (black on white, with the
// four-module quiet zone). Throws if text is too long.
export function qrSvg(text, label = 'QR code') {
	const bytes = new TextEncoder().encode(text);
	let v = 1;
	while (v <= 10 && 4 + (v < 10 ? 8 : 16) + 8 * bytes.length > dataCodewords(v) * 8) v++;
	if (v > 10) throw new Error('too long for a QR code here');
	const cw = codewords(bytes, v);
	let best = null, bestP = Infinity;
	for (let mask = 0; mask < 8; mask++) {
		const m = matrix(v, cw, mask);
		const p = penalty(m);
		if (p < bestP) { best = m; bestP = p; }
	}
	const n = best.length, q = 4;
	let d = '';
	for (let y = 0; y < n; y++)
		for (let x = 0; x < n; x++)
			if (best[y][x]) d += `M${x + q} ${y + q}h1v1h-1z`;
	const NS = 'http://www.w3.org/2000/svg';
	const svg = document.createElementNS(NS, 'svg');
	svg.setAttribute('viewBox', `0 0 ${n + 2 * q} ${n + 2 * q}`);
	svg.setAttribute('role', 'img');
	svg.setAttribute('aria-label', label);
	svg.setAttribute('shape-rendering', 'crispEdges');
	const bg = document.createElementNS(NS, 'rect');
	bg.setAttribute('width', '100%');
	bg.setAttribute('height', '100%');
	bg.setAttribute('fill', '#fff');
	const path = document.createElementNS(NS, 'path');
	path.setAttribute('d', d);
	path.setAttribute('fill', '#000');
	svg.append(bg, path);
	return svg;
}
