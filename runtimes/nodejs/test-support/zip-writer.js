'use strict';
// Builds small ZIP archives in memory for tests (APPNOTE 6.3.10, no Zip64), so that tests can
// make archives zip(1) would refuse to make: unsafe names, symlinks, corrupt data.
const zlib = require('node:zlib');

const HOST_UNIX = 3;
const VERSION = 20;
const FLAG_UTF8 = 0x800;

/**
 * @param {Array<{name: string, data?: string | Buffer, mode?: number, method?: 'stored' | 'deflated'}>} entries
 *   mode is a full Unix st_mode (e.g. 0o100644, 0o120777 for a symlink whose data is its target)
 * @returns {Buffer}
 */
function makeZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data = '', mode = 0o100644, method = 'deflated' } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const content = Buffer.from(data);
    const stored = method === 'stored' || name.endsWith('/');
    const body = stored ? content : zlib.deflateRawSync(content);
    const crc = zlib.crc32(content);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((HOST_UNIX << 8) | VERSION, 4);
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(FLAG_UTF8, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((name.endsWith('/') ? 0o40755 : mode) * 0x10000, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

module.exports = { makeZip };
