import { useState, type FormEvent } from 'react';
import { lastDays, type Range } from '../dates';
import { navigate, withParams } from '../router';

const PRESETS = [7, 30, 90];

/** The range every view shows, kept in the URL (`start`, `end`), so a link shares it. */
export function RangePicker({ range }: { range: Range }) {
  const [draft, setDraft] = useState(range);
  const [shown, setShown] = useState(range);
  if (shown.start !== range.start || shown.end !== range.end) {
    // The URL moved (a preset, back/forward): the inputs follow it.
    setShown(range);
    setDraft(range);
  }
  const apply = (next: Range) => navigate(withParams({ start: next.start, end: next.end, after: null }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.start && draft.end && draft.start <= draft.end) apply(draft);
  };
  return (
    <form className="range-picker" onSubmit={submit} aria-label="Date range">
      <div className="presets" role="group" aria-label="Presets">
        {PRESETS.map((days) => {
          const preset = lastDays(days);
          const active = preset.start === range.start && preset.end === range.end;
          return (
            <button
              key={days}
              type="button"
              className={active ? 'active' : ''}
              aria-pressed={active}
              onClick={() => apply(preset)}
            >
              {days} d
            </button>
          );
        })}
      </div>
      <label>
        <span className="visually-hidden">From</span>
        <input
          type="date"
          name="start"
          value={draft.start}
          max={draft.end}
          onChange={(e) => setDraft({ ...draft, start: e.target.value })}
        />
      </label>
      <span aria-hidden="true">–</span>
      <label>
        <span className="visually-hidden">To</span>
        <input
          type="date"
          name="end"
          value={draft.end}
          min={draft.start}
          onChange={(e) => setDraft({ ...draft, end: e.target.value })}
        />
      </label>
      <button type="submit" disabled={draft.start === range.start && draft.end === range.end}>
        Apply
      </button>
    </form>
  );
}
