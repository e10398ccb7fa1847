// A data-only rebuild of the site: the pages' compiled bundles from the last full build are
// kept, and only what depends on the data is redone (SvelteKit's analyse, prerender and
// adapter steps; Evidence's renaming of the data files by content).
//
//     node ../../scripts/rerender.mjs        (run in reports/.evidence/template)
//
// Bundling (Vite's server and client builds) is three quarters of a full build's time and
// nearly all of its memory, and its output depends on the pages, the packages and the
// patches only: site.py runs this script instead of `evidence build` when none of those
// changed since the last full build (its key, .marketflow-build-key). The steps below are
// the ones SvelteKit 2.8's Vite plugin runs after its client build (its writeBundle and
// closeBundle hooks, src/exports/vite/index.js), called the same way; the versions are pinned
// by package-lock.json and part of the key, and the report tests compare a rebuild with a
// full build of the same data.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(path.resolve('package.json'));
const kitRoot = path.dirname(require.resolve('@sveltejs/kit/package.json'));
const kit = async (file) => import(pathToFileURL(path.join(kitRoot, file)).href);

const { load_config } = await kit('src/core/config/index.js');
const { default: create_manifest_data } = await kit('src/core/sync/create_manifest_data/index.js');
const { generate_manifest } = await kit('src/core/generate_manifest/index.js');
const { default: analyse } = await kit('src/core/postbuild/analyse.js');
const { default: prerender } = await kit('src/core/postbuild/prerender.js');
const { adapt } = await kit('src/core/adapt/index.js');
const { logger } = await kit('src/core/utils.js');
const { get_env } = await kit('src/exports/vite/utils.js');
const { copy, read, rimraf } = await kit('src/utils/filesystem.js');

const MODE = 'production';
const config = await load_config();
const out = `${config.kit.outDir}/output`;
const manifestPath = `${out}/server/manifest-full.js`;
if (!fs.existsSync(manifestPath)) {
	throw new Error(`${path.resolve(manifestPath)} is missing: a full build must come first`);
}

// The client entry points of the last full build, as its manifest recorded them.
const { manifest: built } = await import(pathToFileURL(path.resolve(manifestPath)).href);
const buildData = {
	app_dir: config.kit.appDir,
	app_path: `${config.kit.paths.base.slice(1)}${config.kit.paths.base ? '/' : ''}${config.kit.appDir}`,
	manifest_data: create_manifest_data({ config }), // the static files as they are now
	out_dir: out,
	service_worker: null,
	client: built._.client,
	server_manifest: JSON.parse(read(`${out}/server/.vite/manifest.json`))
};

// What the last build prerendered, and Evidence's cache of query results, are the old data's
// (`evidence build` starts from an empty template but for static/).
rimraf(`${out}/prerendered`);
rimraf('.evidence-queries/cache');

// Vite's client build copies static/ (the data among it) into the client output: refresh it.
const assets = config.kit.files.assets;
for (const name of fs.readdirSync(assets)) rimraf(`${out}/client/${name}`);
copy(assets, `${out}/client`);

const writeManifest = (file, routes) =>
	fs.writeFileSync(
		file,
		`export const manifest = ${generate_manifest({ build_data: buildData, relative_path: '.', routes })};\n`
	);
writeManifest(manifestPath, buildData.manifest_data.routes);

const env = get_env(config.kit.env, MODE);
const allEnv = { ...env.private, ...env.public };
const log = logger({ verbose: false });
const metadata = await analyse({
	manifest_path: manifestPath,
	manifest_data: buildData.manifest_data,
	server_manifest: buildData.server_manifest,
	tracked_features: {},
	env: allEnv
});
const { prerendered, prerender_map } = await prerender({
	out,
	manifest_path: manifestPath,
	metadata,
	verbose: false,
	env: allEnv
});
writeManifest(
	`${out}/server/manifest.js`,
	buildData.manifest_data.routes.filter((route) => prerender_map.get(route.id) !== true)
);
await adapt(config, buildData, metadata, prerendered, prerender_map, log, { mode: MODE });

// What `evidence build` does after Vite (its cli.js buildHelper): each data file moves under
// a folder named by its content's MD5, so browsers never read a stale one, and build/ is
// copied to the project.
const staticless = path.normalize(process.env.EVIDENCE_DATA_DIR ?? './static/data').split(path.sep);
const dataDir = path.join('build', ...staticless.slice(1));
const manifestFile = path.join(dataDir, 'manifest.json');
if (fs.existsSync(manifestFile)) {
	const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
	for (const files of Object.values(manifest.renderedFiles)) {
		for (let i = 0; i < files.length; i++) {
			const diskParts = files[i].split('/').slice(-3).join('/');
			const filePath = path.posix.join(dataDir, diskParts);
			if (!fs.existsSync(filePath)) continue;
			const hash = createHash('md5').update(fs.readFileSync(filePath)).digest('hex');
			const newDiskPart = path.posix.join(path.dirname(diskParts), hash, path.basename(diskParts));
			fs.mkdirSync(path.dirname(path.join(dataDir, newDiskPart)), { recursive: true });
			fs.renameSync(filePath, path.join(dataDir, newDiskPart));
			files[i] = files[i].replace(diskParts, newDiskPart);
		}
	}
	fs.writeFileSync(manifestFile, JSON.stringify(manifest) + '\n');
}
copy('build', '../../build');
console.log('Build complete --> ./build');
