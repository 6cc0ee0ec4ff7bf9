import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

/**
 * A one-line text input: typing appends, Backspace deletes, Enter submits (after `validate`, whose message is
 * shown), Esc calls `onBack`. With `mask`, characters show as `*`.
 */
export function TextPrompt({ label, initial = '', mask = false, validate, onSubmit, onBack }: { label: string; initial?: string; mask?: boolean; validate?: (v: string) => string | undefined; onSubmit: (v: string) => void; onBack?: () => void }) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string>();
  useInput((input, key) => {
    if (key.escape) return onBack?.();
    if (key.return) {
      const v = mask ? value : value.trim();
      const problem = validate?.(v);
      if (problem) return setError(problem);
      return onSubmit(v);
    }
    if (key.backspace || key.delete) return setValue((v) => v.slice(0, -1));
    if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
      setError(undefined);
      setValue((v) => v + input.replace(/[\r\n]/g, ''));
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
