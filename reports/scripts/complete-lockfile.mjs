// Adds package-lock.json entries for platform-specific optional dependencies that npm left out.
//
// Why: the npm registry mirror reachable from this machine lacks some platform builds (e.g.
// @rollup/rollup-darwin-x64@4.68.7, @duckdb/node-bindings-win32-x64@1.4.2-r.1). `npm install`
// silently skips optional deps it cannot fetch and writes a lock file without them; `npm ci` then
// refuses that lock file ("Missing: @rollup/rollup-darwin-x64@ from lock file"). The entries added
// here carry os/cpu/libc, so npm skips them on other platforms without fetching anything, and the
// real registry serves them on the platforms that need them.
//
// Run after any `npm install` that rewrites package-lock.json:  node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkgs = lock.packages;

const OS = ['aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos', 'win32'];
const CPU = ['arm64', 'arm', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x', 'x64'];
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function platformOf(name) {
	const parts = name.split('/').pop().split('-');
	const os = parts.find((p) => OS.includes(p));
	const cpu = parts.find((p) => CPU.includes(p));
	if (!os || !cpu) return null;
	let libc;
	if (os === 'linux') {
		if (parts.some((p) => p.startsWith('musl'))) libc = ['musl'];
		else if (parts.some((p) => p.startsWith('gnu'))) libc = ['glibc'];
	}
	// same key order as npm writes
	return libc ? { cpu: [cpu], libc, optional: true, os: [os] } : { cpu: [cpu], optional: true, os: [os] };
}

function resolves(from, name) {
	// node resolution inside the lock: <from>/node_modules/<name>, then each ancestor, then root
	let dir = from;
	for (;;) {
		const loc = `${dir ? `${dir}/` : ''}node_modules/${name}`;
		if (pkgs[loc]) return true;
		if (!dir) return false;
		const i = dir.lastIndexOf('/node_modules/');
		dir = i === -1 ? '' : dir.slice(0, i);
	}
}

const added = [];
for (const [loc, entry] of Object.entries(pkgs)) {
	for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
		if (resolves(loc, name) || !EXACT.test(spec)) continue;
		const platform = platformOf(name);
		if (!platform) continue;
		const target = pkgs[`node_modules/${name}`] ? `${loc}/node_modules/${name}` : `node_modules/${name}`;
		pkgs[target] = { version: spec, ...platform };
		added.push(`${target}@${spec}`);
	}
}

lock.packages = Object.fromEntries(
	Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')))
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} lock entries:\n  ${added.join('\n  ')}` : 'lock file complete');
