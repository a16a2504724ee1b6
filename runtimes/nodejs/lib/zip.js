'use strict';
// A minimal ZIP extractor (PKWARE APPNOTE 6.3.10) for action archives, so the runtime needs no
// unzip binary: stored and deflated entries, data descriptors, Zip64, Unix modes and symlinks.
// Encrypted and multi-disk archives are refused. Every entry is checked against its CRC-32.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SIG_END = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const END_SIZE = 22;
const MAX_COMMENT = 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const HOST_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function fail(message) {
  throw new Error(`zip: ${message}`);
}

/** APPNOTE §4.3.16: the end record is the last thing in the file, followed only by its comment. */
function findEnd(zip) {
  const lowest = Math.max(0, zip.length - END_SIZE - MAX_COMMENT);
  for (let at = zip.length - END_SIZE; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === SIG_END && at + END_SIZE + zip.readUInt16LE(at + 20) === zip.length) return at;
  }
  return fail('no end of central directory record');
}

/** APPNOTE §4.3.14-15: Zip64 moves the entry count and directory offset to a second end record. */
function readDirectoryLocation(zip) {
  const end = findEnd(zip);
  if (zip.readUInt16LE(end + 4) !== 0 || zip.readUInt16LE(end + 6) !== 0) fail('multi-disk archive');
  const count = zip.readUInt16LE(end + 10);
  const offset = zip.readUInt32LE(end + 16);
  if (count !== 0xffff && offset !== 0xffffffff) return { count, offset };
  const locator = end - 20;
  if (locator < 0 || zip.readUInt32LE(locator) !== SIG_ZIP64_LOCATOR) fail('missing Zip64 locator');
  const end64 = Number(zip.readBigUInt64LE(locator + 8));
  if (end64 + 56 > zip.length || zip.readUInt32LE(end64) !== SIG_ZIP64_END) fail('bad Zip64 end record');
  return { count: Number(zip.readBigUInt64LE(end64 + 32)), offset: Number(zip.readBigUInt64LE(end64 + 48)) };
}

/** APPNOTE §4.5.3: 64-bit values present, in this order, only for fields saturated at 0xffffffff. */
function applyZip64Extra(entry, extra) {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      for (const key of ['size', 'compressedSize', 'localOffset']) {
        if (entry[key] === 0xffffffff) {
          entry[key] = Number(extra.readBigUInt64LE(field));
          field += 8;
        }
      }
      return;
    }
    at += 4 + size;
  }
}

/** APPNOTE §4.3.12: the central directory is the authoritative list (local sizes may be deferred). */
function readCentralDirectory(zip) {
  const { count, offset } = readDirectoryLocation(zip);
  const entries = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== SIG_CENTRAL) fail('bad central directory entry');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const entry = {
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      unixMode: zip[at + 5] === HOST_UNIX ? zip.readUInt32LE(at + 38) >>> 16 : 0,
      localOffset: zip.readUInt32LE(at + 42),
    };
    applyZip64Extra(entry, zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function readData(zip, entry) {
  if (entry.flags & 0x1) fail(`encrypted entry ${entry.name}`);
  const local = entry.localOffset;
  if (local + 30 > zip.length || zip.readUInt32LE(local) !== SIG_LOCAL) fail(`bad local header for ${entry.name}`);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  if (start + entry.compressedSize > zip.length) fail(`truncated entry ${entry.name}`);
  const raw = zip.subarray(start, start + entry.compressedSize);
  let data;
  if (entry.method === METHOD_STORED) data = raw;
  else if (entry.method === METHOD_DEFLATED) data = zlib.inflateRawSync(raw);
  else fail(`unsupported compression method ${entry.method} for ${entry.name}`);
  if (data.length !== entry.size || zlib.crc32(data) !== entry.crc) fail(`corrupt entry ${entry.name}`);
  return data;
}

/** Refuses names that would land outside dir ("zip slip"). */
function targetPath(dir, name) {
  const relative = name.replaceAll('\\', '/');
  const segments = relative.split('/');
  if (relative.startsWith('/') || /^[A-Za-z]:/.test(relative) || segments.includes('..')) fail(`unsafe entry name ${name}`);
  return path.join(dir, ...segments);
}

/**
 * Extracts a ZIP archive into dir, which must exist.
 * @param {Buffer} zip the whole archive
 * @param {string} dir
 * @throws {Error} when the archive is malformed, unsupported or unsafe
 */
function extractZip(zip, dir) {
  const links = [];
  for (const entry of readCentralDirectory(zip)) {
    const target = targetPath(dir, entry.name);
    if (entry.name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const data = readData(zip, entry);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if ((entry.unixMode & S_IFMT) === S_IFLNK) {
      links.push({ target, link: data.toString('utf8') });
    } else {
      fs.writeFileSync(target, data, { mode: entry.unixMode & 0o777 || 0o644 });
    }
  }
  // Symlinks last, so that no later entry can be written through one to outside dir.
  for (const { target, link } of links) fs.symlinkSync(link, target);
}

module.exports = { extractZip };
