import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

/** One choice of a SelectList: `label` is shown, `description` dimmed beside it; both are matched by the filter. */
export interface Choice<T> {
  label: string;
  description?: string;
  value: T;
  /** shown dimmed and not selectable */
  disabled?: boolean;
}

/**
 * A list picked with ↑/↓ and Enter; typing filters it (case-insensitive substring of label or description),
 * Backspace edits the filter, Esc calls `onBack`. Shows at most `limit` rows around the cursor.
 */
export function SelectList<T>({ items, onSelect, onBack, limit = 10, initialIndex = 0 }: { items: Choice<T>[]; onSelect: (value: T) => void; onBack?: () => void; limit?: number; initialIndex?: number }) {
  const [filter, setFilter] = useState('');
  const [index, setIndex] = useState(Math.min(initialIndex, Math.max(0, items.length - 1)));
  const needle = filter.toLowerCase();
  const shown = needle ? items.filter((i) => `${i.label} ${i.description ?? ''}`.toLowerCase().includes(needle)) : items;
  const cursor = Math.min(index, Math.max(0, shown.length - 1));
  useInput((input, key) => {
    if (key.escape) return onBack?.();
    if (key.upArrow) return setIndex(Math.max(0, cursor - 1));
    if (key.downArrow) return setIndex(Math.min(shown.length - 1, cursor + 1));
    if (key.pageUp) return setIndex(Math.max(0, cursor - limit));
    if (key.pageDown) return setIndex(Math.min(shown.length - 1, cursor + limit));
    if (key.return) {
      const choice = shown[cursor];
      if (choice && !choice.disabled) onSelect(choice.value);
      return;
    }
    if (key.backspace || key.delete) {
      setFilter((f) => f.slice(0, -1));
      setIndex(0);
      return;
    }
    if (input && !key.ctrl && !key.meta && !key.tab && /^[\x20-\x7e]+$/.test(input)) {
      setFilter((f) => f + input);
      setIndex(0);
    }
  });
  const start = Math.max(0, Math.min(cursor - Math.floor(limit / 2), shown.length - limit));
  const visible = shown.slice(start, start + limit);
  return (
    <Box flexDirection="column">
      {items.length > limit || filter ? <Text dimColor>{filter ? `filter: ${filter}` : 'type to filter'}</Text> : null}
      {visible.map((c, i) => {
        const selected = start + i === cursor;
        return (
          <Box key={`${start + i}:${c.label}`}>
            <Text color={selected ? 'cyan' : undefined}>{selected ? '❯ ' : '  '}</Text>
            <Text color={c.disabled ? 'gray' : selected ? 'cyan' : undefined} bold={selected}>
              {c.label}
            </Text>
            {c.description ? <Text dimColor>{`  ${c.description}`}</Text> : null}
          </Box>
        );
      })}
      {shown.length === 0 ? <Text color="yellow">no match for "{filter}" (Backspace to edit)</Text> : null}
      {shown.length > limit ? <Text dimColor>{`${cursor + 1}/${shown.length}`}</Text> : null}
    </Box>
  );
}
