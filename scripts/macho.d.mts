/** Types of scripts/macho.mjs (see its docs). */
export function checkCodeSignature(buf: Buffer): { signed: boolean; valid: boolean; badPages: number };
export function removeCodeSignature(buf: Buffer): Buffer;
