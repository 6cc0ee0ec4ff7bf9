import { ConfigError } from '../errors.js';

/**
 * Nesting limits for our YAML/JSON files. Real settings and service files nest 4 levels deep; a file nested
 * thousands deep (`[[[[…`) overflows the parser's or the validator's stack, which surfaced as "internal error".
 */

/** Deepest nesting accepted in a settings or service file (mappings and sequences). */
export const MAX_DEPTH = 64;

function tooDeep(file: string): ConfigError {
  return new ConfigError(`nested too deeply (more than ${MAX_DEPTH} levels)`, { file, hint: 'a settings or service file nests a few levels; check that this is the right file' });
}

/** Indentation plus compact `- ` markers at which a line counts as nested too deeply. */
const MAX_LINE_NESTING = 256;

/**
 * A scan of the text before the YAML parser sees it: flow brackets (`[`, `{`) open deeper than {@link MAX_DEPTH}
 * levels, or a line indented (or `- - - `-nested) beyond {@link MAX_LINE_NESTING} columns. The parser recurses per
 * level, and overflowing its stack once can leave the engine unable to parse the next document (V8 aborted the
 * process), so such text is refused before parsing. Brackets inside quoted strings are counted too: only absurd
 * text reaches the limit either way.
 * @throws ConfigError naming the file
 */
export function assertTextShallow(text: string, file: string): void {
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === 32 || c === 9 || ((c === 45 || c === 63) && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9))) {
        if (++indent > MAX_LINE_NESTING) throw tooDeep(file);
        continue;
      }
      lineStart = false;
    }
    if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) throw tooDeep(file);
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
}

/**
 * Runs `parse`, turning a stack overflow (RangeError) or the parser's own report of one into a ConfigError.
 * @throws ConfigError naming the file
 */
export function guardDepth<T>(parse: () => T, file: string): T {
  let result: T;
  try {
    result = parse();
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(file);
    throw err;
  }
  const errors = (result as { errors?: Array<{ message?: string }> } | undefined)?.errors;
  if (errors?.some((e) => /call stack|too much recursion/i.test(e.message ?? ''))) throw tooDeep(file);
  return result;
}

/**
 * Checks the nesting depth of a parsed value iteratively (no recursion, so it cannot overflow itself).
 * @throws ConfigError when deeper than {@link MAX_DEPTH}
 */
export function assertShallow(value: unknown, file: string): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) throw tooDeep(file);
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
}
