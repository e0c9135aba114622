// The node roles' bundles: packages/cli/dist/bundle/charge-point.js and central.js, each one
// minified file of everything `evpaxos charge-point` / `evpaxos central` runs (packages/cli/src/entries),
// which bin/evpaxos.js loads for those two commands. Run by `npm run build` after `tsc -b` (which
// type-checks; the bundles are made from the TypeScript sources themselves, so that esbuild sees our
// packages as ES modules and leaves out what a role never imports: the simulator, the other role's
// OCPP side, tsc's per-module interop helpers; ~20 % of each bundle, docs/BENCHMARKS.md, "Issue 21:
// the 31 site's memory, sixth session").
//
// Why (docs/CLUSTER.md, "Memory"; numbers in docs/BENCHMARKS.md, "Idle footprint", third pass): V8
// keeps the source text of every loaded script for as long as the process runs (lazy compilation
// needs it). A charge point loaded ~550 modules, ~3.1 MiB of source with their comments and
// whitespace; the minified bundle is ~1 MiB, one script.
//
// What stays outside the bundle, loaded from node_modules at run time as before:
// - native and optional modules (msgpackr-extract, ws's bufferutil and utf-8-validate): a prebuilt
//   binary or nothing, found by the library's own require;
// - node-forge: loaded on the first demo certificate only (packages/ocpp demo-certs.ts), which no
//   node role imports today (so it is not even required); bundled, its 290 KiB of source would sit
//   in every process's heap;
// - JSON files of dependencies (ocpp-rpc's OCPP schemas, 1.6 MiB): require() parses a JSON file
//   into objects and drops the text; bundled, they would be JavaScript source kept in the heap.
// - @evpaxos/dashboard/package.json, which the dashboard resolves (never loads) to find its static/.
//
// One module of a dependency is replaced in the bundle: ocpp-rpc's lib/standard-validators.js, which
// builds strict mode's validators for OCPP 1.6, 2.0.1 and 2.1 when ocpp-rpc is loaded (three Ajv
// instances, each compiling the draft-07 meta-schema to check its schemas). Every node speaks OCPP
// 2.0.1 only (packages/ocpp constants.ts, `ocppSubprotocol`), so the bundle's replacement builds
// 2.0.1's alone, with the library's public `createValidator`: 1.4 MiB less heap per process
// (docs/BENCHMARKS.md, "Issue 21: the 31 site's memory, sixth session").
//
// `node scripts/bundle.mjs --clean` removes the bundles (`npm run clean`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages', 'cli');
const outDir = path.join(cli, 'dist', 'bundle');
const roles = ['charge-point', 'central'];
const external = [
  'msgpackr-extract',
  'bufferutil',
  'utf-8-validate',
  'node-forge',
  // Resolved at run time, not loaded: the dashboard finds its static/ files by its package's place.
  '@evpaxos/dashboard/package.json',
];

if (process.argv.includes('--clean')) {
  fs.rmSync(outDir, { recursive: true, force: true });
  process.exit(0);
}

/** What the bundle's require() will resolve: node_modules as seen from the bundle's directory. */
const requireFromBundle = createRequire(path.join(outDir, 'index.js'));

/**
 * A dependency's JSON file stays a file: the bundle requires it by package path
 * (`ocpp-rpc/lib/schemas/ocpp2_0_1.json`). Only where that path resolves, from the bundle's own
 * directory, to the very file the library asked for (a package whose `exports` hides the file is
 * bundled as usual).
 */
const dependencyJsonStaysFile = {
  name: 'dependency-json-stays-file',
  setup(build) {
    build.onResolve({ filter: /\.json$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
      if (at < 0) return undefined;
      const specifier = file
        .slice(at + '/node_modules/'.length)
        .split(path.sep)
        .join('/');
      try {
        if (requireFromBundle.resolve(specifier) !== file) return undefined;
      } catch {
        return undefined;
      }
      return { path: specifier, external: true };
    });
  },
};

/** Where ocpp-rpc's validators module is, and what it must say for the replacement to be right. */
const ocppRpcLib = path.dirname(requireFromBundle.resolve('ocpp-rpc/lib/standard-validators.js'));
const standardValidatorsFile = path.join(ocppRpcLib, 'standard-validators.js');
const ocpp201Validator = "createValidator('ocpp2.0.1', require('./schemas/ocpp2_0_1.json'))";

/**
 * ocpp-rpc's standard validators, OCPP 2.0.1's only. ocpp-rpc's client and server modules take this
 * module's array as the subprotocols strict mode can check, so a node asked to be strict in another
 * one fails at construction with ocpp-rpc's own "missing validator" error, never unchecked. If a
 * new ocpp-rpc no longer builds 2.0.1's validator exactly so, the build stops instead of guessing.
 */
const ocpp201ValidatorsOnly = {
  name: 'ocpp-rpc-2.0.1-validators-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]standard-validators\.js$/ }, (args) => {
      if (args.path !== standardValidatorsFile) return undefined;
      const original = fs.readFileSync(args.path, 'utf8');
      if (!original.includes(ocpp201Validator)) {
        return {
          errors: [
            { text: `${args.path} no longer has ${ocpp201Validator}: update scripts/bundle.mjs` },
          ],
        };
      }
      return {
        contents: [
          "const { createValidator } = require('./validator');",
          `module.exports = [${ocpp201Validator}];`,
        ].join('\n'),
        loader: 'js',
        resolveDir: ocppRpcLib,
      };
    });
  },
};

/**
 * ajv-formats takes Ajv as a peer dependency: it adds its formats to the caller's Ajv instance and
 * uses that Ajv's code generator. npm could not hoist ocpp-rpc's pinned ajv (the top level holds
 * another major version for the dev tools), so it gave ajv-formats a copy of its own, and the
 * bundle held two Ajvs, both loaded at start: ~110 KiB more source kept in the heap and a second
 * set of Ajv's modules run (docs/BENCHMARKS.md, "Issue 21: the 31 site's memory, sixth session").
 * In the bundle, ajv-formats gets the Ajv that ocpp-rpc, its only user here, gives it.
 */
const ajvFormatsUsesCallersAjv = {
  name: 'ajv-formats-uses-callers-ajv',
  setup(build) {
    build.onResolve({ filter: /^ajv($|\/)/ }, (args) => {
      if (!args.importer.includes(`${path.sep}node_modules${path.sep}ajv-formats${path.sep}`)) {
        return undefined;
      }
      return build.resolve(args.path, { kind: args.kind, resolveDir: ocppRpcLib });
    });
  },
};

/** Where a bundle holds two copies of one package (by name): the build stops, naming them. */
function duplicatePackages(metafile) {
  const problems = [];
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const roots = new Map();
    for (const input of Object.keys(output.inputs)) {
      const at = input.lastIndexOf('node_modules/');
      if (at < 0) continue;
      const parts = input.slice(at + 'node_modules/'.length).split('/');
      const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      const found = roots.get(name) ?? new Set();
      found.add(input.slice(0, at) + 'node_modules/' + name);
      roots.set(name, found);
    }
    for (const [name, where] of roots) {
      if (where.size > 1) problems.push(`${file}: ${name} twice (${[...where].join(', ')})`);
    }
  }
  return problems;
}

/** `@evpaxos/<package>` is bundled from that package's TypeScript entry, packages/<package>/src. */
const evpaxosFromSources = {
  name: 'evpaxos-from-sources',
  setup(build) {
    build.onResolve({ filter: /^@evpaxos\/[a-z-]+$/ }, (args) => {
      const entry = path.join(
        root,
        'packages',
        args.path.slice('@evpaxos/'.length),
        'src',
        'index.ts',
      );
      return fs.existsSync(entry) ? { path: entry } : undefined;
    });
  },
};

fs.rmSync(outDir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: roles.map((role) => ({
    in: path.join(cli, 'src', 'entries', `${role}.ts`),
    out: role,
  })),
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Class and function names stay as written: errors and logs that print a constructor's name
  // read the same as from the compiled sources.
  keepNames: true,
  // The map points into packages/*/src; `node --enable-source-maps` (or
  // NODE_OPTIONS) prints stack traces at TypeScript lines. Without the sources' text in it.
  sourcemap: 'linked',
  sourcesContent: false,
  external,
  plugins: [
    evpaxosFromSources,
    dependencyJsonStaysFile,
    ocpp201ValidatorsOnly,
    ajvFormatsUsesCallersAjv,
  ],
  logLevel: 'warning',
  metafile: true,
});
if (result.errors.length > 0 || result.warnings.length > 0) process.exit(1);
// One copy of each package per bundle: a second one is memory in every node process.
const duplicates = duplicatePackages(result.metafile);
if (duplicates.length > 0) {
  for (const problem of duplicates) console.error(`bundle: ${problem}`);
  process.exit(1);
}
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const kib = Math.round(output.bytes / 1024);
  console.log(
    `bundle: ${path.relative(root, file)} ${kib} KiB, ${Object.keys(output.inputs).length} modules`,
  );
}
