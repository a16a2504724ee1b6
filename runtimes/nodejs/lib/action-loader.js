'use strict';
// Turns an /init message into the action's main function, the way OpenWhisk's runner does:
// - source code runs as the body of a CommonJS module function; main names a top-level binding
//   or an export (README.md, "Main resolution");
// - source that is an ES module (import/export statements) is imported from a file instead;
// - binary code is a base64 ZIP, extracted into a work directory that becomes the working
//   directory; "file.fn" loads file and takes fn, plain "fn" loads the package's main (package.json
//   "main", else index.js, else index.mjs).
// Failures OpenWhisk reports by message alone are thrown as strings, as its runner rejects with
// strings: the /init error then reads exactly the same.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const { isModuleNamespaceObject } = require('node:util').types;
const { extractZip } = require('./zip');

/** Source actions resolve require() from the runtime's folder, so packages installed beside it are found (as in OpenWhisk's image). */
const SOURCE_FILENAME = path.join(path.resolve(__dirname, '..'), 'action.js');
const MODULE_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname', '__ow_main__'];
/** Evaluates main in the module's own scope; an unknown or unparsable name means "look in the exports". */
const MAIN_PROBE = '\ntry { return eval(__ow_main__); } catch (e) { if (e instanceof ReferenceError || e instanceof SyntaxError) return undefined; throw e; }';
/** OpenWhisk's splitMainHandler: "fn" or "file.path.to.fn". */
const ARCHIVE_MAIN = /^([^.]+)$|^([^.]+)\.(.+)$/;

let workDir;

/** One directory per process for extracted archives and ES module sources, removed at exit. */
function workDirectory() {
  if (workDir === undefined) {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ow-action-'));
    process.once('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
  }
  return workDir;
}

/** value.a.b for "a.b"; undefined when the path breaks off. */
function lookup(value, dottedName) {
  return dottedName.split('.').reduce((object, key) => (object == null ? undefined : object[key]), value);
}

function firstFunction(candidates, main) {
  const found = candidates.find((candidate) => typeof candidate === 'function');
  if (found === undefined) throw `Action entrypoint '${main}' is not a function.`;
  return found;
}

/** A module's main: the named export, else the module itself when it is a function (or an ES module's default export). */
function exportedMain(exported, name, main) {
  const whole = isModuleNamespaceObject(exported) ? exported.default : exported;
  return firstFunction([lookup(exported, name), whole], main);
}

function importFile(file) {
  return import(pathToFileURL(file).href);
}

/**
 * V8's complaints about ES module syntax in a script: "Cannot use import statement outside a
 * module", "Unexpected token 'export'", "await is only valid in async functions and the top level
 * bodies of modules".
 */
function looksLikeEsModule(error) {
  return error instanceof SyntaxError && /\b(import|export|modules?)\b/.test(error.message);
}

async function loadSource(code, main) {
  let run;
  try {
    run = vm.compileFunction(code + MAIN_PROBE, MODULE_PARAMETERS, {
      filename: SOURCE_FILENAME,
      // import() inside the action then works as it does in a CommonJS file.
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
  } catch (error) {
    if (!looksLikeEsModule(error)) throw error;
    const file = path.join(workDirectory(), 'index.mjs');
    fs.writeFileSync(file, code);
    return exportedMain(await importFile(file), main, main);
  }
  const actionExports = {};
  const actionModule = { exports: actionExports };
  const binding = run.call(actionExports, actionExports, createRequire(SOURCE_FILENAME), actionModule,
    SOURCE_FILENAME, path.dirname(SOURCE_FILENAME), main);
  // OpenWhisk: the top-level binding, else module.exports.main || exports.main; then, as an
  // extension, module.exports itself when it is a function.
  const candidates = [binding, lookup(actionModule.exports, main), lookup(actionExports, main), actionModule.exports];
  return firstFunction(candidates, main);
}

/** The archive's entry file: the named file, else the package's main; .mjs when only that exists. */
function resolveEntry(dir, file) {
  const hasRoot = ['package.json', 'index.js', 'index.mjs'].some((name) => fs.existsSync(path.join(dir, name)));
  if (file === undefined && !hasRoot) throw 'Zipped actions must contain either package.json or index.js at the root.';
  const base = file === undefined ? dir : path.join(dir, file);
  try {
    return require.resolve(base);
  } catch (error) {
    const esm = file === undefined ? path.join(dir, 'index.mjs') : `${base}.mjs`;
    if (error.code === 'MODULE_NOT_FOUND' && fs.existsSync(esm)) return esm;
    throw error;
  }
}

async function loadModule(file) {
  if (file.endsWith('.mjs')) return importFile(file);
  try {
    return require(file);
  } catch (error) {
    if (error.code !== 'ERR_REQUIRE_ESM') throw error; // a "type": "module" package
    return importFile(file);
  }
}

async function loadArchive(base64, main) {
  const dir = workDirectory();
  try {
    extractZip(Buffer.from(base64, 'base64'), dir);
  } catch {
    throw 'There was an error uncompressing the action archive.';
  }
  const parts = ARCHIVE_MAIN.exec(main);
  if (parts === null) throw 'Name of main function is not valid.';
  const [, plainName, file, nameInFile] = parts;
  process.chdir(dir);
  const exported = await loadModule(resolveEntry(dir, file));
  return exportedMain(exported, plainName ?? nameInFile, main);
}

/**
 * @param {{code: string, main: string, binary?: boolean}} message the /init `value`
 * @returns {Promise<Function>} the action's main function
 */
function loadAction({ code, main, binary }) {
  return binary ? loadArchive(code, main) : loadSource(code, main);
}

module.exports = { loadAction };
