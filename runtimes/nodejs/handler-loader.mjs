// Loading the function's handler from _HANDLER ("path/to/module.export"), as AWS's
// Node.js 20 runtime does: the module is looked up in the task root as a file without an
// extension, .js, .mjs or .cjs, and failures become AWS's Runtime.* errors.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  UserCodeSyntaxError,
} from './errors.mjs';

// CommonJS modules are loaded as if required by the runtime's entry point, which is the
// module "Require stack" names in a missing module's message, as AWS's names its own.
const require = createRequire(new URL('./runtime.mjs', import.meta.url));

/**
 * Splits "dir/sub/module.export.path" into the module's directory ("dir/sub/"), its
 * name ("module") and the path of the export inside it ("export.path").
 */
export function parseHandlerName(handlerName) {
  if (handlerName.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerName}' is not a valid handler name. ` +
        'Use absolute paths when specifying root directories in handler names.',
    );
  }
  const base = path.basename(handlerName);
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) {
    throw new MalformedHandlerName('Bad handler');
  }
  const moduleRoot = handlerName.slice(0, handlerName.length - base.length);
  return { moduleRoot, moduleName: match[1], exportPath: match[2] };
}

function requireIfExists(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function importIfExists(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

/**
 * True when the nearest package.json above `folder` says "type": "module", which makes
 * .js files ES modules. The search stops at a node_modules directory or the root.
 */
export function isModuleFolder(folder) {
  if (folder.endsWith('/node_modules')) {
    return false;
  }
  const manifest = path.join(folder, 'package.json');
  if (fs.existsSync(manifest)) {
    try {
      return JSON.parse(fs.readFileSync(manifest, 'utf8'))?.type === 'module';
    } catch (error) {
      console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, error);
      return false;
    }
  }
  const parent = path.dirname(folder);
  return parent === folder ? false : isModuleFolder(parent);
}

/**
 * Loads the module, in AWS's order: the exact file (CommonJS), `.js` as CommonJS unless a
 * package.json makes it an ES module, `.js` as an ES module, `.mjs`, `.cjs`, and last
 * whatever require() finds for the name from the task root (a package, a directory).
 */
async function loadModule(appRoot, moduleRoot, moduleName) {
  const file = path.resolve(appRoot, moduleRoot, moduleName);
  const esm = isModuleFolder(path.dirname(file));

  const loaded =
    requireIfExists(file) ??
    (esm ? await importIfExists(`${file}.js`) : requireIfExists(`${file}.js`)) ??
    (await importIfExists(`${file}.mjs`)) ??
    requireIfExists(`${file}.cjs`);
  if (loaded !== undefined) {
    return loaded;
  }
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

/**
 * Returns the handler function named by `handlerName`, loading its module from
 * `appRoot`. Throws Runtime.MalformedHandlerName, Runtime.ImportModuleError (the module
 * or a CommonJS dependency is missing), Runtime.UserCodeSyntaxError or
 * Runtime.HandlerNotFound; any other error thrown while the module runs propagates as it
 * is, as on AWS.
 */
export async function loadHandler(appRoot, handlerName) {
  const { moduleRoot, moduleName, exportPath } = parseHandlerName(handlerName);

  let loaded;
  try {
    loaded = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new UserCodeSyntaxError(error);
    }
    if (error?.code === 'MODULE_NOT_FOUND') {
      throw new ImportModuleError(error);
    }
    throw error;
  }

  const handler = exportPath.split('.').reduce((object, key) => object && object[key], loaded);
  if (!handler) {
    throw new HandlerNotFound(`${handlerName} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${handlerName} is not a function`);
  }
  return handler;
}

/**
 * Loads the runtime's own two tiny handlers, one through require() and one through import().
 * A stem cell does this before it waits for its function: the first use of each loader
 * compiles and caches much of Node's module machinery (about 1.5 ms), which the function's
 * cold start then does not pay. The modules are the runtime's, under its own directory.
 */
export async function warmUp(runtimeDir) {
  requireIfExists(path.join(runtimeDir, 'warmup', 'warm.cjs'));
  await importIfExists(path.join(runtimeDir, 'warmup', 'warm.mjs'));
}
