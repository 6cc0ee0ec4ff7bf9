/**
 * Just enough Mach-O (64-bit, little-endian, thin) to check and remove the code signature of a Bun-compiled
 * macOS executable. Why: Bun appends the program in a `__BUN` segment; for darwin-arm64 it then writes a new
 * ad-hoc signature, but for darwin-x64 (Bun 1.4.5) it keeps the runtime's original, hardened-runtime signature,
 * whose page hashes no longer match, and macOS kills a process whose signed pages do not match their hashes.
 * An unsigned x86_64 executable runs on macOS (Intel and Rosetta), so the release build removes such a stale
 * signature (what `codesign --remove-signature` does); Developer ID signing (docs/packaging.md) re-signs anyway.
 * Sources: <mach-o/loader.h> (LC_SEGMENT_64 0x19, LC_CODE_SIGNATURE 0x1d) and the CodeDirectory layout of
 * xnu `osfmk/kern/cs_blobs.h` (magic 0xfade0c02, hashes at hashOffset, one per 2^pageSize bytes up to codeLimit).
 */
import { createHash } from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;

function loadCommands(buf) {
  if (buf.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file');
  const out = [];
  let off = 32;
  for (let i = 0, n = buf.readUInt32LE(16); i < n; i++) {
    const cmd = buf.readUInt32LE(off);
    const size = buf.readUInt32LE(off + 4);
    out.push({ cmd, size, off });
    off += size;
  }
  return out;
}

/**
 * Checks the embedded code signature's CodeDirectories against the file's bytes.
 * @param {Buffer} buf the whole executable
 * @returns {{ signed: boolean, valid: boolean, badPages: number }} `valid`: every CodeDirectory's page hashes
 *   match and cover the file up to the signature
 */
export function checkCodeSignature(buf) {
  const sig = loadCommands(buf).find((c) => c.cmd === LC_CODE_SIGNATURE);
  if (!sig) return { signed: false, valid: false, badPages: 0 };
  const dataoff = buf.readUInt32LE(sig.off + 8);
  const blob = buf.subarray(dataoff, dataoff + buf.readUInt32LE(sig.off + 12));
  let badPages = 0;
  let directories = 0;
  for (let j = 0, n = blob.readUInt32BE(8); j < n; j++) {
    const o = blob.readUInt32BE(16 + 8 * j);
    if (blob.readUInt32BE(o) !== 0xfade0c02) continue;
    directories++;
    const cd = blob.subarray(o);
    const hashOffset = cd.readUInt32BE(16);
    const nCode = cd.readUInt32BE(28);
    const codeLimit = cd.readUInt32BE(32);
    const hashSize = cd[36];
    const algo = { 1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384' }[cd[37]];
    const pageSize = 2 ** cd[39];
    if (codeLimit !== dataoff) badPages++; // the signature must cover everything before itself
    for (let p = 0; p < nCode; p++) {
      const page = buf.subarray(p * pageSize, Math.min((p + 1) * pageSize, codeLimit));
      const want = cd.subarray(hashOffset + p * hashSize, hashOffset + (p + 1) * hashSize);
      if (!createHash(algo).update(page).digest().subarray(0, hashSize).equals(want)) badPages++;
    }
  }
  return { signed: true, valid: directories > 0 && badPages === 0, badPages };
}

/**
 * Removes the code signature: drops LC_CODE_SIGNATURE (it must be the last load command), truncates the file
 * where the signature started and shrinks `__LINKEDIT` to match.
 * @param {Buffer} buf the whole executable (not modified)
 * @returns {Buffer} the unsigned executable
 * @throws Error when the layout is not the one Bun produces (signature not last, not at the end of the file)
 */
export function removeCodeSignature(buf) {
  const cmds = loadCommands(buf);
  const sig = cmds.at(-1);
  if (sig?.cmd !== LC_CODE_SIGNATURE) throw new Error('LC_CODE_SIGNATURE is not the last load command');
  const dataoff = buf.readUInt32LE(sig.off + 8);
  if (dataoff + buf.readUInt32LE(sig.off + 12) !== buf.length) throw new Error('the signature is not at the end of the file');
  const linkedit = cmds.find((c) => c.cmd === LC_SEGMENT_64 && buf.toString('latin1', c.off + 8, c.off + 24).replace(/\0+$/, '') === '__LINKEDIT');
  if (!linkedit) throw new Error('no __LINKEDIT segment');
  const out = Buffer.from(buf.subarray(0, dataoff));
  out.writeUInt32LE(cmds.length - 1, 16);
  out.writeUInt32LE(out.readUInt32LE(20) - sig.size, 20);
  out.fill(0, sig.off, sig.off + sig.size);
  const fileoff = out.readBigUInt64LE(linkedit.off + 40);
  out.writeBigUInt64LE(BigInt(dataoff) - fileoff, linkedit.off + 48);
  return out;
}
