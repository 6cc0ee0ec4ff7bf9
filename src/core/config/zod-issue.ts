/**
 * One zod issue as a message that names the field and says what is wrong. zod reports a union that matched no
 * branch as "Invalid input" and a bad record key as "Invalid key in record", which names nothing useful: a
 * service's `"GITHUB_TOKEN": 5` (neither a reference nor a declaration), `"version": "3"` (neither a number nor a
 * per-environment map). Here a union becomes "expected string or object, received number" when no branch got
 * further than the type, else the issue of the branch that got deepest (a declaration whose `version` is a
 * string is reported at `secrets.X.version`); a record key issue becomes its own message.
 */

/** The parts of a zod 4 issue we read (zod/mini and classic share them). */
interface ZodIssueLike {
  code?: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  expected?: string;
  errors?: ReadonlyArray<ReadonlyArray<ZodIssueLike>>;
  issues?: ReadonlyArray<ZodIssueLike>;
}

/**
 * @param issue a zod issue (`result.error.issues[0]`)
 * @returns the full path of the field at fault and a message without the field name (callers quote the path)
 */
export function describeZodIssue(issue: ZodIssueLike): { path: PropertyKey[]; message: string } {
  const path = [...issue.path];
  if (issue.code === 'invalid_key' && issue.issues?.[0]) return { path, message: issue.issues[0].message };
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    const firsts = issue.errors.map((branch) => branch[0]).filter((i): i is ZodIssueLike => i !== undefined);
    const atRoot = firsts.filter((i) => i.code === 'invalid_type' && i.path.length === 0);
    if (atRoot.length === firsts.length && firsts.length > 0) {
      const received = /received (\w+)/.exec(firsts[0]!.message)?.[1];
      const expected = [...new Set(firsts.map((i) => i.expected ?? 'value'))].map((e) => (e === 'record' ? 'map' : e));
      return { path, message: `Invalid input: expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}` };
    }
    // the branch that got furthest: not a type mismatch at the top, deepest path first
    const best = [...firsts].sort((a, b) => score(b) - score(a))[0]!;
    const inner = describeZodIssue(best);
    return { path: [...path, ...inner.path], message: inner.message };
  }
  return { path, message: issue.message };
}

function score(i: ZodIssueLike): number {
  return (i.code === 'invalid_type' && i.path.length === 0 ? 0 : 1000) + i.path.length * 10 + (i.code === 'invalid_union' ? 1 : 0);
}
