import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';

/**
 * A one-line text input: typing appends, Backspace deletes, Enter submits (after `validate`, whose message is
 * shown), Esc calls `onBack`. With `mask`, characters show as `*`.
 *
 * Text and Enter that arrive in one read (a fast typist, a pasted line ending in a newline, a terminal driven by
 * a script) reach `useInput` as one string such as `"abc\r"` with `key.return` false: Ink splits only Backspace
 * and Ctrl-C out of a chunk (ink/build/input-parser.js). The text before the first line break is appended and
 * the line is submitted, as a shell's line editor would.
 */
export function TextPrompt({ label, initial = '', mask = false, validate, onSubmit, onBack }: { label: string; initial?: string; mask?: boolean; validate?: (v: string) => string | undefined; onSubmit: (v: string) => void; onBack?: () => void }) {
  const [value, setShown] = useState(initial);
  const [error, setError] = useState<string>();
  // Events of one read are handed over before React renders again: the ref is the value as of the last event.
  const current = useRef(initial);
  const setValue = (v: string) => {
    current.current = v;
    setShown(v);
  };
  const submit = () => {
    const v = mask ? current.current : current.current.trim();
    const problem = validate?.(v);
    if (problem) return setError(problem);
    return onSubmit(v);
  };
  useInput((input, key) => {
    if (key.escape) return onBack?.();
    if (key.return) return submit();
    if (key.backspace || key.delete) return setValue(current.current.slice(0, -1));
    if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
      setError(undefined);
      const lineBreak = input.search(/[\r\n]/);
      setValue(current.current + (lineBreak >= 0 ? input.slice(0, lineBreak) : input));
      if (lineBreak >= 0) submit();
    }
  });
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>{`${label}: `}</Text>
        <Text color="cyan">{mask ? '*'.repeat(value.length) : value}</Text>
        <Text inverse> </Text>
      </Box>
      {error ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}
